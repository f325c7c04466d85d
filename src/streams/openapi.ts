// OpenAPI 3.1 description (https://spec.openapis.org/oas/v3.1.0) of the
// BMC's non-Redfish HTTP endpoints: the WebSocket streams, documented as
// GET operations that upgrade (RFC 6455 4.1: 101 Switching Protocols) with
// their messages under the `x-websocket` extension, and this document
// itself (/openapi.json, and /openapi, a plain HTML rendering: no script,
// no CDN). Redfish is described by its own CSDL ($metadata) and JSON
// schemas, not here. docs/STREAMS.md is the prose version.
import { APP_PROTOCOL, CloseCode, TOKEN_PROTOCOL_PREFIX } from './auth.js';
import { CONSOLE_INPUT_LIMIT, CONSOLE_PATH, MAX_CONSOLES_PER_HOST } from './console.js';
import { EVENTS_PATH } from './events.js';
import { KVM_CONNECT_WINDOW_MS, KVM_PATH, KVM_PRIVILEGE, MAX_KVM_PER_HOST, UNSUPPORTED_DATA } from './kvm.js';
import { DEFAULT_INTERVAL_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS, SENSORS_PATH } from './sensors.js';

export const OPENAPI_JSON_PATH = '/openapi.json';
export const OPENAPI_HTML_PATH = '/openapi';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };

const CLOSE_CODES: JsonObj = {
  [CloseCode.Normal]: 'Normal closure',
  [CloseCode.GoingAway]: 'The BMC is shutting down',
  1009: `Message too big (client messages are limited to 16 KiB)`,
  [CloseCode.BadRequest]: 'Bad query parameter (unknown parameter, bad number, bad $filter)',
  [CloseCode.Unauthorized]: 'No or unknown session token, or the session ended (logout, expiry, account disabled)',
  [CloseCode.Forbidden]: "The session's account lacks the stream's privilege",
  [CloseCode.UnknownHost]: 'No such host or system',
  [CloseCode.TooMany]: 'Too many streams of this kind open',
  [CloseCode.Unavailable]: 'Internal error opening the stream',
};

const upgradeHeaders: Json[] = [
  { name: 'Upgrade', in: 'header', required: true, schema: { const: 'websocket' } },
  { name: 'Connection', in: 'header', required: true, schema: { type: 'string', examples: ['Upgrade'] } },
  { name: 'Sec-WebSocket-Version', in: 'header', required: true, schema: { const: '13' } },
  { name: 'Sec-WebSocket-Key', in: 'header', required: true, schema: { type: 'string' } },
  {
    name: 'Sec-WebSocket-Protocol',
    in: 'header',
    required: false,
    description: `Browsers: offer \`${APP_PROTOCOL}\` and \`${TOKEN_PROTOCOL_PREFIX}<session token>\`; the server selects \`${APP_PROTOCOL}\` and never echoes the token entry.`,
    schema: { type: 'string', examples: [`${APP_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}AbC123`] },
  },
];

const hostParams: Json[] = [
  { name: 'host', in: 'query', required: false, description: 'Host index (0-based). Default: the first host.', schema: { type: 'integer', minimum: 0 } },
  { name: 'system', in: 'query', required: false, description: 'The Redfish ComputerSystem Id instead of host (e.g. `system`, `node1`).', schema: { type: 'string' } },
];

function wsOperation(o: { id: string; summary: string; description: string; privilege: string; params: Json[]; messages: JsonObj; closeCodes?: JsonObj }): JsonObj {
  return {
    operationId: o.id,
    summary: o.summary,
    description: `${o.description}\n\nWebSocket (RFC 6455) over the HTTPS port. Requires the Redfish privilege \`${o.privilege}\`. Refusals happen after the upgrade, as close codes (a browser cannot read a refused handshake's status).`,
    tags: ['streams'],
    security: [{ sessionToken: [] }, { sessionSubprotocol: [] }],
    parameters: [...upgradeHeaders, ...o.params],
    responses: {
      '101': { description: `Switching Protocols: the WebSocket is open (subprotocol \`${APP_PROTOCOL}\` when offered).` },
      '426': { description: 'Upgrade Required: a plain GET on a WebSocket endpoint.', content: { 'application/json': { schema: { type: 'object' } } } },
    },
    'x-websocket': { privilege: o.privilege, closeCodes: { ...CLOSE_CODES, ...o.closeCodes }, messages: o.messages },
  };
}

const sensorReading: JsonObj = {
  type: 'object',
  required: ['id', 'number', 'value', 'health'],
  properties: {
    id: { type: 'string', description: 'Redfish Sensor Id under the Chassis' },
    number: { type: 'integer', description: 'IPMI sensor number' },
    value: { type: ['number', 'null'] },
    health: { enum: ['OK', 'Warning', 'Critical', null] },
  },
};

/** The document (pure; built once per server). */
export function openApiDocument(): JsonObj {
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsbmc non-Redfish endpoints',
      version: '1.0.0',
      description:
        'WebSocket streams for the web UI and this description. Everything else is Redfish under /redfish/v1 (see /redfish/v1/$metadata). ' +
        'The optional plain-HTTP port only redirects to HTTPS (301 for GET/HEAD, 308 otherwise). See docs/STREAMS.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/' }],
    tags: [
      { name: 'streams', description: 'WebSocket streams' },
      { name: 'meta', description: 'This description' },
    ],
    paths: {
      [SENSORS_PATH]: {
        get: wsOperation({
          id: 'sensorStream',
          summary: "A host's sensor readings and state, live",
          description: `Server to client only, JSON text messages. First a \`snapshot\`, then \`readings\` (at most one value per sensor per interval; a slow client gets only the latest), and \`power\`, \`identify\`, \`health\`, \`threshold\`, \`sel\` when they change. Client messages are ignored.`,
          privilege: 'Login',
          params: [
            ...hostParams,
            { name: 'interval', in: 'query', required: false, description: 'Reading interval, ms', schema: { type: 'integer', minimum: MIN_INTERVAL_MS, maximum: MAX_INTERVAL_MS, default: DEFAULT_INTERVAL_MS } },
          ],
          messages: {
            serverToClient: {
              oneOf: [
                { $ref: '#/components/schemas/SensorSnapshot' },
                { type: 'object', required: ['type', 'readings'], properties: { type: { const: 'readings' }, readings: { type: 'array', items: sensorReading } } },
                { type: 'object', required: ['type', 'state', 'cause'], properties: { type: { const: 'power' }, state: { enum: ['On', 'Off', 'PoweringOn', 'PoweringOff'] }, cause: { type: 'string' } } },
                { type: 'object', required: ['type', 'on'], properties: { type: { const: 'identify' }, on: { type: 'boolean' } } },
                { type: 'object', required: ['type', 'health'], properties: { type: { const: 'health' }, health: { enum: ['OK', 'Warning', 'Critical'] } } },
                {
                  type: 'object',
                  required: ['type', 'sensor', 'threshold', 'assertion'],
                  properties: {
                    type: { const: 'threshold' },
                    sensor: { type: 'string' },
                    number: { type: 'integer' },
                    threshold: { enum: ['LowerCaution', 'LowerCritical', 'LowerFatal', 'UpperCaution', 'UpperCritical', 'UpperFatal'] },
                    assertion: { type: 'boolean' },
                    value: { type: ['number', 'null'] },
                    health: { enum: ['OK', 'Warning', 'Critical', null] },
                  },
                },
                { type: 'object', required: ['type', 'entries', 'change'], properties: { type: { const: 'sel' }, entries: { type: 'integer' }, change: { enum: ['added', 'deleted', 'cleared'] }, recordId: { type: ['integer', 'null'] } } },
              ],
            },
            clientToServer: { description: 'None (ignored).' },
          },
        }),
      },
      [EVENTS_PATH]: {
        get: wsOperation({
          id: 'eventStream',
          summary: 'The Redfish event stream',
          description:
            'Server to client only, JSON text messages: `ready`, then one `event` per Redfish EventRecord (Event v1_13_0 `Events[]` member), the same records push subscriptions and the SSE stream get. `gap` reports events the replay buffer no longer held for a slow or resuming client. Nothing is sent while the EventService is disabled.',
          privilege: 'Login',
          params: [
            { name: '$filter', in: 'query', required: false, description: "The SSE filter grammar of DSP0266 13.5.4, e.g. `MessageId eq 'ResourceEvent.ResourceCreated'`", schema: { type: 'string', maxLength: 1024 } },
            { name: 'since', in: 'query', required: false, description: 'Resume after this EventId (replays what the buffer holds).', schema: { type: 'integer', minimum: 0 } },
          ],
          messages: {
            serverToClient: {
              oneOf: [
                { type: 'object', required: ['type', 'lastEventId'], properties: { type: { const: 'ready' }, lastEventId: { type: 'string' } } },
                { type: 'object', required: ['type', 'id', 'event'], properties: { type: { const: 'event' }, id: { type: 'string' }, event: { type: 'object', description: 'Redfish EventRecord' } } },
                { type: 'object', required: ['type', 'after', 'next', 'lost'], properties: { type: { const: 'gap' }, after: { type: 'string' }, next: { type: 'string' }, lost: { type: 'integer' } } },
              ],
            },
            clientToServer: { description: 'None (ignored).' },
          },
        }),
      },
      [CONSOLE_PATH]: {
        get: wsOperation({
          id: 'consoleStream',
          summary: "A host's serial console, both ways",
          description: `Binary messages carry console bytes both ways; text messages are JSON control. On connect: \`ready\` (text), then the history from \`since\` (binary), then live output. Input (binary, or text \`{"type":"input","data":"..."}\`, \`{"type":"break"}\`) needs \`ConfigureComponents\`; others get an \`error\` message. At most ${MAX_CONSOLES_PER_HOST} consoles per host; input messages up to ${CONSOLE_INPUT_LIMIT} bytes.`,
          privilege: 'Login',
          params: [...hostParams, { name: 'since', in: 'query', required: false, description: 'Absolute console offset to resume from (the `offset` of `ready` plus bytes received).', schema: { type: 'integer', minimum: 0 } }],
          messages: {
            serverToClient: {
              oneOf: [
                { type: 'string', contentMediaType: 'application/octet-stream', description: 'Binary message: console output, contiguous from the last offset announced' },
                {
                  type: 'object',
                  required: ['type', 'host', 'offset', 'lost', 'end', 'input'],
                  properties: {
                    type: { const: 'ready' },
                    host: { type: 'integer' },
                    systemId: { type: 'string' },
                    offset: { type: 'integer', description: 'Offset of the first byte to follow' },
                    lost: { type: 'integer', description: 'Bytes asked for (since) that the history no longer holds' },
                    end: { type: 'integer', description: 'Offset one past the history sent' },
                    input: { type: 'boolean', description: 'Whether this session may type' },
                  },
                },
                { type: 'object', required: ['type', 'offset', 'lost'], properties: { type: { const: 'gap' }, offset: { type: 'integer' }, lost: { type: 'integer' } } },
                { type: 'object', required: ['type', 'error', 'message'], properties: { type: { const: 'error' }, error: { enum: ['InsufficientPrivilege', 'NoConsole', 'BadMessage', 'TooLarge'] }, message: { type: 'string' } } },
              ],
            },
            clientToServer: {
              oneOf: [
                { type: 'string', contentMediaType: 'application/octet-stream', description: 'Binary message: bytes typed' },
                { type: 'object', required: ['type', 'data'], additionalProperties: false, properties: { type: { const: 'input' }, data: { type: 'string' } } },
                { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'break' } } },
              ],
            },
          },
        }),
      },
      [KVM_PATH]: {
        get: wsOperation({
          id: 'kvmStream',
          summary: "A host's graphical console (KVM over IP): RFB over WebSocket",
          description: `Binary messages both ways carry the bytes of the host's VNC server, RFB 3.8 (RFC 6143), unchanged: the client negotiates version, security type and encodings with the VNC server itself (noVNC works as is). Message boundaries carry no meaning; client messages are at most 16 KiB (split longer data). Keyboard and mouse act on the host, so opening needs \`${KVM_PRIVILEGE}\`. Only hosts with a display (the QEMU backend with \`vnc: true\`, ComputerSystem \`GraphicalConsole.ServiceEnabled\`) that are on; right after power on, connecting to the display is retried for up to ${KVM_CONNECT_WINDOW_MS / 1000} s. At most ${MAX_KVM_PER_HOST} per host.`,
          privilege: KVM_PRIVILEGE,
          params: hostParams,
          closeCodes: {
            [UNSUPPORTED_DATA]: 'A text message (RFB is binary)',
            [CloseCode.TooMany]: `More than ${MAX_KVM_PER_HOST} KVM streams on this host`,
            [CloseCode.Unavailable]: 'The host has no display, is off, powered off, or its display closed the connection or did not come up',
          },
          messages: {
            serverToClient: { type: 'string', contentMediaType: 'application/octet-stream', description: "Binary messages: the VNC server's RFB bytes" },
            clientToServer: { type: 'string', contentMediaType: 'application/octet-stream', description: 'Binary messages: RFB bytes for the VNC server' },
          },
        }),
      },
      [OPENAPI_JSON_PATH]: {
        get: {
          operationId: 'openApiDocument',
          summary: 'This OpenAPI 3.1 document',
          tags: ['meta'],
          security: [],
          responses: { '200': { description: 'The document', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      [OPENAPI_HTML_PATH]: {
        get: {
          operationId: 'openApiPage',
          summary: 'This document as a plain HTML page',
          tags: ['meta'],
          security: [],
          responses: { '200': { description: 'HTML (no script)', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        sessionToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A Redfish session token (POST /redfish/v1/SessionService/Sessions).' },
        sessionSubprotocol: {
          type: 'apiKey',
          in: 'header',
          name: 'Sec-WebSocket-Protocol',
          description: `For browsers: \`new WebSocket(url, ['${APP_PROTOCOL}', '${TOKEN_PROTOCOL_PREFIX}' + token])\`.`,
        },
      },
      schemas: {
        SensorSnapshot: {
          type: 'object',
          required: ['type', 'host', 'systemId', 'system', 'chassis', 'intervalMs', 'power', 'identify', 'health', 'sel', 'sensors'],
          properties: {
            type: { const: 'snapshot' },
            host: { type: 'integer' },
            systemId: { type: 'string' },
            system: { type: 'string', description: 'Redfish ComputerSystem URI' },
            chassis: { type: 'string', description: 'Redfish Chassis URI' },
            intervalMs: { type: 'integer' },
            power: { enum: ['On', 'Off', 'PoweringOn', 'PoweringOff'] },
            identify: { type: 'boolean' },
            health: { enum: ['OK', 'Warning', 'Critical'] },
            sel: { type: 'object', properties: { entries: { type: 'integer' } } },
            sensors: {
              type: 'array',
              items: {
                allOf: [
                  sensorReading,
                  {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      uri: { type: 'string' },
                      readingType: { type: ['string', 'null'] },
                      units: { type: 'string' },
                      present: { type: 'boolean' },
                      thresholds: { type: 'object', additionalProperties: { type: 'number' } },
                    },
                  },
                ],
              },
            },
          },
        },
      },
    },
  };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isObj(v: Json | undefined): v is JsonObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** The document as one self-contained HTML page (no script; inline style only). */
export function openApiHtml(doc: JsonObj): string {
  const info = isObj(doc.info) ? doc.info : {};
  const out: string[] = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>',
    esc(str(info.title)),
    '</title><style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}',
    'code,pre{font-family:ui-monospace,monospace}pre{background:#f4f4f4;padding:.5rem;overflow:auto;font-size:12px}',
    'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}',
    '.m{font-weight:bold;color:#fff;background:#1b6ac9;padding:0 .4rem;border-radius:3px}</style></head><body>',
    `<h1>${esc(str(info.title))} <small>${esc(str(info.version))}</small></h1><p>${esc(str(info.description))}</p>`,
    `<p>OpenAPI ${esc(str(doc.openapi))} document: <a href="${OPENAPI_JSON_PATH}">${OPENAPI_JSON_PATH}</a></p>`,
  ];
  const paths = isObj(doc.paths) ? doc.paths : {};
  out.push('<ul>');
  for (const p of Object.keys(paths)) out.push(`<li><a href="#${esc(p)}"><code>${esc(p)}</code></a></li>`);
  out.push('</ul>');
  for (const [p, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObj(op)) continue;
      out.push(`<h2 id="${esc(p)}"><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(p)}</code></h2>`);
      out.push(`<p><b>${esc(str(op.summary))}</b></p>`);
      if (op.description !== undefined) out.push(`<p>${esc(str(op.description)).replace(/\n\n/g, '</p><p>')}</p>`);
      const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : [];
      if (params.length > 0) {
        out.push('<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>');
        for (const q of params) {
          out.push(`<tr><td><code>${esc(str(q.name))}</code></td><td>${esc(str(q.in))}</td><td>${q.required === true ? 'yes' : 'no'}</td><td>${esc(str(q.description))}</td></tr>`);
        }
        out.push('</table>');
      }
      if (isObj(op.responses)) {
        out.push('<p>Responses: ');
        out.push(
          Object.entries(op.responses)
            .map(([code, r]) => `<code>${esc(code)}</code> ${esc(isObj(r) ? str(r.description) : '')}`)
            .join('; '),
        );
        out.push('</p>');
      }
      const ws = op['x-websocket'];
      if (isObj(ws)) {
        if (isObj(ws.closeCodes)) {
          out.push('<table><tr><th>Close code</th><th>Meaning</th></tr>');
          for (const [c, d] of Object.entries(ws.closeCodes)) out.push(`<tr><td>${esc(c)}</td><td>${esc(str(d))}</td></tr>`);
          out.push('</table>');
        }
        out.push(`<details><summary>Messages (JSON Schema)</summary><pre>${esc(JSON.stringify(ws.messages, null, 2))}</pre></details>`);
      }
    }
  }
  out.push('</body></html>\n');
  return out.join('');
}
