// Runs Python with Debian's python3-sushy (the Redfish library OpenStack Ironic
// uses) against a tsbmc process: the code sees `s` (a sushy client) and
// `system` (the one ComputerSystem); its printed output is returned.
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, python } from './bmc-process.js';

/** requests lets these override verify=False; sushy then rejects the self-signed certificate. */
export const NO_CA_ENV = { REQUESTS_CA_BUNDLE: '', CURL_CA_BUNDLE: '' };

export async function sushy(
  bmc: { baseUrl: string },
  code: string,
  opts: { user?: string; password?: string; withoutStandardRegistries?: boolean } = {},
): Promise<string> {
  const prelude = [
    'import sushy, json, warnings, logging',
    'warnings.filterwarnings("ignore")',
    'logging.disable(logging.CRITICAL)',
    `s = sushy.Sushy("${bmc.baseUrl}/redfish/v1", username="${opts.user ?? 'admin'}", password="${opts.password ?? ADMIN_PASSWORD}", verify=False)`,
    // Debian's python3-sushy ships without sushy/standard_registries/, and any
    // registry lookup lists that directory: do without the packaged copies,
    // the service serves its own.
    ...(opts.withoutStandardRegistries ? ['s._get_standard_message_registry_collection = lambda: []'] : []),
    'system = s.get_system()',
  ].join('\n');
  const r = await python(`${prelude}\n${code}`, NO_CA_ENV);
  assert.equal(r.code, 0, `python failed:\n${r.stderr}\n${r.stdout}`);
  return r.stdout.trim();
}
