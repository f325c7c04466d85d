// SessionService and Sessions (DSP0266 13.3.4): POST to the collection logs
// in (201, X-Auth-Token, Location), DELETE logs out. Everyone may see and end
// their own sessions; ConfigureManager sees and ends all.
import { Base, Errors, RedfishError } from '../messages.js';
import { readBody } from '../body.js';
import { ROOT, paths } from '../ids.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import type { RedfishSession } from '../sessions.js';

const SESSIONS = `${ROOT}/SessionService/Sessions`;

function sessionBody(s: RedfishSession): JsonObject {
  return {
    '@odata.id': paths.session(s.id),
    '@odata.type': odataType('Session'),
    Id: s.id,
    Name: 'User Session',
    UserName: s.userName,
    SessionType: 'Redfish',
    CreatedTime: new Date(s.created).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    ClientOriginIPAddress: s.clientAddress,
    ...(s.context !== undefined ? { Context: s.context } : {}),
  };
}

function canSeeAll(ctx: RequestContext): boolean {
  return ctx.principal?.privileges.has('ConfigureManager') ?? false;
}

function ownSession(ctx: RequestContext): boolean {
  const s = ctx.services.sessions.get(ctx.params.SessionId ?? '');
  return s !== undefined && s.userId === ctx.principal?.userId;
}

export function sessionRoutes(): RouteDef[] {
  return [
    {
      path: `${ROOT}/SessionService`,
      entity: 'SessionService',
      get: (ctx) => ({
        '@odata.id': `${ROOT}/SessionService`,
        '@odata.type': odataType('SessionService'),
        Id: 'SessionService',
        Name: 'Session Service',
        Description: 'Redfish login sessions',
        ServiceEnabled: true,
        SessionTimeout: ctx.services.sessions.timeoutS,
        Status: { State: 'Enabled', Health: 'OK' },
        Sessions: { '@odata.id': SESSIONS },
      }),
      patch: (ctx) => {
        const b = readBody<{ SessionTimeout?: number }>(ctx.body, {
          SessionTimeout: { type: 'integer', min: 30, max: 86400 },
          ServiceEnabled: { type: 'boolean', readOnly: true },
        });
        if (b.SessionTimeout !== undefined) ctx.services.sessions.timeoutS = b.SessionTimeout;
        return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
      },
    },
    {
      path: SESSIONS,
      entity: 'SessionCollection',
      public: ['POST'],
      get: (ctx) => {
        const all = ctx.services.sessions.list().filter((s) => canSeeAll(ctx) || s.userId === ctx.principal?.userId);
        return collection('Session', SESSIONS, 'Session Collection', all.map((s) => paths.session(s.id)));
      },
      post: (ctx) => {
        const b = readBody<{ UserName: string; Password: string; Context?: string }>(
          ctx.body,
          { UserName: { type: 'string', maxLength: 64 }, Password: { type: 'string', maxLength: 64 }, Context: { type: 'string', maxLength: 256 } },
          { required: ['UserName', 'Password'] },
        );
        const r = ctx.bmc.users.authenticate(b.UserName, Buffer.from(b.Password, 'latin1'));
        if (!r.ok) {
          // no WWW-Authenticate here: a failed login is not a Basic challenge,
          // and browsers would answer one with a credentials dialog
          throw new RedfishError(401, [Base.message('ResourceAtUriUnauthorized', [SESSIONS, 'Invalid username or password'])]);
        }
        const s = ctx.services.sessions.create(r.user.id, r.user.name, ctx.clientAddress, b.Context);
        if (!s) throw Errors.sessionLimit();
        ctx.services.log.info('Redfish login', { user: r.user.name, client: ctx.clientAddress });
        return {
          status: 201,
          headers: { 'X-Auth-Token': s.token, Location: paths.session(s.id) },
          body: sessionBody(s),
        };
      },
    },
    {
      path: `${SESSIONS}/{SessionId}`,
      entity: 'Session',
      allowIf: { GET: ownSession, DELETE: ownSession },
      get: (ctx) => {
        const s = ctx.services.sessions.get(ctx.params.SessionId ?? '');
        if (!s || (!canSeeAll(ctx) && s.userId !== ctx.principal?.userId)) throw Errors.notFound('Session', ctx.params.SessionId ?? '');
        return sessionBody(s);
      },
      delete: (ctx) => {
        const id = ctx.params.SessionId ?? '';
        const s = ctx.services.sessions.get(id);
        if (!s || (!canSeeAll(ctx) && s.userId !== ctx.principal?.userId)) throw Errors.notFound('Session', id);
        ctx.services.sessions.delete(id);
        return { status: 204 };
      },
    },
  ];
}
