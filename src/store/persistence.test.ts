// One conformance suite for the Persistence interface, run against every
// implementation (the in-memory one used by model tests, and FileStore).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../log.js';
import { MemoryPersistence, scoped } from '../model/persist.js';
import type { Persistence } from '../model/persist.js';
import { FileStore } from './file-store.js';

const root = mkdtempSync(join(tmpdir(), 'tsbmc-conf-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const implementations: [string, () => Persistence][] = [
  ['MemoryPersistence', () => new MemoryPersistence()],
  ['FileStore', () => FileStore.open(join(root, `c${n++}`), silentLogger)],
];

for (const [name, make] of implementations) {
  describe(`Persistence conformance: ${name}`, () => {
    test('absent key loads undefined', () => {
      assert.equal(make().load('bmc0/users'), undefined);
    });
    test('save then load returns an equal value; overwrite replaces', () => {
      const p = make();
      const v = { a: [1, 'two', null, { b: true }], c: -0.5 };
      p.save('bmc0/host/0/sel', v);
      assert.deepEqual(p.load('bmc0/host/0/sel'), v);
      p.save('bmc0/host/0/sel', []);
      assert.deepEqual(p.load('bmc0/host/0/sel'), []);
    });
    test('keys are independent, also through a scoped view', () => {
      const p = make();
      const s = scoped(p, 'bmc1');
      p.save('bmc0/lan/1', 1);
      s.save('lan/1', 2);
      assert.equal(p.load('bmc0/lan/1'), 1);
      assert.equal(p.load('bmc1/lan/1'), 2);
      assert.equal(s.load('lan/1'), 2);
    });
    test('mutating a saved or loaded value does not change the stored one', () => {
      const p = make();
      const v = { list: [1] };
      p.save('k', v);
      v.list.push(2);
      (p.load('k') as { list: number[] }).list.push(3);
      assert.deepEqual(p.load('k'), { list: [1] });
    });
  });
}
