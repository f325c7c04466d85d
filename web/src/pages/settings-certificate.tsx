// Settings › TLS certificate: the HTTPS certificate the BMC presents
// (Certificate under ManagerNetworkProtocol/HTTPS), a signing request for a
// new key kept on the BMC (CertificateService.GenerateCSR), and replacement
// by CertificateService.ReplaceCertificate with a pasted PEM certificate,
// with its key or alone when it is for the request's key.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useResource, when } from '../hooks';
import { OutcomeText, useAction, type Json } from './settings-common';

const CERTIFICATE = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates/1';
const REPLACE = '/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate';
const GENERATE_CSR = '/redfish/v1/CertificateService/Actions/CertificateService.GenerateCSR';
const COLLECTION = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates';

/** Key types offered, as GenerateCSR parameters. */
const KEY_TYPES: Record<string, { label: string; params: Json }> = {
  p256: { label: 'EC P-256', params: { KeyPairAlgorithm: 'TPM_ALG_ECC', KeyCurveId: 'TPM_ECC_NIST_P256' } },
  p384: { label: 'EC P-384', params: { KeyPairAlgorithm: 'TPM_ALG_ECC', KeyCurveId: 'TPM_ECC_NIST_P384' } },
  rsa2048: { label: 'RSA 2048', params: { KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 2048 } },
  rsa3072: { label: 'RSA 3072', params: { KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 3072 } },
};

/** Hands text to the browser as a file download. */
function saveAs(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/pkcs10' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** GenerateCSR: the form, then the PEM request to copy or download. */
function SigningRequest() {
  const [commonName, setCommonName] = useState(location.hostname);
  const [organization, setOrganization] = useState('');
  const [unit, setUnit] = useState('');
  const [altNames, setAltNames] = useState('');
  const [keyType, setKeyType] = useState('p256');
  const [csr, setCsr] = useState('');
  const action = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const names = altNames.split(/[\s,]+/).filter(Boolean);
      const r = await api.post(GENERATE_CSR, {
        CertificateCollection: { '@odata.id': COLLECTION },
        CommonName: commonName.trim(),
        ...(organization.trim() ? { Organization: organization.trim() } : {}),
        ...(unit.trim() ? { OrganizationalUnit: unit.trim() } : {}),
        ...(names.length ? { AlternativeNames: names } : {}),
        ...KEY_TYPES[keyType]!.params,
      });
      setCsr(String(r.CSRString ?? ''));
      return 'Signing request generated. Have your CA sign it, then paste the certificate below (no key needed).';
    });
  };

  const copy = () => void navigator.clipboard?.writeText(csr);

  return (
    <form class="form" onSubmit={submit} aria-labelledby="s-cert-csr">
      <h3 id="s-cert-csr">Generate signing request</h3>
      <label>
        Common name
        <input required maxLength={64} value={commonName} onInput={(e) => setCommonName(e.currentTarget.value)} />
      </label>
      <label>
        Organization
        <input maxLength={64} value={organization} onInput={(e) => setOrganization(e.currentTarget.value)} />
      </label>
      <label>
        Organizational unit
        <input maxLength={64} value={unit} onInput={(e) => setUnit(e.currentTarget.value)} />
      </label>
      <label>
        Alternative names
        <input placeholder="bmc.example.com, 192.0.2.10" value={altNames} onInput={(e) => setAltNames(e.currentTarget.value)} />
      </label>
      <label>
        Key type
        <select value={keyType} onChange={(e) => setKeyType(e.currentTarget.value)}>
          {Object.entries(KEY_TYPES).map(([id, k]) => (
            <option key={id} value={id}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <p class="muted">The BMC makes a new key and keeps it; only the request leaves the BMC. A new request replaces the previous one's key.</p>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Generate signing request
        </button>
      </div>
      <OutcomeText outcome={action.outcome} />
      {csr && (
        <>
          <label>
            Signing request (PEM)
            <textarea class="mono" rows={12} readOnly spellcheck={false} value={csr} data-testid="csr-pem" />
          </label>
          <div class="actions">
            <button type="button" onClick={copy}>
              Copy
            </button>
            <button type="button" onClick={() => saveAs(`${commonName.trim() || 'bmc'}.csr`, csr)}>
              Download
            </button>
          </div>
        </>
      )}
    </form>
  );
}

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
      <SigningRequest />
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
        <p class="muted">
          The key must match the certificate. Leave it empty for a certificate signed for the BMC's signing request, or to keep the current key. It is sent once and never shown again.
        </p>
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
