// The one strict reader of PATCH and POST bodies: every property must be
// known, writable and of the right type and value set. Problems are
// collected and answered together with Base registry messages
// (PropertyUnknown, PropertyNotWritable, PropertyValueTypeError,
// PropertyValueNotInList, ...); nothing is coerced or silently dropped.
import { Base, RedfishError, type RedfishMessage } from './messages.js';

export type Field =
  | { type: 'string'; enum?: readonly string[]; maxLength?: number; pattern?: RegExp; nullable?: boolean; readOnly?: boolean }
  | { type: 'boolean'; nullable?: boolean; readOnly?: boolean }
  | { type: 'integer'; min?: number; max?: number; nullable?: boolean; readOnly?: boolean }
  | { type: 'number'; min?: number; max?: number; nullable?: boolean; readOnly?: boolean }
  | { type: 'object'; fields: Readonly<Record<string, Field>>; nullable?: boolean; readOnly?: boolean }
  | { type: 'array'; items: Field; maxItems?: number; nullable?: boolean; readOnly?: boolean };

export type Spec = Readonly<Record<string, Field>>;

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}

function check(value: unknown, field: Field, path: string, out: RedfishMessage[]): void {
  const rel = [`#/${path.replace(/\./g, '/')}`];
  if (field.readOnly) {
    out.push(Base.message('PropertyNotWritable', [path], rel));
    return;
  }
  if (value === null) {
    if (!field.nullable) out.push(Base.message('PropertyValueTypeError', ['null', path], rel));
    return;
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') out.push(Base.message('PropertyValueTypeError', [show(value), path], rel));
      else if (field.enum && !field.enum.includes(value)) out.push(Base.message('PropertyValueNotInList', [value, path], rel));
      else if (field.maxLength !== undefined && value.length > field.maxLength) out.push(Base.message('StringValueTooLong', [value, field.maxLength], rel));
      else if (field.pattern && !field.pattern.test(value)) out.push(Base.message('PropertyValueFormatError', [value, path], rel));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(Base.message('PropertyValueTypeError', [show(value), path], rel));
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (field.type === 'integer' && !Number.isInteger(value))) {
        out.push(Base.message('PropertyValueTypeError', [show(value), path], rel));
      } else if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
        out.push(Base.message('PropertyValueOutOfRange', [show(value), path], rel));
      }
      return;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) out.push(Base.message('PropertyValueTypeError', [show(value), path], rel));
      else checkObject(value as Record<string, unknown>, field.fields, `${path}.`, out);
      return;
    case 'array':
      if (!Array.isArray(value)) out.push(Base.message('PropertyValueTypeError', [show(value), path], rel));
      else if (field.maxItems !== undefined && value.length > field.maxItems) out.push(Base.message('PropertyValueOutOfRange', [show(value), path], rel));
      else value.forEach((v, i) => check(v, field.items, `${path}.${i}`, out));
      return;
  }
}

function checkObject(obj: Record<string, unknown>, spec: Spec, prefix: string, out: RedfishMessage[]): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('@odata.')) continue;
    const f = spec[k];
    if (!f) out.push(Base.message('PropertyUnknown', [`${prefix}${k}`], [`#/${(prefix + k).replace(/\./g, '/')}`]));
    else check(v, f, `${prefix}${k}`, out);
  }
}

/**
 * Checks a body against a spec and returns it typed. `required` names
 * properties that must be present (PropertyMissing / ActionParameterMissing).
 */
export function readBody<T>(body: unknown, spec: Spec, opts: { required?: readonly string[]; action?: string; allowEmpty?: boolean } = {}): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RedfishError(400, [Base.message('MalformedJSON')]);
  }
  const obj = body as Record<string, unknown>;
  const out: RedfishMessage[] = [];
  checkObject(obj, spec, '', out);
  for (const r of opts.required ?? []) {
    if (obj[r] === undefined) {
      out.push(opts.action ? Base.message('ActionParameterMissing', [opts.action, r]) : Base.message('PropertyMissing', [r], [`#/${r}`]));
    }
  }
  if (out.length > 0) throw new RedfishError(400, out);
  if (!opts.allowEmpty && Object.keys(obj).filter((k) => !k.startsWith('@odata.')).length === 0) {
    throw new RedfishError(400, [Base.message('NoOperation')]);
  }
  return obj as T;
}
