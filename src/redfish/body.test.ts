// Unit tests of the strict PATCH/POST body reader (body.ts): every Base
// registry message it answers (DSP8011 Base 1.22), nested objects and
// arrays with their property paths, all problems reported together, and
// no coercion: "1" is not 1, "true" is not true, 1.5 is not an integer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readBody, type Spec } from './body.js';
import { RedfishError, type RedfishMessage } from './messages.js';

const spec: Spec = {
  Name: { type: 'string', maxLength: 8 },
  Mode: { type: 'string', enum: ['A', 'B'] },
  Mac: { type: 'string', pattern: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/ },
  Note: { type: 'string', nullable: true },
  Enabled: { type: 'boolean' },
  Count: { type: 'integer', min: 0, max: 10 },
  Ratio: { type: 'number', min: 0, max: 1 },
  Id: { type: 'string', readOnly: true },
  Boot: {
    type: 'object',
    fields: {
      Target: { type: 'string', enum: ['Pxe', 'Hdd'] },
      Inner: { type: 'object', fields: { Deep: { type: 'integer' } } },
    },
  },
  Servers: { type: 'array', items: { type: 'string', maxLength: 4 }, maxItems: 3 },
  Rules: { type: 'array', items: { type: 'object', fields: { Port: { type: 'integer', min: 1, max: 65535 } } } },
};

/** The messages readBody throws for a body, as [MessageId suffix, args, related]. */
function problems(body: unknown, opts: Parameters<typeof readBody>[2] = {}): [string, string[], string[] | undefined][] {
  try {
    readBody(body, spec, opts);
  } catch (e) {
    assert.ok(e instanceof RedfishError, String(e));
    assert.equal(e.status, 400);
    return e.messages.map((m: RedfishMessage) => [m.MessageId.replace('Base.1.22.1.', ''), m.MessageArgs, m.RelatedProperties]);
  }
  assert.fail('readBody accepted the body');
}

describe('readBody: accepted bodies', () => {
  it('returns the body unchanged, typed', () => {
    const body = { Name: 'x', Mode: 'A', Enabled: false, Count: 0, Ratio: 0.5, Note: null, Boot: { Target: 'Pxe', Inner: { Deep: 3 } }, Servers: ['a', 'b'], Rules: [{ Port: 22 }] };
    const copy = structuredClone(body);
    const out = readBody<typeof body>(body, spec);
    assert.equal(out, body);
    assert.deepEqual(body, copy, 'nothing coerced or stripped');
  });

  it('ignores @odata annotations', () => {
    assert.deepEqual(readBody({ '@odata.etag': 'W/"x"', Enabled: true }, spec), { '@odata.etag': 'W/"x"', Enabled: true });
  });

  it('an empty body is NoOperation unless allowed', () => {
    assert.deepEqual(problems({}), [['NoOperation', [], undefined]]);
    assert.deepEqual(problems({ '@odata.id': '/x' }), [['NoOperation', [], undefined]]);
    assert.deepEqual(readBody({}, spec, { allowEmpty: true }), {});
  });

  it('boundaries of ranges and lengths are inside', () => {
    readBody({ Count: 10, Ratio: 1, Name: '12345678', Servers: ['abcd', 'b', 'c'] }, spec);
  });
});

describe('readBody: every message', () => {
  it('MalformedJSON for a body that is not an object', () => {
    for (const b of [undefined, null, 1, 'x', true, [], [{ Name: 'x' }]]) assert.deepEqual(problems(b), [['MalformedJSON', [], undefined]], JSON.stringify(b));
  });

  it('PropertyUnknown, with the path and a JSON pointer', () => {
    assert.deepEqual(problems({ Nope: 1 }), [['PropertyUnknown', ['Nope'], ['#/Nope']]]);
    assert.deepEqual(problems({ Boot: { Nope: 1 } }), [['PropertyUnknown', ['Boot.Nope'], ['#/Boot/Nope']]]);
    assert.deepEqual(problems({ Boot: { Inner: { X: 1 } } }), [['PropertyUnknown', ['Boot.Inner.X'], ['#/Boot/Inner/X']]]);
    assert.deepEqual(problems({ Rules: [{ Port: 1 }, { Proto: 'tcp' }] }), [['PropertyUnknown', ['Rules.1.Proto'], ['#/Rules/1/Proto']]]);
  });

  it('PropertyNotWritable for read-only properties, whatever the value', () => {
    assert.deepEqual(problems({ Id: 'x' }), [['PropertyNotWritable', ['Id'], ['#/Id']]]);
    assert.deepEqual(problems({ Id: 5 }), [['PropertyNotWritable', ['Id'], ['#/Id']]]);
  });

  it('PropertyValueTypeError and never coerces', () => {
    const cases: [unknown, string, string][] = [
      [{ Name: 1 }, '1', 'Name'],
      [{ Enabled: 'true' }, 'true', 'Enabled'],
      [{ Enabled: 1 }, '1', 'Enabled'],
      [{ Count: '1' }, '1', 'Count'],
      [{ Count: 1.5 }, '1.5', 'Count'],
      [{ Count: true }, 'true', 'Count'],
      [{ Ratio: '0.5' }, '0.5', 'Ratio'],
      [{ Name: null }, 'null', 'Name'],
      [{ Boot: 'Pxe' }, 'Pxe', 'Boot'],
      [{ Boot: ['Pxe'] }, '["Pxe"]', 'Boot'],
      [{ Servers: 'a' }, 'a', 'Servers'],
      [{ Servers: { a: 1 } }, '{"a":1}', 'Servers'],
      [{ Servers: ['a', 2] }, '2', 'Servers.1'],
      [{ Boot: { Inner: { Deep: 'x' } } }, 'x', 'Boot.Inner.Deep'],
    ];
    for (const [body, shown, path] of cases) {
      assert.deepEqual(problems(body), [['PropertyValueTypeError', [shown, path], [`#/${path.replace(/\./g, '/')}`]]], JSON.stringify(body));
    }
  });

  it('null is accepted only where nullable', () => {
    readBody({ Note: null }, spec);
    assert.equal(problems({ Enabled: null })[0]?.[0], 'PropertyValueTypeError');
  });

  it('PropertyValueNotInList for values outside an enum', () => {
    assert.deepEqual(problems({ Mode: 'C' }), [['PropertyValueNotInList', ['C', 'Mode'], ['#/Mode']]]);
    assert.deepEqual(problems({ Mode: 'a' }), [['PropertyValueNotInList', ['a', 'Mode'], ['#/Mode']]], 'case matters');
    assert.deepEqual(problems({ Boot: { Target: 'Usb' } }), [['PropertyValueNotInList', ['Usb', 'Boot.Target'], ['#/Boot/Target']]]);
  });

  it('StringValueTooLong over maxLength', () => {
    assert.deepEqual(problems({ Name: '123456789' }), [['StringValueTooLong', ['123456789', '8'], ['#/Name']]]);
    assert.deepEqual(problems({ Servers: ['abcde'] }), [['StringValueTooLong', ['abcde', '4'], ['#/Servers/0']]]);
  });

  it('PropertyValueFormatError for a pattern mismatch', () => {
    assert.deepEqual(problems({ Mac: 'zz' }), [['PropertyValueFormatError', ['zz', 'Mac'], ['#/Mac']]]);
  });

  it('PropertyValueOutOfRange for numbers and too many array items', () => {
    assert.deepEqual(problems({ Count: 11 }), [['PropertyValueOutOfRange', ['11', 'Count'], ['#/Count']]]);
    assert.deepEqual(problems({ Count: -1 }), [['PropertyValueOutOfRange', ['-1', 'Count'], ['#/Count']]]);
    assert.deepEqual(problems({ Ratio: 1.01 }), [['PropertyValueOutOfRange', ['1.01', 'Ratio'], ['#/Ratio']]]);
    assert.deepEqual(problems({ Rules: [{ Port: 0 }] }), [['PropertyValueOutOfRange', ['0', 'Rules.0.Port'], ['#/Rules/0/Port']]]);
    assert.deepEqual(problems({ Servers: ['a', 'b', 'c', 'd'] }), [['PropertyValueOutOfRange', ['["a","b","c","d"]', 'Servers'], ['#/Servers']]]);
  });

  it('PropertyMissing for required properties; ActionParameterMissing for actions', () => {
    assert.deepEqual(problems({ Enabled: true }, { required: ['Name'] }), [['PropertyMissing', ['Name'], ['#/Name']]]);
    assert.deepEqual(problems({ Enabled: true }, { required: ['Mode'], action: 'ComputerSystem.Reset' }), [['ActionParameterMissing', ['ComputerSystem.Reset', 'Mode'], undefined]]);
    assert.deepEqual(problems({}, { required: ['Mode'], action: 'ComputerSystem.Reset' }), [['ActionParameterMissing', ['ComputerSystem.Reset', 'Mode'], undefined]]);
  });

  it('reports every problem at once, with a GeneralError summary', () => {
    try {
      readBody({ Nope: 1, Enabled: 'yes', Mode: 'Z', Id: 'x' }, spec, { required: ['Name'] });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof RedfishError);
      assert.deepEqual(
        e.messages.map((m) => m.MessageId.replace('Base.1.22.1.', '')),
        ['PropertyUnknown', 'PropertyValueTypeError', 'PropertyValueNotInList', 'PropertyNotWritable', 'PropertyMissing'],
      );
    }
  });

  it('messages carry severity and resolution from the registry', () => {
    try {
      readBody({ Nope: 1 }, spec);
    } catch (e) {
      assert.ok(e instanceof RedfishError);
      const m = e.messages[0]!;
      assert.equal(m['@odata.type'], '#Message.v1_1_1.Message');
      assert.equal(m.MessageSeverity, 'Warning');
      assert.match(m.Message, /Nope/);
      assert.ok(m.Resolution.length > 0);
    }
  });
});
