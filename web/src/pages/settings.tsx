// Settings: the BMC's network interface (Manager EthernetInterface eth0, the
// LAN channel IPMI's `lan print` shows), its clock (Manager DateTime and
// DateTimeLocalOffset, the SEL clock) and NTP servers, its network services
// (ManagerNetworkProtocol, with the IPMI cipher suites from
// Oem.Tsbmc.Ipmi.CipherSuites), user accounts and the HTTPS certificate.
// Everything through Redfish; controls only for those who may use them.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useResource, when } from '../hooks';
import type { PageProps } from './index';
import { OutcomeText, useAction, type Json } from './settings-common';
import { CertificateSection } from './settings-certificate';
import { UsersSection } from './settings-users';

const MANAGER = '/redfish/v1/Managers/bmc';
const ETH0 = `${MANAGER}/EthernetInterfaces/eth0`;
const PROTOCOL = `${MANAGER}/NetworkProtocol`;

export function Settings(_props: PageProps) {
  const admin = api.can('administer');
  return (
    <div class="grid settings">
      <NetworkSection admin={admin} />
      <DateTimeSection admin={admin} />
      <ServicesSection admin={admin} />
      {admin ? (
        <>
          <UsersSection />
          <CertificateSection />
        </>
      ) : (
        <section class="card" aria-labelledby="s-admin">
          <h2 id="s-admin">Users and certificate</h2>
          <p class="muted">Only administrators manage user accounts and the TLS certificate.</p>
        </section>
      )}
    </div>
  );
}

// ---- network ----------------------------------------------------------------------

const IPV4 = '((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

function NetworkSection({ admin }: { admin: boolean }) {
  const eth = useResource(ETH0);
  const d = eth.data;
  const [dhcp, setDhcp] = useState(false);
  const [address, setAddress] = useState('');
  const [mask, setMask] = useState('');
  const [gateway, setGateway] = useState('');
  const [vlan, setVlan] = useState(false);
  const [vlanId, setVlanId] = useState('');
  const [vlanPriority, setVlanPriority] = useState('0');
  const action = useAction();

  // the form starts from what the BMC has (and again after each change)
  useEffect(() => {
    if (!d) return;
    const v4 = (d.IPv4StaticAddresses as Json[] | undefined)?.[0] ?? (d.IPv4Addresses as Json[] | undefined)?.[0] ?? {};
    setDhcp(Boolean(d.DHCPv4?.DHCPEnabled));
    setAddress(v4.Address ?? '');
    setMask(v4.SubnetMask ?? '');
    setGateway(v4.Gateway ?? '');
    setVlan(Boolean(d.VLAN?.VLANEnable));
    setVlanId(d.VLAN?.VLANId ? String(d.VLAN.VLANId) : '');
    setVlanPriority(String(d.VLAN?.VLANPriority ?? 0));
  }, [d]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!confirm('Apply the new network settings to the BMC? A wrong address can make the BMC unreachable.')) return;
    const body: Json = dhcp
      ? { DHCPv4: { DHCPEnabled: true } }
      : { DHCPv4: { DHCPEnabled: false }, IPv4StaticAddresses: [{ Address: address, SubnetMask: mask, Gateway: gateway || '0.0.0.0' }] };
    body.VLAN = vlan ? { VLANEnable: true, VLANId: Number(vlanId), VLANPriority: Number(vlanPriority) } : { VLANEnable: false };
    void action.run(async () => {
      await api.patch(ETH0, body);
      eth.refresh();
      return 'Network settings applied.';
    });
  };

  const v4 = (d?.IPv4Addresses as Json[] | undefined)?.[0];
  return (
    <section class="card" aria-labelledby="s-net">
      <h2 id="s-net">BMC network</h2>
      {eth.error && <p role="alert" class="error">{eth.error}</p>}
      <dl class="facts">
        <dt>MAC address</dt>
        <dd>{d?.MACAddress ?? '—'}</dd>
        <dt>Address</dt>
        <dd data-testid="net-address">
          {v4 ? `${v4.Address} / ${v4.SubnetMask} (${v4.AddressOrigin})` : '—'}
        </dd>
        <dt>Gateway</dt>
        <dd>{v4?.Gateway ?? '—'}</dd>
        <dt>VLAN</dt>
        <dd>{d?.VLAN?.VLANEnable ? `${d.VLAN.VLANId} (priority ${d.VLAN.VLANPriority})` : 'Off'}</dd>
      </dl>
      {admin && d && (
        <form class="form" onSubmit={submit} aria-label="Change BMC network">
          <fieldset>
            <legend>IPv4 address source</legend>
            <label class="inline">
              <input type="radio" name="ipsrc" checked={!dhcp} onChange={() => setDhcp(false)} /> Static
            </label>
            <label class="inline">
              <input type="radio" name="ipsrc" checked={dhcp} onChange={() => setDhcp(true)} /> DHCP
            </label>
          </fieldset>
          {!dhcp && (
            <div class="row">
              <label>
                IPv4 address
                <input required pattern={IPV4} value={address} onInput={(e) => setAddress(e.currentTarget.value)} inputMode="decimal" />
              </label>
              <label>
                Subnet mask
                <input required pattern={IPV4} value={mask} onInput={(e) => setMask(e.currentTarget.value)} inputMode="decimal" />
              </label>
              <label>
                Gateway
                <input pattern={IPV4} value={gateway} onInput={(e) => setGateway(e.currentTarget.value)} inputMode="decimal" />
              </label>
            </div>
          )}
          <label class="inline">
            <input type="checkbox" checked={vlan} onChange={(e) => setVlan(e.currentTarget.checked)} /> Tag with a VLAN
          </label>
          {vlan && (
            <div class="row">
              <label>
                VLAN ID
                <input type="number" required min={1} max={4094} value={vlanId} onInput={(e) => setVlanId(e.currentTarget.value)} />
              </label>
              <label>
                VLAN priority
                <input type="number" min={0} max={7} value={vlanPriority} onInput={(e) => setVlanPriority(e.currentTarget.value)} />
              </label>
            </div>
          )}
          <div class="actions">
            <button class="primary" type="submit" disabled={action.busy}>
              Apply network settings
            </button>
          </div>
        </form>
      )}
      <OutcomeText outcome={action.outcome} />
    </section>
  );
}

// ---- date and time ----------------------------------------------------------------

/** "+HH:MM" of this browser's zone. */
function localOffset(): string {
  const m = -new Date().getTimezoneOffset();
  const a = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** "YYYY-MM-DDTHH:MM:SS" of now in a "+HH:MM" offset. */
function nowIn(offset: string): string {
  const m = /^([-+])(\d\d):(\d\d)$/.exec(offset);
  const minutes = m ? (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1) : 0;
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 19);
}

function DateTimeSection({ admin }: { admin: boolean }) {
  const manager = useResource(MANAGER, 5000);
  const protocol = useResource(PROTOCOL);
  const [dateTime, setDateTime] = useState('');
  const [offset, setOffset] = useState('');
  const [ntp, setNtp] = useState('');
  const clock = useAction();
  const servers = useAction();

  useEffect(() => {
    if (manager.data && !offset) setOffset(manager.data.DateTimeLocalOffset ?? '+00:00');
  }, [manager.data]);
  useEffect(() => {
    if (protocol.data) setNtp(((protocol.data.NTP?.NTPServers as string[] | undefined) ?? []).filter(Boolean).join('\n'));
  }, [protocol.data]);

  const setClock = (e: Event) => {
    e.preventDefault();
    const t = dateTime.length === 16 ? `${dateTime}:00` : dateTime;
    void clock.run(async () => {
      await api.patch(MANAGER, { DateTime: `${t}${offset}`, DateTimeLocalOffset: offset });
      manager.refresh();
      return 'BMC date and time set.';
    });
  };
  const setServers = (e: Event) => {
    e.preventDefault();
    const list = ntp.split(/[\s,]+/).filter(Boolean);
    void servers.run(async () => {
      await api.patch(PROTOCOL, { NTP: { NTPServers: list } });
      protocol.refresh();
      return list.length ? 'NTP servers saved.' : 'NTP servers cleared.';
    });
  };

  return (
    <section class="card" aria-labelledby="s-time">
      <h2 id="s-time">Date and time</h2>
      <dl class="facts">
        <dt>BMC time</dt>
        <dd data-testid="bmc-time">{manager.data?.DateTime ?? '—'}</dd>
        <dt>In your time</dt>
        <dd>{when(manager.data?.DateTime)}</dd>
        <dt>UTC offset</dt>
        <dd>{manager.data?.DateTimeLocalOffset ?? '—'}</dd>
        <dt>NTP</dt>
        <dd>{protocol.data?.NTP?.ProtocolEnabled ? 'On' : 'Off'}</dd>
      </dl>
      {admin && (
        <>
          <form class="form" onSubmit={setClock} aria-label="Set BMC date and time">
            <div class="row">
              <label>
                Date and time
                <input type="datetime-local" step={1} required value={dateTime} onInput={(e) => setDateTime(e.currentTarget.value)} />
              </label>
              <label>
                UTC offset
                <input required pattern="[-+][0-2][0-9]:[0-5][0-9]" placeholder="+00:00" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} size={7} />
              </label>
            </div>
            <div class="actions">
              <button
                type="button"
                onClick={() => {
                  const o = localOffset();
                  setOffset(o);
                  setDateTime(nowIn(o));
                }}
              >
                Use this computer's time
              </button>
              <button class="primary" type="submit" disabled={clock.busy}>
                Set date and time
              </button>
            </div>
            <OutcomeText outcome={clock.outcome} />
          </form>
          <form class="form" onSubmit={setServers} aria-label="NTP servers">
            <label>
              NTP servers (one per line)
              <textarea rows={3} value={ntp} onInput={(e) => setNtp(e.currentTarget.value)} />
            </label>
            <div class="actions">
              <button type="submit" disabled={servers.busy}>
                Save NTP servers
              </button>
            </div>
            <OutcomeText outcome={servers.outcome} />
          </form>
        </>
      )}
      {!admin && protocol.data?.NTP?.NTPServers?.length > 0 && <p>NTP servers: {(protocol.data?.NTP?.NTPServers as string[]).join(', ')}</p>}
    </section>
  );
}

// ---- network services ---------------------------------------------------------------

const SUITES: Readonly<Record<number, string>> = {
  0: 'no authentication, no integrity, no encryption',
  1: 'HMAC-SHA1 authentication, no integrity, no encryption',
  2: 'HMAC-SHA1, HMAC-SHA1-96 integrity, no encryption',
  3: 'HMAC-SHA1, HMAC-SHA1-96 integrity, AES-CBC-128',
  17: 'HMAC-SHA256, HMAC-SHA256-128 integrity, AES-CBC-128',
};
const LIMITS = ['Administrator', 'Operator', 'User', 'Callback', 'Disabled'];

function ServicesSection({ admin }: { admin: boolean }) {
  const protocol = useResource(PROTOCOL);
  const p = protocol.data;
  const toggle = useAction();
  const ciphers = useAction();
  const current = (p?.Oem?.Tsbmc?.Ipmi?.CipherSuites as { Id: number; MaxPrivilege: string }[] | undefined) ?? undefined;
  const [suites, setSuites] = useState<{ Id: number; MaxPrivilege: string }[]>([]);
  useEffect(() => setSuites(current ? current.map((s) => ({ ...s })) : []), [p]);

  const setIpmi = (on: boolean) => {
    if (!on && !confirm('Turn IPMI over LAN off? ipmitool and other IPMI clients will no longer reach the BMC over the network.')) return;
    void toggle.run(async () => {
      await api.patch(PROTOCOL, { IPMI: { ProtocolEnabled: on } });
      protocol.refresh();
      return `IPMI over LAN turned ${on ? 'on' : 'off'}.`;
    });
  };
  const saveSuites = (e: Event) => {
    e.preventDefault();
    void ciphers.run(async () => {
      await api.patch(PROTOCOL, { Oem: { Tsbmc: { Ipmi: { CipherSuites: suites } } } });
      protocol.refresh();
      return 'Cipher suites saved.';
    });
  };

  return (
    <section class="card" aria-labelledby="s-svc">
      <h2 id="s-svc">Network services</h2>
      {p && (
        <table class="compact">
          <caption class="sr-only">Network services</caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Port</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">IPMI over LAN</th>
              <td>{p.IPMI?.Port ?? '—'}</td>
              <td>
                {admin ? (
                  <label class="inline">
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label="IPMI over LAN"
                      checked={Boolean(p.IPMI?.ProtocolEnabled)}
                      disabled={toggle.busy}
                      onChange={(e) => setIpmi(e.currentTarget.checked)}
                    />
                    <span aria-hidden="true">{p.IPMI?.ProtocolEnabled ? 'On' : 'Off'}</span>
                  </label>
                ) : (
                  <span class={`pill ${p.IPMI?.ProtocolEnabled ? 'ok' : 'off'}`}>{p.IPMI?.ProtocolEnabled ? 'On' : 'Off'}</span>
                )}
              </td>
            </tr>
            <tr>
              <th scope="row">Redfish (HTTPS)</th>
              <td>{p.HTTPS?.Port ?? '—'}</td>
              <td>
                <span class="pill ok">On</span>
              </td>
            </tr>
            <tr>
              <th scope="row">HTTP (redirects to HTTPS)</th>
              <td>{p.HTTP?.Port ?? '—'}</td>
              <td>
                <span class={`pill ${p.HTTP?.ProtocolEnabled ? 'ok' : 'off'}`}>{p.HTTP?.ProtocolEnabled ? 'On' : 'Off'}</span>
              </td>
            </tr>
          </tbody>
        </table>
      )}
      <p class="muted">Redfish over HTTPS cannot be switched off here: this console uses it.</p>
      <OutcomeText outcome={toggle.outcome} />
      {current && (
        <form class="form" onSubmit={saveSuites} aria-labelledby="s-ciphers">
          <h3 id="s-ciphers">IPMI cipher suites</h3>
          <div class="scroll">
            <table class="compact ciphers">
              <thead>
                <tr>
                  <th scope="col">Suite</th>
                  <th scope="col">Algorithms</th>
                  <th scope="col">Highest privilege</th>
                </tr>
              </thead>
              <tbody>
                {suites.map((s, i) => (
                  <tr>
                    <th scope="row">{s.Id}</th>
                    <td class="small">{SUITES[s.Id] ?? '—'}</td>
                    <td>
                      {admin ? (
                        <select
                          aria-label={`Highest privilege for cipher suite ${s.Id}`}
                          value={s.MaxPrivilege}
                          onChange={(e) => {
                            const v = e.currentTarget.value;
                            setSuites((list) => list.map((x, j) => (j === i ? { ...x, MaxPrivilege: v } : x)));
                          }}
                        >
                          {[...new Set([...LIMITS, s.MaxPrivilege])].map((l) => (
                            <option value={l}>{l}</option>
                          ))}
                        </select>
                      ) : (
                        s.MaxPrivilege
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {admin && (
            <div class="actions">
              <button type="submit" disabled={ciphers.busy}>
                Save cipher suites
              </button>
            </div>
          )}
          <OutcomeText outcome={ciphers.outcome} />
        </form>
      )}
    </section>
  );
}
