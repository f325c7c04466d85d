// Unit tests of ComputerSystem and its inventory (systems.ts,
// systems-inventory.ts, systems-reset.ts), driven in-process over the same
// model IPMI uses: bodies validate against the DMTF schemas their
// @odata.type names; power, boot override, identify, restore policy and the
// asset tag change the host's model.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBootFlags, decodeBootFlags } from '../../ipmi/chassis-boot-flags.js';
import { silentLogger } from '../../log.js';
import { derivedMac } from '../../model/inventory.js';
import { makeTestBmc } from '../../model/testing.js';
import type { JsonObject, RedfishResponse } from '../router.js';
import { validateDmtf } from '../schema-check.js';
import { RedfishService } from '../server.js';
import { biosRoutes } from './bios.js';
import { systemRoutes } from './systems.js';
import { virtualMediaRoutes } from './virtual-media.js';

// DMTF's schema bundle: ../shared/redfish/json-schema beside the project (from
// dist/src/redfish/resources/ that is five levels up) or $TSBMC_REDFISH_SCHEMAS
const validate = validateDmtf;

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'latin1').toString('base64')}`;
const ADMIN = basic('admin', 'password');
const OPERATOR = basic('operator', 'operpass');
const SYS = '/redfish/v1/Systems/system';

type Call = (method: string, url: string, opts?: { auth?: string; body?: unknown }) => Promise<RedfishResponse & { json: JsonObject }>;

function setup(hosts = 1): { service: RedfishService; call: Call } & ReturnType<typeof makeTestBmc> {
  const t = makeTestBmc({ hosts });
  const service = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...systemRoutes(), ...virtualMediaRoutes(), ...biosRoutes()] });
  const call: Call = async (method, url, opts = {}) => {
    const res = await service.router.handle({
      method,
      url,
      headers: { authorization: opts.auth ?? ADMIN },
      ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
      clientAddress: '127.0.0.1',
    });
    return { ...res, json: (res.body ?? {}) as JsonObject };
  };
  return { ...t, service, call };
}

function messageIds(res: { json: JsonObject }): string[] {
  const err = res.json.error as { '@Message.ExtendedInfo'?: { MessageId: string }[] } | undefined;
  const info = (err?.['@Message.ExtendedInfo'] ?? res.json['@Message.ExtendedInfo'] ?? []) as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace(/^Base\.\d+\.\d+\.\d+\./, ''));
}

const boot = (r: { json: JsonObject }): JsonObject => r.json.Boot as JsonObject;

describe('ComputerSystem', () => {
  it('lists one system per host and 404s unknown ids', async () => {
    const { call } = setup();
    const c = await call('GET', '/redfish/v1/Systems');
    assert.equal(c.status, 200);
    validate(c.json);
    assert.deepEqual(c.json.Members, [{ '@odata.id': SYS }]);
    for (const bad of ['node0', 'System', 'system0', 'sys']) {
      const r = await call('GET', `/redfish/v1/Systems/${bad}`);
      assert.equal(r.status, 404, bad);
      assert.deepEqual(messageIds(r), ['ResourceNotFound']);
    }
    const multi = setup(3);
    const m = await multi.call('GET', '/redfish/v1/Systems');
    assert.deepEqual(m.json.Members, ['node0', 'node1', 'node2'].map((n) => ({ '@odata.id': `/redfish/v1/Systems/${n}` })));
    assert.equal((await multi.call('GET', '/redfish/v1/Systems/system')).status, 404);
    assert.equal((await multi.call('GET', '/redfish/v1/Systems/node2/Processors/CPU0')).status, 200);
  });

  it('renders identity from the FRU, UUID as ipmitool prints it, and validates', async () => {
    const { call } = setup();
    const r = await call('GET', SYS);
    assert.equal(r.status, 200);
    validate(r.json);
    assert.throws(() => validate({ ...r.json, PowerState: 'Standby' }), /PowerState/);
    assert.equal(r.json.Id, 'system');
    assert.equal(r.json.SystemType, 'Physical');
    assert.equal(r.json.Manufacturer, 'tsbmc');
    assert.equal(r.json.Model, 'Test Server');
    assert.equal(r.json.SerialNumber, 'S0001');
    assert.equal(r.json.PartNumber, 'TS-1');
    assert.equal(r.json.SKU, 'CSE-TEST');
    assert.equal(r.json.UUID, '11111111-1111-1111-1111-111111111111');
    assert.equal(r.json.PowerState, 'Off');
    assert.equal(r.json.PowerRestorePolicy, 'AlwaysOff');
    assert.deepEqual(r.json.ProcessorSummary, { Count: 1, CoreCount: 8, LogicalProcessorCount: 16, Model: 'Intel(R) Xeon(R) E-2378 CPU @ 2.60GHz', ThreadingEnabled: true, Status: { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' } });
    assert.equal((r.json.MemorySummary as JsonObject).TotalSystemMemoryGiB, 32);
    assert.deepEqual(boot(r)['BootSourceOverrideTarget@Redfish.AllowableValues'], ['None', 'Pxe', 'Hdd', 'Cd', 'Usb', 'BiosSetup', 'UefiHttp', 'Diags', 'Floppy']);
    const reset = (r.json.Actions as JsonObject)['#ComputerSystem.Reset'] as JsonObject;
    assert.equal(reset.target, `${SYS}/Actions/ComputerSystem.Reset`);
    const info = await call('GET', reset['@Redfish.ActionInfo'] as string);
    assert.equal(info.status, 200);
    validate(info.json);
    assert.deepEqual((info.json.Parameters as JsonObject[])[0]!.AllowableValues, reset['ResetType@Redfish.AllowableValues']);
  });

  it('reports health from asserted threshold sensors', async () => {
    const { call, bmc, links } = setup();
    const host = bmc.hosts[0]!;
    links[0]!.readings.set(0x01, 40);
    host.scan();
    assert.equal(((await call('GET', SYS)).json.Status as JsonObject).Health, 'OK');
    links[0]!.readings.set(0x01, 89);
    host.scan();
    assert.equal(((await call('GET', SYS)).json.Status as JsonObject).Health, 'Warning');
    links[0]!.readings.set(0x01, 95);
    host.scan();
    assert.equal(((await call('GET', SYS)).json.Status as JsonObject).Health, 'Critical');
  });
});

describe('ComputerSystem.Reset', () => {
  const post = (call: Call, body: unknown, auth?: string) => call('POST', `${SYS}/Actions/ComputerSystem.Reset`, { body, ...(auth ? { auth } : {}) });

  it('drives the host power machine IPMI uses', async () => {
    const { call, bmc, links, clock } = setup();
    const host = bmc.hosts[0]!;
    assert.equal((await post(call, { ResetType: 'On' })).status, 204);
    assert.equal(host.power, 'on');
    assert.equal(host.restartCause, 'chassis-control');
    assert.equal((await post(call, { ResetType: 'ForceRestart' })).status, 204);
    assert.equal((await post(call, { ResetType: 'Nmi' })).status, 204);
    assert.equal((await post(call, { ResetType: 'GracefulShutdown' })).status, 204);
    assert.equal((await call('GET', SYS)).json.PowerState, 'PoweringOff');
    links[0]!.reports!.poweredOff('os');
    assert.equal((await call('GET', SYS)).json.PowerState, 'Off');
    assert.equal((await post(call, { ResetType: 'PushPowerButton' })).status, 204);
    assert.equal(host.power, 'on');
    assert.equal((await post(call, { ResetType: 'PushPowerButton' })).status, 204);
    assert.equal(host.powerState.pending, 'soft-off');
    assert.equal((await post(call, { ResetType: 'PowerCycle' }, OPERATOR)).status, 204);
    assert.equal((await call('GET', SYS)).json.PowerState, 'PoweringOn');
    clock.advance(1000);
    assert.equal(host.power, 'on');
    assert.equal((await post(call, { ResetType: 'ForceOff' })).status, 204);
    assert.equal(host.power, 'off');
    assert.deepEqual(links[0]!.calls, ['on', 'reset', 'nmi', 'soft', 'on', 'soft', 'off', 'on', 'off']);
  });

  it('GracefulRestart: soft-off, then on once the host has gone off', async () => {
    const { call, bmc, links, clock } = setup();
    const host = bmc.hosts[0]!;
    host.request('on');
    assert.equal((await post(call, { ResetType: 'GracefulRestart' })).status, 204);
    assert.equal(host.powerState.pending, 'soft-off');
    links[0]!.reports!.poweredOff('os shutdown');
    await new Promise((r) => setImmediate(r));
    assert.equal(host.power, 'on');
    assert.deepEqual(links[0]!.calls, ['on', 'soft', 'on']);
    // an OS that ignores the request: the restart lapses with the soft-off timeout
    assert.equal((await post(call, { ResetType: 'GracefulRestart' })).status, 204);
    clock.advance(host.spec.softOffTimeoutMs + 1);
    links[0]!.reports!.poweredOff('later');
    await new Promise((r) => setImmediate(r));
    assert.equal(host.power, 'off');
    // a ForceOff while waiting is not undone
    host.request('on');
    await post(call, { ResetType: 'GracefulRestart' });
    assert.equal((await post(call, { ResetType: 'ForceOff' })).status, 204);
    await new Promise((r) => setImmediate(r));
    assert.equal(host.power, 'off');
  });

  it('refuses what the present state does not allow, and bad input', async () => {
    const { call, bmc } = setup();
    for (const t of ['ForceRestart', 'PowerCycle', 'Nmi', 'GracefulShutdown', 'GracefulRestart']) {
      const r = await post(call, { ResetType: t });
      assert.equal(r.status, 409, t);
      assert.deepEqual(messageIds(r), ['ActionParameterValueConflict']);
    }
    assert.equal(bmc.hosts[0]!.power, 'off');
    let r = await post(call, { ResetType: 'Reboot' });
    assert.equal(r.status, 400);
    assert.deepEqual(messageIds(r), ['ActionParameterValueNotInList']);
    r = await post(call, {});
    assert.deepEqual(messageIds(r), ['ActionParameterMissing']);
    r = await call('POST', `${SYS}/Actions/ComputerSystem.Reset`);
    assert.equal(r.status, 400);
    assert.deepEqual(messageIds(r), ['ActionParameterMissing']);
    r = await post(call, { ResetType: 1 });
    assert.deepEqual(messageIds(r), ['PropertyValueTypeError']);
    r = await post(call, { ResetType: 'On', Force: true });
    assert.deepEqual(messageIds(r), ['PropertyUnknown']);
    r = await post(call, '{"ResetType":');
    assert.deepEqual(messageIds(r), ['MalformedJSON']);
    r = await call('POST', '/redfish/v1/Systems/nope/Actions/ComputerSystem.Reset', { body: { ResetType: 'On' } });
    assert.equal(r.status, 404);
    assert.equal(bmc.hosts[0]!.power, 'off');
  });
});

describe('ComputerSystem PATCH', () => {
  it('Boot override: shared with IPMI boot flags, no 60-second timeout, Mode alone keeps the rest', async () => {
    const { call, bmc, clock, links } = setup();
    const host = bmc.hosts[0]!;
    let r = await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' } } });
    assert.equal(r.status, 200);
    validate(r.json);
    assert.deepEqual(
      { t: boot(r).BootSourceOverrideTarget, e: boot(r).BootSourceOverrideEnabled, m: boot(r).BootSourceOverrideMode },
      { t: 'Pxe', e: 'Once', m: 'UEFI' },
    );
    assert.deepEqual([...encodeBootFlags(host.boot.override)], [0xa0, 0x04, 0, 0, 0]);
    clock.advance(120_000);
    assert.equal(host.boot.override.valid, true, 'Redfish Once has no IPMI 60-second timeout');
    r = await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideMode: 'Legacy' } } });
    assert.deepEqual([boot(r).BootSourceOverrideTarget, boot(r).BootSourceOverrideEnabled, boot(r).BootSourceOverrideMode], ['Pxe', 'Once', 'Legacy']);
    host.request('on');
    assert.equal(links[0]!.lastBoot?.device, 'pxe');
    r = await call('GET', SYS);
    assert.equal(boot(r).BootSourceOverrideEnabled, 'Disabled');
    // Continuous survives boots
    await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Hdd', BootSourceOverrideEnabled: 'Continuous' } } });
    host.request('reset');
    assert.equal(boot(await call('GET', SYS)).BootSourceOverrideEnabled, 'Continuous');
    // None disables
    r = await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'None' } } });
    assert.equal(boot(r).BootSourceOverrideEnabled, 'Disabled');
  });

  it('Usb and UefiHttp: IPMI shows the nearest selector and a read-modify-write keeps the device', async () => {
    const { call, bmc } = setup();
    const host = bmc.hosts[0]!;
    await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Usb', BootSourceOverrideEnabled: 'Once' } } });
    const bytes = encodeBootFlags(host.boot.override);
    assert.equal((bytes[1]! >> 2) & 0x0f, 0xf);
    const back = decodeBootFlags(bytes, host.boot.override);
    assert.ok(typeof back !== 'string' && back.device === 'usb');
    let r = await call('PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'UefiHttp', BootSourceOverrideMode: 'UEFI', HttpBootUri: 'http://10.0.0.1/boot.efi' } } });
    assert.equal(r.status, 200);
    validate(r.json);
    assert.equal(boot(r).HttpBootUri, 'http://10.0.0.1/boot.efi');
    assert.equal(host.boot.override.device, 'uefi-http');
    r = await call('PATCH', SYS, { body: { Boot: { HttpBootUri: 'not a uri' } } });
    assert.deepEqual(messageIds(r), ['PropertyValueFormatError']);
    r = await call('PATCH', SYS, { body: { Boot: { HttpBootUri: null } } });
    assert.equal(boot(r).HttpBootUri, null);
  });

  it('AssetTag is written to the FRU product area', async () => {
    const { call, bmc } = setup();
    const r = await call('PATCH', SYS, { body: { AssetTag: 'RACK7-U12' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.AssetTag, 'RACK7-U12');
    assert.equal(bmc.hosts[0]!.frus.get(0)!.info.product?.assetTag, 'RACK7-U12');
    assert.equal(bmc.hosts[0]!.frus.get(0)!.info.product?.serial, 'S0001');
    const long = await call('PATCH', SYS, { body: { AssetTag: 'x'.repeat(64) } });
    assert.deepEqual(messageIds(long), ['StringValueTooLong']);
  });

  it('IndicatorLED / LocationIndicatorActive follow identify; PowerRestorePolicy the restore policy', async () => {
    const { call, bmc, clock } = setup();
    const host = bmc.hosts[0]!;
    let r = await call('PATCH', SYS, { body: { LocationIndicatorActive: true } });
    assert.deepEqual([r.json.IndicatorLED, r.json.LocationIndicatorActive, host.identify.forced], ['Lit', true, true]);
    r = await call('PATCH', SYS, { body: { IndicatorLED: 'Off' } });
    assert.deepEqual([r.json.IndicatorLED, r.json.LocationIndicatorActive], ['Off', false]);
    r = await call('PATCH', SYS, { body: { IndicatorLED: 'Blinking' } });
    assert.deepEqual([r.json.IndicatorLED, r.json.LocationIndicatorActive], ['Blinking', true]);
    clock.advance(15_000);
    assert.equal((await call('GET', SYS)).json.IndicatorLED, 'Off');
    host.setIdentify({ seconds: 30 });
    assert.equal((await call('GET', SYS)).json.IndicatorLED, 'Blinking');
    for (const [rf, model] of [['AlwaysOn', 'always-on'], ['LastState', 'previous'], ['AlwaysOff', 'always-off']] as const) {
      r = await call('PATCH', SYS, { body: { PowerRestorePolicy: rf } });
      assert.equal(r.json.PowerRestorePolicy, rf);
      assert.equal(host.restorePolicy, model);
    }
  });

  it('bad input changes nothing', async () => {
    const { call, bmc } = setup();
    const host = bmc.hosts[0]!;
    const before = JSON.stringify(host.boot.override);
    const cases: [unknown, string[]][] = [
      [{ Bogus: 1 }, ['PropertyUnknown']],
      [{ Boot: { BootSourceOverrideTarget: 'Pxe', Nope: 1 } }, ['PropertyUnknown']],
      [{ Boot: { BootSourceOverrideTarget: 3 } }, ['PropertyValueTypeError']],
      [{ Boot: { BootSourceOverrideTarget: 'Network' } }, ['PropertyValueNotInList']],
      [{ Boot: { BootSourceOverrideEnabled: 'Always' } }, ['PropertyValueNotInList']],
      [{ Boot: 'Pxe' }, ['PropertyValueTypeError']],
      [{ PowerRestorePolicy: 'On' }, ['PropertyValueNotInList']],
      [{ LocationIndicatorActive: 'yes' }, ['PropertyValueTypeError']],
      [{ UUID: '00000000-0000-0000-0000-000000000000' }, ['PropertyNotWritable']],
      [{ PowerState: 'On' }, ['PropertyNotWritable']],
      [{ IndicatorLED: 'Lit', LocationIndicatorActive: false }, ['PropertyValueConflict']],
      [{ AssetTag: 'tag\u0001' }, ['PropertyValueFormatError']],
      [{}, ['NoOperation']],
      [{ AssetTag: 'ok', Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Sometimes' } }, ['PropertyValueNotInList']],
    ];
    for (const [body, ids] of cases) {
      const r = await call('PATCH', SYS, { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(messageIds(r), ids, JSON.stringify(body));
    }
    assert.equal(JSON.stringify(host.boot.override), before);
    assert.equal(host.frus.get(0)!.info.product?.assetTag, '');
    assert.equal((await call('PATCH', '/redfish/v1/Systems/nope', { body: { AssetTag: 'x' } })).status, 404);
  });
});

describe('ComputerSystem inventory', () => {
  it('serves processors, memory, NICs, storage, controllers and drives that validate', async () => {
    const { call, bmc } = setup();
    const seen: string[] = [];
    const walk = async (path: string): Promise<void> => {
      if (seen.includes(path)) return;
      seen.push(path);
      const r = await call('GET', path);
      assert.equal(r.status, 200, path);
      validate(r.json);
      const links: string[] = [];
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === '@odata.id' && typeof x === 'string' && x !== path && !x.includes('#') && x.startsWith(`${SYS}/`)) links.push(x);
            else collect(x);
          }
        }
      };
      collect(r.json);
      for (const l of links) await walk(l);
    };
    await walk(SYS);
    assert.ok(seen.includes(`${SYS}/Storage/SATA/Drives/Disk1`), seen.join('\n'));
    assert.ok(seen.includes(`${SYS}/Storage/SATA/Controllers/0`));
    const cpu = (await call('GET', `${SYS}/Processors/CPU0`)).json;
    assert.deepEqual([cpu.ProcessorType, cpu.TotalCores, cpu.TotalThreads, cpu.MaxSpeedMHz], ['CPU', 8, 16, 4800]);
    const mem = (await call('GET', `${SYS}/Memory`)).json;
    assert.equal(mem['Members@odata.count'], 8);
    assert.deepEqual((await call('GET', `${SYS}/Memory/DIMMA2`)).json.Status, { State: 'Absent' });
    assert.equal((await call('GET', `${SYS}/Memory/DIMMB1`)).json.CapacityMiB, 16384);
    const nic = (await call('GET', `${SYS}/EthernetInterfaces/NIC1`)).json;
    assert.equal(nic.MACAddress, derivedMac(bmc.hosts[0]!.spec.systemGuid, 0));
    assert.equal(nic.LinkStatus, 'LinkDown');
    bmc.hosts[0]!.request('on');
    assert.equal((await call('GET', `${SYS}/EthernetInterfaces/NIC1`)).json.LinkStatus, 'LinkUp');
    const drive = (await call('GET', `${SYS}/Storage/SATA/Drives/Disk0`)).json;
    assert.deepEqual([drive.MediaType, drive.Protocol, drive.CapacityBytes], ['SSD', 'SATA', 480_103_981_056]);
    for (const p of [`${SYS}/Processors/CPU1`, `${SYS}/Memory/DIMMZ9`, `${SYS}/EthernetInterfaces/NIC3`, `${SYS}/Storage/NVMe`, `${SYS}/Storage/SATA/Drives/Disk9`, `${SYS}/Storage/SATA/Controllers/1`]) {
      const r = await call('GET', p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(messageIds(r), ['ResourceNotFound']);
    }
  });

  it('MACs differ between hosts and are locally administered unicast', () => {
    const { bmc } = setup(1);
    const macs = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const guid = new Uint8Array(16).fill(i);
      for (let n = 0; n < 4; n++) macs.add(derivedMac(guid, n));
    }
    assert.equal(macs.size, 256);
    const first = Number.parseInt(bmc.hosts[0]!.inventory.nics[0]!.mac.slice(0, 2), 16);
    assert.equal(first & 0x03, 0x02);
  });
});
