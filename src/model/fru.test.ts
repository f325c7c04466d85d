import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFru, encodeFru, type FruInfo } from './fru.js';

const info: FruInfo = {
  chassis: { type: 0x17, partNumber: 'CSE-815', serial: 'C8150AB12345', extra: [] },
  board: { mfgMinutes: 15_000_000, manufacturer: 'Acme', product: 'X11SSL', serial: 'B1', partNumber: 'P1', fileId: '', extra: [] },
  product: { manufacturer: 'Acme', name: 'Sim 1U', partNumber: 'SYS-1', version: '1.0', serial: 'S1', assetTag: 'tag', fileId: '', extra: ['xy'] },
};

test('FRU image round trips', () => {
  const img = encodeFru(info, 512);
  assert.equal(img.length, 512);
  assert.deepEqual(decodeFru(img), info);
});

test('common header is checksummed and points at 8-byte aligned areas', () => {
  const img = encodeFru(info, 256);
  assert.equal(img[0], 1);
  assert.equal(img.subarray(0, 8).reduce((a, b) => (a + b) & 0xff, 0), 0);
  assert.equal(img[2], 1);
});

test('a damaged area is left out, the rest parses', () => {
  const img = encodeFru(info, 256);
  const at = img[3]! * 8 + 8;
  img[at] = img[at]! ^ 0xff;
  const d = decodeFru(img);
  assert.equal(d.board, undefined);
  assert.deepEqual(d.product, info.product);
});

test('a one-character field does not read as the end marker', () => {
  const img = encodeFru({ product: { ...info.product!, extra: ['x', 'last'] } }, 256);
  assert.deepEqual(decodeFru(img).product?.extra, ['x ', 'last']);
});
