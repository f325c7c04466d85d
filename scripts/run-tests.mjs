// Runs the test suites with Node's test runner: unit tests (dist/src/**/*.test.js)
// and the integration suites against the real tsbmc process with real clients
// (dist/test/**/*.test.js). A suite whose client is not installed is skipped
// with a loud notice locally; under CI (CI=true) that is a failure.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const mode = process.argv[2] ?? 'all';
const unit = find('dist/src');
let integration = mode === 'unit' ? [] : find('dist/test');

const required = { ipmitool: 'ipmitool', 'ipmi-sensors': 'freeipmi-tools', redfishtool: 'redfishtool', chromium: 'chromium' };
const missing = Object.entries(required).filter(([cmd]) => !which(cmd));
if (spawnSync('/usr/bin/python3', ['-c', 'import sushy']).status !== 0) missing.push(['python3-sushy', 'python3-sushy']);
if (integration.length > 0 && missing.length > 0) {
  const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
  const line = '!'.repeat(78);
  console.error(`${line}\n!! Integration suites need real clients that are missing: ${missing.map(([c]) => c).join(', ')}`);
  console.error(`!! Install them: apt-get install -y ${pkgs}   (or run: bash .ci/run)`);
  if (process.env.CI) {
    console.error(`!! CI=true: refusing to skip the integration suites.\n${line}`);
    process.exit(1);
  }
  console.error(`!! SKIPPING ${integration.length} integration test files.\n${line}`);
  integration = [];
}

const files = [...unit, ...integration];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=180000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
