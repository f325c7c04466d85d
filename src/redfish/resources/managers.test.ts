// The Manager, its network protocol and Ethernet interface, its actions and
// the registries, driven in-process over the model IPMI uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { managerRoutes } from './managers.js';
import { registryRoutes } from './registries.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

function service(hosts = 1) {
  const t = makeTestBmc({ hosts });
  const network = { ipmiPorts: () => [16623], httpsPort: () => 16443, httpPort: () => undefined };
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...managerRoutes(), ...registryRoutes()], services: { network } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as Record<string, any> };
  };
  return { ...t, call };
}

describe('Manager', () => {
  it('describes the BMC and validates', async () => {
    const { call, bmc } = service();
    const m = await call('GET', '/redfish/v1/Managers/bmc');
    assert.equal(m.status, 200);
    valid(m.body);
    assert.equal(m.body.ManagerType, 'BMC');
    assert.equal(m.body.FirmwareVersion, '1.2.0');
    assert.equal(m.body.UUID, '22222222-2222-2222-2222-222222222222');
    assert.deepEqual(m.body.Links.ManagerForServers, [{ '@odata.id': '/redfish/v1/Systems/system' }]);
    assert.equal(m.body.DateTimeLocalOffset, '+00:00');
    assert.equal(m.body.DateTime, `${new Date(bmc.hosts[0]!.sel.time() * 1000).toISOString().slice(0, 19)}+00:00`);
    valid((await call('GET', '/redfish/v1/Managers')).body);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc2')).status, 404);
  });

  it('PATCH DateTime and DateTimeLocalOffset set every host SEL clock', async () => {
    const { call, bmc } = service(2);
    const r = await call('PATCH', '/redfish/v1/Managers/bmc', { DateTime: '2030-01-02T03:04:05+00:00', DateTimeLocalOffset: '-05:30' });
    assert.equal(r.status, 200);
    for (const h of bmc.hosts) {
      assert.equal(h.sel.time(), Date.UTC(2030, 0, 2, 3, 4, 5) / 1000);
      assert.equal(h.sel.utcOffset, -330);
    }
    assert.equal(r.body.DateTime, '2030-01-01T21:34:05-05:30');
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc', { DateTime: 'yesterday' })).status, 400);
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc', { DateTimeLocalOffset: '+99:00' })).status, 400);
    const ro = await call('PATCH', '/redfish/v1/Managers/bmc', { FirmwareVersion: 'x' });
    assert.equal(ro.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.PropertyNotWritable');
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc', { DateTime: '2030-01-02T03:04:05Z' }, opAuth)).status, 403);
  });

  it('Reset acknowledges; ResetToDefaults clears the SEL, restore policy, boot options and (ResetAll) the LAN', async () => {
    const { call, bmc } = service();
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { ResetType: 'GracefulRestart' })).status, 200);
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { ResetType: 'On' })).status, 400);
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', {})).status, 400);
    const h = bmc.hosts[0]!;
    h.sel.addSystemEvent({ generatorId: 0x20, evmRev: 4, sensorType: 1, sensorNumber: 1, eventDirType: 1, eventData: [0x57, 81, 80] });
    h.setRestorePolicy('always-on');
    h.setBootOverride({ ...h.boot.override, valid: true, persistent: true, device: 'pxe' });
    bmc.lan.update({ ip: '10.1.2.3', ipSource: 'static' });
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.ResetToDefaults', { ResetType: 'PreserveNetworkAndUsers' })).status, 200);
    assert.equal(h.sel.count, 0);
    assert.equal(h.restorePolicy, 'always-off');
    assert.equal(h.boot.override.valid, false);
    assert.equal(bmc.lan.config.ip, '10.1.2.3');
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.ResetToDefaults', { ResetType: 'ResetAll' })).status, 200);
    assert.equal(bmc.lan.config.ip, '127.0.0.1');
    assert.equal(bmc.lan.config.mac, '02:00:00:00:00:01');
    assert.ok(bmc.users.byName('admin'), 'accounts kept');
  });

  it('NetworkProtocol shows the real ports; NTPServers are stored', async () => {
    const { call, bmc } = service();
    const n = await call('GET', '/redfish/v1/Managers/bmc/NetworkProtocol');
    valid(n.body);
    assert.deepEqual(n.body.IPMI, { ProtocolEnabled: true, Port: 16623 });
    assert.deepEqual(n.body.HTTPS, { ProtocolEnabled: true, Port: 16443, Certificates: { '@odata.id': '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates' } });
    assert.equal(n.body.HTTP.ProtocolEnabled, false);
    assert.equal(n.body.SSH.ProtocolEnabled, false);
    const p = await call('PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { NTP: { NTPServers: ['pool.ntp.org', '192.0.2.1'] } });
    assert.equal(p.status, 200);
    assert.deepEqual(bmc.ntp.config.servers, ['pool.ntp.org', '192.0.2.1']);
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { NTP: { NTPServers: ['bad host!'] } })).status, 400);
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc/NetworkProtocol', { IPMI: { Port: 1 } })).status, 400);
  });

  it('EthernetInterface reads and writes the IPMI LAN configuration', async () => {
    const { call, bmc } = service();
    const e = await call('GET', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0');
    valid(e.body);
    assert.equal(e.body.MACAddress, '02:00:00:00:00:01');
    valid((await call('GET', '/redfish/v1/Managers/bmc/EthernetInterfaces')).body);
    const p = await call('PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', {
      IPv4StaticAddresses: [{ Address: '192.0.2.10', SubnetMask: '255.255.255.0', Gateway: '192.0.2.1' }],
      VLAN: { VLANEnable: true, VLANId: 42 },
    });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual(
      { ip: bmc.lan.config.ip, mask: bmc.lan.config.netmask, gw: bmc.lan.config.gateway, src: bmc.lan.config.ipSource, vlan: bmc.lan.config.vlanId, on: bmc.lan.config.vlanEnabled },
      { ip: '192.0.2.10', mask: '255.255.255.0', gw: '192.0.2.1', src: 'static', vlan: 42, on: true },
    );
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', { DHCPv4: { DHCPEnabled: true } })).status, 200);
    assert.equal(bmc.lan.config.ipSource, 'dhcp');
    const now = (await call('GET', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0')).body;
    assert.equal(now.IPv4Addresses[0].AddressOrigin, 'DHCP');
    // IPMI changes show at once
    bmc.lan.update({ ipSource: 'static', ip: '198.51.100.7' });
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0')).body.IPv4StaticAddresses[0].Address, '198.51.100.7');
    for (const bad of [
      { IPv4StaticAddresses: [{ Address: '300.1.1.1', SubnetMask: '255.255.255.0' }] },
      { IPv4StaticAddresses: [{ Address: '10.0.0.1', SubnetMask: '255.0.255.0' }] },
      { IPv4StaticAddresses: [{ Address: '10.0.0.1' }] },
      { IPv4StaticAddresses: [{ Address: '10.0.0.1', SubnetMask: '255.0.0.0' }], DHCPv4: { DHCPEnabled: true } },
      { VLAN: { VLANId: 5000 } },
      { MACAddress: '02:00:00:00:00:02' },
    ]) {
      assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', bad)).status, 400, JSON.stringify(bad));
    }
    // the Manager's interfaces need ConfigureManager (registry subordinate override)
    assert.equal((await call('PATCH', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth0', { DHCPv4: { DHCPEnabled: false } }, opAuth)).status, 403);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc/EthernetInterfaces/eth1')).status, 404);
  });
});

describe('Registries', () => {
  it('lists every registry file with a Location serving the registry itself', async () => {
    const { call } = service();
    const c = await call('GET', '/redfish/v1/Registries');
    valid(c.body);
    const ids = (c.body.Members as { '@odata.id': string }[]).map((m) => m['@odata.id'].split('/').pop());
    for (const id of ['Base', 'ResourceEvent', 'SensorEvent', 'TaskEvent', 'Update', 'PrivilegeRegistry']) assert.ok(ids.includes(id), id);
    const f = await call('GET', '/redfish/v1/Registries/SensorEvent');
    valid(f.body);
    assert.equal(f.body.Registry, 'SensorEvent.1.1.0');
    const doc = await call('GET', f.body.Location[0].Uri);
    assert.equal(doc.status, 200);
    assert.equal(doc.body.Id, 'SensorEvent.1.1.0');
    assert.ok(doc.body.Messages.ReadingAboveUpperCautionThreshold);
    assert.equal((await call('GET', '/redfish/v1/Registries/PrivilegeRegistry/PrivilegeRegistry')).body.Id, 'Redfish_1.8.0_PrivilegeRegistry');
    assert.equal((await call('GET', '/redfish/v1/Registries/Nope')).status, 404);
    assert.equal((await call('GET', '/redfish/v1/Registries/Base/SensorEvent')).status, 404);
  });
});

describe('ManagerNetworkProtocol Oem.Tsbmc.Ipmi.CipherSuites', () => {
  const NP = '/redfish/v1/Managers/bmc/NetworkProtocol';
  const patch = (suites: unknown) => ({ Oem: { Tsbmc: { Ipmi: { CipherSuites: suites } } } });

  it('shows the LAN channel cipher suites and their privilege limits', async () => {
    const { call, bmc } = service();
    const r = await call('GET', NP);
    valid(r.body);
    assert.deepEqual(
      r.body.Oem.Tsbmc.Ipmi.CipherSuites,
      bmc.lan.config.cipherSuites.map((c) => ({ Id: c.id, MaxPrivilege: 'Administrator' })),
    );
  });

  it('an administrator replaces the list; IPMI LAN parameters follow', async () => {
    const { call, bmc } = service();
    const r = await call('PATCH', NP, patch([{ Id: 17, MaxPrivilege: 'Administrator' }, { Id: 3, MaxPrivilege: 'User' }, { Id: 1, MaxPrivilege: 'Disabled' }]));
    assert.equal(r.status, 200);
    assert.deepEqual(bmc.lan.config.cipherSuites, [{ id: 17, maxPrivilege: 4 }, { id: 3, maxPrivilege: 2 }, { id: 1, maxPrivilege: 0 }]);
    assert.deepEqual(r.body.Oem.Tsbmc.Ipmi.CipherSuites[1], { Id: 3, MaxPrivilege: 'User' });
  });

  it('refuses unknown or repeated suites, bad privileges, and non-administrators', async () => {
    const { call, bmc } = service();
    const before = structuredClone(bmc.lan.config.cipherSuites);
    for (const bad of [[{ Id: 99, MaxPrivilege: 'User' }], [{ Id: 17, MaxPrivilege: 'User' }, { Id: 17, MaxPrivilege: 'User' }], [{ Id: 17, MaxPrivilege: 'Root' }], [{ Id: 17 }], [{ Id: '17', MaxPrivilege: 'User' }]]) {
      assert.equal((await call('PATCH', NP, patch(bad))).status, 400, JSON.stringify(bad));
    }
    if (!bmc.security.allowCipher0) assert.equal((await call('PATCH', NP, patch([{ Id: 0, MaxPrivilege: 'User' }]))).status, 400);
    assert.equal((await call('PATCH', NP, patch([{ Id: 17, MaxPrivilege: 'User' }]), opAuth)).status, 403);
    assert.equal((await call('PATCH', NP, { Oem: { Other: {} } })).status, 400);
    assert.deepEqual(bmc.lan.config.cipherSuites, before);
  });
});
