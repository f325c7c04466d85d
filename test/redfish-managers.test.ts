// The Manager, its log services and network settings against the real
// tsbmc process, cross-checked with ipmitool (one model behind both doors)
// and read with redfishtool.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, keyValues, redfish, run, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

const SEL = '/redfish/v1/Managers/bmc/LogServices/SEL';
const EVENT_LOG = '/redfish/v1/Systems/system/LogServices/EventLog';

describe('Redfish Manager and log services with ipmitool and redfishtool', { timeout: 120_000 }, () => {
  let bmc: BmcProcess;

  before(async () => {
    bmc = await startBmcProcess();
  });
  after(async () => {
    await bmc?.stop();
  });

  async function ok(args: string[]): Promise<string> {
    const r = await ipmitool(bmc, args);
    assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  it('an SEL record added with ipmitool appears as a LogEntry; ClearLog over Redfish empties ipmitool sel list', async () => {
    await ok(['sel', 'clear']);
    await new Promise((r) => setTimeout(r, 100));
    const file = `${bmc.stateDir}/events.txt`;
    // EvM rev 4, sensor type Temperature, sensor 0x01 (CPU Temp), threshold, unc going high
    writeFileSync(file, '0x04 0x01 0x01 0x01 0x07 0x00 0x00 # CPU Temp\n');
    await ok(['sel', 'add', file]);
    const list = await ok(['sel', 'list']);
    const id = Number.parseInt(list.trim().split('\n').at(-1)!.split('|')[0]!.trim(), 16);
    const entries = await redfish(bmc, 'GET', `${EVENT_LOG}/Entries`);
    assert.equal(entries.status, 200);
    const e = (entries.body.Members as Record<string, unknown>[]).find((m) => m.Id === String(id));
    assert.ok(e, `entry ${id} in ${entries.text}`);
    assert.equal(e.EntryType, 'SEL');
    assert.equal(e.Severity, 'Warning');
    assert.equal(e.Message, 'CPU Temp: Upper Non-critical going high, Asserted');
    assert.equal(e.SensorType, 'Temperature');
    assert.equal(e.SensorNumber, 1);
    assert.equal(e.EntryCode, 'Assert');
    // the Manager's SEL (single host) is the same log
    const same = await redfish(bmc, 'GET', `${SEL}/Entries/${id}`);
    assert.equal(same.body.Message, e.Message);
    const clear = await redfish(bmc, 'POST', `${SEL}/Actions/LogService.ClearLog`, { body: {} });
    assert.equal(clear.status, 200, clear.text);
    const after1 = await ok(['sel', 'list']);
    assert.doesNotMatch(after1, /\|/, `sel list after ClearLog: ${after1}`);
  });

  it('ipmitool sel clear empties the LogEntries', async () => {
    const file = `${bmc.stateDir}/events2.txt`;
    writeFileSync(file, '0x04 0x02 0x30 0x01 0x02 0x00 0x00 # 12V lc low\n');
    await ok(['sel', 'add', file]);
    const before1 = await redfish(bmc, 'GET', `${EVENT_LOG}/Entries`);
    assert.ok(before1.body['Members@odata.count'] >= 1);
    const crit = (before1.body.Members as Record<string, unknown>[]).find((m) => m.SensorNumber === 0x30)!;
    assert.equal(crit.Severity, 'Critical');
    await ok(['sel', 'clear']);
    await new Promise((r) => setTimeout(r, 100));
    const after1 = await redfish(bmc, 'GET', `${EVENT_LOG}/Entries`);
    // a threshold the simulation crosses at that moment may log anew; nothing older survives
    const left = (after1.body.Members as Record<string, unknown>[]).filter((m) => m.SensorNumber === 0x30 && m.Id === crit.Id);
    assert.deepEqual(left, []);
  });

  it('PATCH DateTime sets the SEL clock ipmitool reads, and ipmitool sel time set shows in DateTime', async () => {
    const r = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc', { body: { DateTime: '2030-01-02T03:04:05+00:00' } });
    assert.equal(r.status, 200, r.text);
    assert.match(await ok(['sel', 'time', 'get']), /^01\/02\/(20)?30 03:04:0[5-9]/);
    await ok(['sel', 'time', 'set', '06/07/29 08:09:10']);
    const m = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc');
    assert.match(m.body.DateTime, /^2029-06-07T08:09:1\d\+00:00$/);
    const svc = await redfish(bmc, 'GET', EVENT_LOG);
    assert.match(svc.body.DateTime, /^2029-06-07T08:09:1\d/);
    await ok(['sel', 'time', 'set', 'now']);
  });

  it('EthernetInterface PATCH shows in ipmitool lan print, and lan set shows in Redfish', async () => {
    const r = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', {
      body: { IPv4StaticAddresses: [{ Address: '192.0.2.10', SubnetMask: '255.255.255.0', Gateway: '192.0.2.1' }] },
    });
    assert.equal(r.status, 200, r.text);
    let lan = keyValues(await ok(['lan', 'print', '1']));
    assert.equal(lan.get('IP Address'), '192.0.2.10');
    assert.equal(lan.get('Subnet Mask'), '255.255.255.0');
    assert.equal(lan.get('Default Gateway IP'), '192.0.2.1');
    assert.equal(lan.get('IP Address Source'), 'Static Address');
    await ok(['lan', 'set', '1', 'ipaddr', '198.51.100.7']);
    await ok(['lan', 'set', '1', 'ipsrc', 'dhcp']);
    const e = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0');
    assert.deepEqual(e.body.IPv4Addresses[0], { Address: '198.51.100.7', SubnetMask: '255.255.255.0', Gateway: '192.0.2.1', AddressOrigin: 'DHCP' });
    assert.equal(e.body.DHCPv4.DHCPEnabled, true);
    const back = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', { body: { DHCPv4: { DHCPEnabled: false } } });
    assert.equal(back.status, 200);
    lan = keyValues(await ok(['lan', 'print', '1']));
    assert.equal(lan.get('IP Address Source'), 'Static Address');
  });

  it('NetworkProtocol shows the ports really bound', async () => {
    const n = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc/NetworkProtocol');
    assert.deepEqual(n.body.IPMI, { ProtocolEnabled: true, Port: bmc.port });
    assert.deepEqual(n.body.HTTPS, { ProtocolEnabled: true, Port: bmc.httpsPort, Certificates: { '@odata.id': '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates' } });
    assert.equal(n.body.HTTP.Port, bmc.httpPort);
  });

  it('redfishtool reads the Manager, its network protocol and logs', async () => {
    const base = ['-r', `127.0.0.1:${bmc.httpsPort}`, '-u', 'admin', '-p', ADMIN_PASSWORD, '-S', 'Always'];
    const m = await run('redfishtool', [...base, 'Managers', '-1', 'get']);
    assert.equal(m.code, 0, m.stderr);
    const body = JSON.parse(m.stdout) as Record<string, unknown>;
    assert.equal(body.ManagerType, 'BMC');
    assert.equal(body.Id, 'bmc');
    const np = await run('redfishtool', [...base, 'Managers', '-I', 'bmc', 'NetworkProtocol']);
    assert.equal(np.code, 0, np.stderr);
    assert.equal((JSON.parse(np.stdout) as { IPMI: { Port: number } }).IPMI.Port, bmc.port);
    const logs = await run('redfishtool', [...base, 'Managers', '-I', 'bmc', 'Logs', 'list']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /AuditLog/);
    assert.match(logs.stdout, /SEL/);
  });

  it('the audit log records a Redfish PATCH with the user name', async () => {
    const r = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { body: { NTP: { NTPServers: ['pool.ntp.org'] } } });
    assert.equal(r.status, 200, r.text);
    const a = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc/LogServices/AuditLog/Entries');
    const last = (a.body.Members as Record<string, unknown>[]).at(-1)!;
    assert.equal(last.Username, 'admin');
    assert.equal(last.Message, 'admin PATCH /redfish/v1/Managers/bmc/NetworkProtocol via Redfish from 127.0.0.1: 200');
    assert.equal(last.Originator, '127.0.0.1');
  });

  it('the audit log records IPMI commands that change the machine, with the user and completion code', async () => {
    await ok(['chassis', 'identify', '5']);
    await ok(['chassis', 'bootdev', 'pxe']);
    // a User-level session may not set the restore policy: refused with 0xd4, recorded as such
    const refused = await ipmitool(bmc, ['-L', 'USER', 'chassis', 'policy', 'always-on']);
    assert.notEqual(refused.code, 0);
    await ok(['sensor', 'list']); // reads are not recorded
    const a = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc/LogServices/AuditLog/Entries');
    const ipmi = (a.body.Members as Record<string, unknown>[]).filter((m) => String(m.Message).includes('via IPMI LAN'));
    const messages = ipmi.map((m) => String(m.Message));
    assert.ok(messages.includes('admin Chassis Identify host0 via IPMI LAN from 127.0.0.1: completion code 0x00'), messages.join('\n'));
    assert.ok(messages.some((m) => /^admin Set System Boot Options host0 parameter 5 via IPMI LAN from 127\.0\.0\.1: completion code 0x00$/.test(m)), messages.join('\n'));
    const policy = ipmi.find((m) => String(m.Message).includes('Set Power Restore Policy'));
    assert.equal(policy?.Message, 'admin Set Power Restore Policy host0 via IPMI LAN from 127.0.0.1: completion code 0xd4');
    assert.equal(policy?.Severity, 'Warning');
    assert.ok(!messages.some((m) => /Get |Sensor Reading/.test(m)), 'reads are not audited');
  });

  it('IPMI over LAN can be switched off and on through NetworkProtocol', async () => {
    const off = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { body: { IPMI: { ProtocolEnabled: false } } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.IPMI.ProtocolEnabled, false);
    const t0 = Date.now();
    const refused = await ipmitool(bmc, ['mc', 'info']);
    assert.notEqual(refused.code, 0, 'no answer while IPMI is off');
    assert.ok(Date.now() - t0 < 15_000);
    const on = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { body: { IPMI: { ProtocolEnabled: true } } });
    assert.equal(on.body.IPMI.ProtocolEnabled, true);
    const ok = await ipmitool(bmc, ['mc', 'info']);
    assert.equal(ok.code, 0, ok.stderr);
    const ro = await redfish(bmc, 'PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { body: { IPMI: { Port: 1623 } } });
    assert.equal(ro.status, 400);
    assert.equal(ro.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.PropertyNotWritable');
  });
});
