// Stream authentication: where the token is read from, and the 4401/4403 decisions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../model/testing.js';
import { SessionStore } from '../redfish/sessions.js';
import { authorize, CloseCode, recheck, selectProtocol, StreamError, tokenFrom } from './auth.js';
import { addReadOnly } from './testing.js';

function code(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof StreamError);
    return e.code;
  }
}

test('the token comes from X-Auth-Token, else from the x-auth-token.<token> subprotocol', () => {
  assert.equal(tokenFrom({ 'x-auth-token': 'abc' }), 'abc');
  assert.equal(tokenFrom({ 'sec-websocket-protocol': 'tsbmc.v1, x-auth-token.Zz-_9' }), 'Zz-_9');
  assert.equal(tokenFrom({ 'x-auth-token': 'hdr', 'sec-websocket-protocol': 'tsbmc.v1, x-auth-token.proto' }), 'hdr');
  assert.equal(tokenFrom({ 'sec-websocket-protocol': 'x-auth-token.' }), undefined);
  assert.equal(tokenFrom({ authorization: 'Basic YWRtaW46cGFzc3dvcmQ=' }), undefined);
  assert.equal(tokenFrom({}), undefined);
});

test('the server selects tsbmc.v1 and never echoes the token entry', () => {
  assert.equal(selectProtocol(new Set(['x-auth-token.abc', 'tsbmc.v1'])), 'tsbmc.v1');
  assert.equal(selectProtocol(new Set(['x-auth-token.abc'])), false);
});

test('authorize: sessions only; privileges from the account now', () => {
  const { bmc, clock } = makeTestBmc();
  const sessions = new SessionStore(bmc);
  const ro = addReadOnly(bmc);
  const admin = sessions.create(2, 'admin', '127.0.0.1')!;
  const reader = sessions.create(ro, 'reader', '127.0.0.1')!;
  assert.equal(code(() => authorize(sessions, undefined, 'Login')), CloseCode.Unauthorized);
  assert.equal(code(() => authorize(sessions, 'nope', 'Login')), CloseCode.Unauthorized);
  assert.equal(authorize(sessions, admin.token, 'ConfigureComponents').principal.role, 'Administrator');
  assert.equal(authorize(sessions, reader.token, 'Login').principal.role, 'ReadOnly');
  assert.equal(code(() => authorize(sessions, reader.token, 'ConfigureComponents')), CloseCode.Forbidden);
  bmc.users.setEnabled(ro, false);
  assert.equal(code(() => authorize(sessions, reader.token, 'Login')), CloseCode.Unauthorized);
  clock.advance((sessions.timeoutS + 1) * 1000);
  assert.equal(code(() => authorize(sessions, admin.token, 'Login')), CloseCode.Unauthorized, 'expired');
});

test('recheck: logout and expiry are 4401, a lost privilege 4403, a live session nothing', () => {
  const { bmc, clock } = makeTestBmc();
  const sessions = new SessionStore(bmc);
  const op = sessions.create(3, 'operator', '127.0.0.1')!;
  const admin = sessions.create(2, 'admin', '127.0.0.1')!;
  assert.equal(recheck(sessions, op, 'ConfigureComponents'), undefined);
  bmc.users.setRole(3, 'ReadOnly');
  assert.equal(recheck(sessions, op, 'ConfigureComponents')?.code, CloseCode.Forbidden);
  assert.equal(recheck(sessions, op, 'Login'), undefined);
  sessions.delete(op.id);
  assert.equal(recheck(sessions, op, 'Login')?.code, CloseCode.Unauthorized);
  clock.advance((sessions.timeoutS + 1) * 1000);
  assert.equal(recheck(sessions, admin, 'Login')?.code, CloseCode.Unauthorized);
});
