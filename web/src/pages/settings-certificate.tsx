// Settings › TLS certificate: the HTTPS certificate the BMC presents
// (Certificate under ManagerNetworkProtocol/HTTPS) and its replacement by
// CertificateService.ReplaceCertificate with a pasted PEM certificate and key.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useResource, when } from '../hooks';
import { OutcomeText, useAction, type Json } from './settings-common';

const CERTIFICATE = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates/1';
const REPLACE = '/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate';

function dn(id: Json | undefined): string {
  if (!id) return '—';
  const parts = [id.CommonName && `CN=${id.CommonName}`, id.Organization && `O=${id.Organization}`, id.OrganizationalUnit && `OU=${id.OrganizationalUnit}`, id.City && `L=${id.City}`, id.State && `ST=${id.State}`, id.Country && `C=${id.Country}`];
  return parts.filter(Boolean).join(', ') || '—';
}

export function CertificateSection() {
  const cert = useResource(CERTIFICATE);
  const [pem, setPem] = useState('');
  const [key, setKey] = useState('');
  const action = useAction();
  const c = cert.data;
  const expired = c?.ValidNotAfter && Date.parse(c.ValidNotAfter) < Date.now();

  const submit = (e: Event) => {
    e.preventDefault();
    if (!confirm('Replace the BMC\'s HTTPS certificate? New connections will present the new certificate.')) return;
    void action.run(async () => {
      const text = `${pem.trim()}\n${key.trim()}\n`;
      await api.post(REPLACE, { CertificateUri: { '@odata.id': CERTIFICATE }, CertificateString: text, CertificateType: 'PEM' });
      setPem('');
      setKey('');
      cert.refresh();
      return 'Certificate replaced. New connections use it; your browser may ask you to trust it.';
    });
  };

  return (
    <section class="card wide" aria-labelledby="s-cert">
      <h2 id="s-cert">TLS certificate</h2>
      {cert.error && <p role="alert" class="error">{cert.error}</p>}
      {c && (
        <dl class="facts">
          <dt>Subject</dt>
          <dd data-testid="cert-subject">{dn(c.Subject)}</dd>
          <dt>Issuer</dt>
          <dd>{dn(c.Issuer)}</dd>
          <dt>Valid from</dt>
          <dd>{when(c.ValidNotBefore)}</dd>
          <dt>Valid until</dt>
          <dd>
            {when(c.ValidNotAfter)} {expired && <span class="pill crit">Expired</span>}
          </dd>
          <dt>SHA-256 fingerprint</dt>
          <dd class="mono" data-testid="cert-fingerprint">
            {c.Fingerprint ?? '—'}
          </dd>
        </dl>
      )}
      <form class="form" onSubmit={submit} aria-labelledby="s-cert-replace">
        <h3 id="s-cert-replace">Replace the certificate</h3>
        <label>
          Certificate (PEM)
          <textarea class="mono" rows={5} required spellcheck={false} placeholder="-----BEGIN CERTIFICATE-----" value={pem} onInput={(e) => setPem(e.currentTarget.value)} />
        </label>
        <label>
          Private key (PEM)
          <textarea class="mono" rows={4} spellcheck={false} autoComplete="off" placeholder="-----BEGIN PRIVATE KEY-----" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <p class="muted">The key must match the certificate; leave it empty to keep the current key. It is sent once and never shown again.</p>
        <div class="actions">
          <button class="primary" type="submit" disabled={action.busy}>
            Replace certificate
          </button>
        </div>
        <OutcomeText outcome={action.outcome} />
      </form>
    </section>
  );
}
