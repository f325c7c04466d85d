// The UI's only way to the BMC: Redfish over HTTPS with a session token, and
// the documented WebSocket streams (docs/STREAMS.md). No private back doors.

export interface RedfishErrorInfo {
  status: number;
  messageId?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(readonly info: RedfishErrorInfo) {
    super(info.message);
  }
}

export interface Session {
  token: string;
  location: string;
  user: string;
  role: 'Administrator' | 'Operator' | 'ReadOnly';
}

const KEY = 'tsbmc.session';
type Json = Record<string, any>;

export class Api {
  session: Session | undefined;
  onExpired: () => void = () => {};

  constructor() {
    const saved = sessionStorage.getItem(KEY);
    if (saved) {
      try {
        this.session = JSON.parse(saved) as Session;
      } catch {
        sessionStorage.removeItem(KEY);
      }
    }
  }

  async login(user: string, password: string): Promise<Session> {
    const r = await fetch('/redfish/v1/SessionService/Sessions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
      body: JSON.stringify({ UserName: user, Password: password }),
    });
    if (r.status !== 201) throw new ApiError(await errorOf(r));
    const token = r.headers.get('X-Auth-Token') ?? '';
    const location = r.headers.get('Location') ?? '';
    this.session = { token, location, user, role: 'ReadOnly' };
    const accounts = await this.get('/redfish/v1/AccountService/Accounts?$expand=.');
    const me = (accounts.Members as Json[]).find((a) => a.UserName === user);
    this.session.role = (me?.RoleId as Session['role'] | undefined) ?? 'ReadOnly';
    sessionStorage.setItem(KEY, JSON.stringify(this.session));
    return this.session;
  }

  async logout(): Promise<void> {
    const s = this.session;
    this.forget();
    if (s) await fetch(s.location, { method: 'DELETE', headers: { 'X-Auth-Token': s.token, 'X-Requested-With': 'XMLHttpRequest' } }).catch(() => undefined);
  }

  forget(): void {
    this.session = undefined;
    sessionStorage.removeItem(KEY);
  }

  async request(method: string, path: string, body?: unknown): Promise<Json> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
    if (this.session) headers['X-Auth-Token'] = this.session.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (r.status === 401 && this.session) {
      this.forget();
      this.onExpired();
    }
    if (!r.ok) throw new ApiError(await errorOf(r));
    if (r.status === 204) return {};
    const text = await r.text();
    return text ? (JSON.parse(text) as Json) : {};
  }

  get(path: string): Promise<Json> {
    return this.request('GET', path);
  }
  patch(path: string, body: unknown): Promise<Json> {
    return this.request('PATCH', path, body);
  }
  post(path: string, body: unknown): Promise<Json> {
    return this.request('POST', path, body);
  }
  delete(path: string): Promise<Json> {
    return this.request('DELETE', path);
  }

  /** Opens a documented WebSocket stream with the session token in the subprotocol list. */
  stream(path: string): WebSocket {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    return new WebSocket(url, ['tsbmc.v1', `x-auth-token.${this.session?.token ?? ''}`]);
  }

  can(action: 'operate' | 'administer'): boolean {
    const role = this.session?.role;
    return action === 'operate' ? role === 'Administrator' || role === 'Operator' : role === 'Administrator';
  }
}

async function errorOf(r: Response): Promise<RedfishErrorInfo> {
  try {
    const b = (await r.json()) as Json;
    const info = b.error?.['@Message.ExtendedInfo']?.[0];
    return { status: r.status, messageId: info?.MessageId, message: info?.Message ?? b.error?.message ?? r.statusText };
  } catch {
    return { status: r.status, message: r.statusText || `HTTP ${r.status}` };
  }
}

export const api = new Api();
