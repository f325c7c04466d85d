// Options: defaults, the fleet options and where each BMC of a fleet listens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BMCS, parseOptions, placeBmcs, UsageError } from './options.js';

const parse = (...argv: string[]) => parseOptions(argv, {});

test('one BMC by default, port addressing', () => {
  const o = parse();
  assert.equal(o.bmcs, 1);
  assert.equal(o.bmcAddressing, 'port');
  assert.deepEqual(placeBmcs(o, 1), [{ index: 0, listen: '127.0.0.1', ipmiPort: 6230, httpsPort: 8443, httpPort: 8080, externPort: undefined }]);
});

test('--bmcs is bounded', () => {
  assert.equal(parse('--bmcs', String(MAX_BMCS)).bmcs, MAX_BMCS);
  for (const bad of ['0', String(MAX_BMCS + 1), '-1', '2.5', 'x']) assert.throws(() => parse('--bmcs', bad), UsageError, bad);
  assert.throws(() => parse('--bmc-addressing', 'vlan'), /port or address/);
});

test('port addressing: consecutive ports, a multi-host BMC keeps its hosts together', () => {
  const o = parse('--bmcs', '3', '--hosts', '2', '--extern-port', '9000');
  const p = placeBmcs(o, 2);
  assert.deepEqual(
    p.map((b) => [b.listen, b.ipmiPort, b.httpsPort, b.httpPort, b.externPort]),
    [
      ['127.0.0.1', 6230, 8443, 8080, 9000],
      ['127.0.0.1', 6232, 8444, 8081, 9002],
      ['127.0.0.1', 6234, 8445, 8082, 9004],
    ],
  );
});

test('port addressing: port 0 stays ephemeral, --no-http stays off', () => {
  const p = placeBmcs(parse('--bmcs', '2', '--ipmi-port', '0', '--https-port', '0', '--no-http'), 1);
  assert.deepEqual(p.map((b) => [b.ipmiPort, b.httpsPort, b.httpPort]), [[0, 0, undefined], [0, 0, undefined]]);
});

test('port addressing: ranges past 65535 or overlapping on TCP are refused', () => {
  assert.throws(() => placeBmcs(parse('--bmcs', '10', '--ipmi-port', '65530'), 1), /--ipmi-port 65530 leaves no room for 10 BMCs: the last would need port 65539/);
  assert.throws(() => placeBmcs(parse('--bmcs', '10', '--ipmi-port', '65520'), 2), /of 2 hosts/);
  assert.doesNotThrow(() => placeBmcs(parse('--bmcs', '6', '--ipmi-port', '65530'), 1));
  assert.throws(() => placeBmcs(parse('--bmcs', '400'), 1), /--https-port \(8443-8842\) and --http-port \(8080-8479\) overlap/);
  assert.doesNotThrow(() => placeBmcs(parse('--bmcs', '400', '--no-http'), 1));
  assert.doesNotThrow(() => placeBmcs(parse('--bmcs', '363'), 1)); // 8080-8442 ends just below 8443
  assert.throws(() => placeBmcs(parse('--bmcs', '4', '--extern-port', '8441'), 1), /--https-port .* and --extern-port .* overlap/);
  // UDP (IPMI) and TCP ranges may share numbers
  assert.doesNotThrow(() => placeBmcs(parse('--bmcs', '4', '--ipmi-port', '8443'), 1));
});

test('address addressing: --listen + i on the same ports', () => {
  const o = parse('--bmcs', '3', '--bmc-addressing', 'address', '--listen', '127.0.1.254', '--ipmi-port', '623', '--https-port', '443', '--no-http');
  assert.deepEqual(
    placeBmcs(o, 2).map((b) => [b.listen, b.ipmiPort, b.httpsPort, b.httpPort]),
    [
      ['127.0.1.254', 623, 443, undefined],
      ['127.0.1.255', 623, 443, undefined],
      ['127.0.2.0', 623, 443, undefined],
    ],
  );
});

test('address addressing: IPv6, unspecified, malformed and overflowing ranges are refused', () => {
  const addr = (listen: string, n = 2) => parse('--bmcs', String(n), '--bmc-addressing', 'address', '--listen', listen);
  assert.throws(() => addr('::1'), /IPv6 is not supported/);
  assert.throws(() => addr('0.0.0.0'), /specific --listen address/);
  assert.throws(() => addr('localhost'), /IPv4 --listen/);
  assert.throws(() => addr('127.0.0.256'), /IPv4 --listen/);
  assert.throws(() => addr('127.0.01.1'), /IPv4 --listen/);
  assert.throws(() => addr('127.255.255.250', 10), /would run past 127\.255\.255\.255/);
  assert.throws(() => addr('255.255.255.250', 10), /runs past 255\.255\.255\.254/);
  assert.doesNotThrow(() => addr('127.255.255.246', 10));
  // a single BMC is placed at --listen, whatever it is
  assert.equal(parse('--listen', '::1').listen, '::1');
});
