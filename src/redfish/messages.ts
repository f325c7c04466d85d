// Redfish messages from the DMTF message registries (DSP8011): the Base
// registry's messages become the `@Message.ExtendedInfo` of every error and
// of success answers. Registries are loaded once from redfish/registries/
// (unmodified DMTF data) and served as they are.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REGISTRIES_DIR = fileURLToPath(new URL('../../../redfish/registries/', import.meta.url));

interface RegistryMessage {
  Message: string;
  NumberOfArgs?: number;
  MessageSeverity?: string;
  Severity?: string;
  Resolution?: string;
}

interface RegistryFile {
  Id: string;
  RegistryPrefix: string;
  RegistryVersion: string;
  Messages: Record<string, RegistryMessage>;
}

export interface RedfishMessage {
  '@odata.type': '#Message.v1_1_1.Message';
  MessageId: string;
  Message: string;
  MessageArgs: string[];
  MessageSeverity: string;
  Resolution: string;
  RelatedProperties?: string[];
}

export class MessageRegistry {
  readonly id: string;
  readonly prefix: string;
  readonly file: RegistryFile;

  constructor(file: RegistryFile) {
    this.file = file;
    this.id = file.Id;
    this.prefix = file.RegistryPrefix;
  }

  static load(fileName: string): MessageRegistry {
    return new MessageRegistry(JSON.parse(readFileSync(REGISTRIES_DIR + fileName, 'utf8')) as RegistryFile);
  }

  message(key: string, args: readonly (string | number)[] = [], related?: readonly string[]): RedfishMessage {
    const m = this.file.Messages[key];
    if (!m) throw new Error(`no message ${key} in ${this.id}`);
    const strArgs = args.map(String);
    const text = m.Message.replace(/%(\d+)/g, (_, n: string) => strArgs[Number(n) - 1] ?? '');
    return {
      '@odata.type': '#Message.v1_1_1.Message',
      MessageId: `${this.id}.${key}`,
      Message: text,
      MessageArgs: strArgs,
      MessageSeverity: m.MessageSeverity ?? m.Severity ?? 'OK',
      Resolution: m.Resolution ?? 'None.',
      ...(related && related.length ? { RelatedProperties: [...related] } : {}),
    };
  }
}

export const Base = MessageRegistry.load('Base.1.22.1.json');

/** An error a Redfish handler raises: an HTTP status and Base registry messages. */
export class RedfishError extends Error {
  override readonly name = 'RedfishError';
  constructor(
    readonly status: number,
    readonly messages: RedfishMessage[],
    readonly headers: Record<string, string> = {},
  ) {
    super(messages[0]?.Message ?? `HTTP ${status}`);
  }
}

/** The `{"error": {...}}` body of DSP0266 9.6 for a list of messages. */
export function errorBody(messages: readonly RedfishMessage[]): unknown {
  const first = messages[0];
  const general = messages.length === 1 && first ? first : Base.message('GeneralError');
  return {
    error: {
      code: general.MessageId,
      message: general.Message,
      '@Message.ExtendedInfo': messages,
    },
  };
}

/** Short-hands for the errors handlers raise most. */
export const Errors = {
  notFound: (type: string, id: string) => new RedfishError(404, [Base.message('ResourceNotFound', [type, id])]),
  malformedJson: () => new RedfishError(400, [Base.message('MalformedJSON')]),
  propertyUnknown: (p: string) => new RedfishError(400, [Base.message('PropertyUnknown', [p], [`#/${p}`])]),
  propertyValueType: (value: unknown, p: string) =>
    new RedfishError(400, [Base.message('PropertyValueTypeError', [stringify(value), p], [`#/${p}`])]),
  propertyValueNotInList: (value: unknown, p: string) =>
    new RedfishError(400, [Base.message('PropertyValueNotInList', [stringify(value), p], [`#/${p}`])]),
  propertyValueFormat: (value: unknown, p: string) =>
    new RedfishError(400, [Base.message('PropertyValueFormatError', [stringify(value), p], [`#/${p}`])]),
  propertyValueOutOfRange: (value: unknown, p: string) =>
    new RedfishError(400, [Base.message('PropertyValueOutOfRange', [stringify(value), p], [`#/${p}`])]),
  propertyNotWritable: (p: string) => new RedfishError(400, [Base.message('PropertyNotWritable', [p], [`#/${p}`])]),
  propertyMissing: (p: string) => new RedfishError(400, [Base.message('PropertyMissing', [p], [`#/${p}`])]),
  actionParameterMissing: (action: string, p: string) => new RedfishError(400, [Base.message('ActionParameterMissing', [action, p])]),
  actionParameterNotInList: (value: unknown, p: string, action: string) =>
    new RedfishError(400, [Base.message('ActionParameterValueNotInList', [stringify(value), p, action])]),
  actionParameterValue: (p: string, action: string) => new RedfishError(400, [Base.message('ActionParameterValueError', [p, action])]),
  actionNotSupported: (action: string) => new RedfishError(400, [Base.message('ActionNotSupported', [action])]),
  noValidSession: () => new RedfishError(401, [Base.message('NoValidSession')], { 'WWW-Authenticate': 'Basic realm="tsbmc"' }),
  insufficientPrivilege: () => new RedfishError(403, [Base.message('InsufficientPrivilege')]),
  operationNotAllowed: (allow: string) => new RedfishError(405, [Base.message('OperationNotAllowed')], { Allow: allow }),
  preconditionFailed: () => new RedfishError(412, [Base.message('PreconditionFailed')]),
  payloadTooLarge: () => new RedfishError(413, [Base.message('PayloadTooLarge')]),
  queryNotSupported: () => new RedfishError(501, [Base.message('QueryNotSupported')]),
  queryNotSupportedOnResource: () => new RedfishError(400, [Base.message('QueryNotSupportedOnResource')]),
  queryValueFormat: (value: string, p: string) => new RedfishError(400, [Base.message('QueryParameterValueFormatError', [value, p])]),
  queryOutOfRange: (value: string, p: string, range: string) => new RedfishError(400, [Base.message('QueryParameterOutOfRange', [value, p, range])]),
  alreadyExists: (type: string, p: string, value: string) => new RedfishError(409, [Base.message('ResourceAlreadyExists', [type, p, value])]),
  createLimit: () => new RedfishError(400, [Base.message('CreateLimitReachedForResource')]),
  cannotDelete: () => new RedfishError(405, [Base.message('ResourceCannotBeDeleted')]),
  sessionLimit: () => new RedfishError(503, [Base.message('SessionLimitExceeded')]),
  internal: () => new RedfishError(500, [Base.message('InternalError')]),
  stringTooLong: (value: string, limit: number) => new RedfishError(400, [Base.message('StringValueTooLong', [value, limit])]),
} as const;

function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
