// OData query options of DSP0266 7.3: $expand (".", "*", "~", $levels),
// $select, $top, $skip and "only". Unknown "$" options are refused with 501,
// as the specification requires; other unknown parameters are ignored.
import { Errors } from './messages.js';

export interface ExpandOption {
  readonly kind: '.' | '*' | '~';
  readonly levels: number;
}

export interface QueryOptions {
  readonly expand?: ExpandOption;
  readonly select?: readonly string[];
  readonly top?: number;
  readonly skip?: number;
  readonly only: boolean;
}

export const MAX_EXPAND_LEVELS = 6;

const NONE: QueryOptions = { only: false };

function nonNegative(value: string, name: string): number {
  if (!/^\d{1,9}$/.test(value)) throw Errors.queryValueFormat(value, name);
  return Number(value);
}

export function parseQuery(params: URLSearchParams): QueryOptions {
  if (params.size === 0) return NONE;
  let expand: ExpandOption | undefined;
  let select: string[] | undefined;
  let top: number | undefined;
  let skip: number | undefined;
  let only = false;
  for (const [key, value] of params) {
    switch (key) {
      case '$expand': {
        const m = /^([.*~])(?:\(\$levels=(\d+)\))?$/.exec(value);
        if (!m) throw Errors.queryValueFormat(value, '$expand');
        const levels = m[2] === undefined ? 1 : Number(m[2]);
        if (levels < 1 || levels > MAX_EXPAND_LEVELS) throw Errors.queryOutOfRange(value, '$expand', `1-${MAX_EXPAND_LEVELS}`);
        expand = { kind: m[1] as ExpandOption['kind'], levels };
        break;
      }
      case '$select':
        select = value.split(',').map((s) => s.trim());
        if (select.some((s) => !/^[A-Za-z@#][\w@#.]*(\/[\w@#.]+)*$/.test(s))) throw Errors.queryValueFormat(value, '$select');
        break;
      case '$top':
        top = nonNegative(value, '$top');
        break;
      case '$skip':
        skip = nonNegative(value, '$skip');
        break;
      case 'only':
        if (value !== '') throw Errors.queryValueFormat(value, 'only');
        only = true;
        break;
      default:
        if (key.startsWith('$')) throw Errors.queryNotSupported();
    }
  }
  if (only && (expand || select)) throw Errors.queryNotSupportedOnResource();
  return { only, ...(expand ? { expand } : {}), ...(select ? { select } : {}), ...(top !== undefined ? { top } : {}), ...(skip !== undefined ? { skip } : {}) };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function isLink(v: Json): v is { '@odata.id': string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v['@odata.id'] === 'string';
}

/**
 * Replaces links with the resources they name, to the given depth. "."
 * expands links outside Links, "~" those inside Links, "*" both.
 */
export async function expandLinks(
  body: JsonObject,
  opt: ExpandOption,
  resolve: (path: string) => Promise<JsonObject | undefined>,
): Promise<JsonObject> {
  const walk = async (v: Json, inLinks: boolean, levels: number): Promise<Json> => {
    if (Array.isArray(v)) return Promise.all(v.map((x) => walk(x, inLinks, levels)));
    if (v === null || typeof v !== 'object') return v;
    if (isLink(v)) {
      const wanted = opt.kind === '*' || (opt.kind === '.' ? !inLinks : inLinks);
      if (!wanted) return v;
      const target = await resolve(v['@odata.id']);
      if (!target) return v;
      return levels > 1 ? walkObject(target, false, levels - 1) : target;
    }
    return walkObject(v, inLinks, levels);
  };
  const walkObject = async (o: JsonObject, inLinks: boolean, levels: number): Promise<JsonObject> => {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(o)) {
      // the resource's own @odata.id and annotation links are not expanded
      if (k === '@odata.id' || k.includes('@')) out[k] = v;
      else out[k] = await walk(v, inLinks || k === 'Links', levels);
    }
    return out;
  };
  return walkObject(body, false, opt.levels);
}

/** Keeps the selected properties (and the required @odata ones). */
export function selectProperties(body: JsonObject, select: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of ['@odata.id', '@odata.type', '@odata.context', '@odata.etag', 'Id', 'Name']) {
    const v = body[k];
    if (v !== undefined && (k.startsWith('@') || select.includes(k))) out[k] = v;
  }
  for (const path of select) {
    const [head, ...rest] = path.split('/');
    const v = body[head!];
    if (v === undefined) continue;
    if (rest.length === 0 || v === null || typeof v !== 'object' || Array.isArray(v)) out[head!] = v;
    else {
      const prev = out[head!];
      const sub = selectProperties(v, [rest.join('/')]);
      out[head!] = prev && typeof prev === 'object' && !Array.isArray(prev) ? { ...prev, ...sub } : sub;
    }
  }
  return out;
}

/** $top/$skip on a collection's Members, with the next link. */
export function pageMembers(body: JsonObject, top: number | undefined, skip: number | undefined, path: string): JsonObject {
  const members = body.Members;
  if (!Array.isArray(members)) return body;
  const from = skip ?? 0;
  const to = top === undefined ? members.length : Math.min(members.length, from + top);
  const out: JsonObject = { ...body, Members: members.slice(from, to) };
  if (to < members.length) out['Members@odata.nextLink'] = `${path}?$skip=${to}${top !== undefined ? `&$top=${top}` : ''}`;
  return out;
}
