// Firmware updates against the real tsbmc process with real clients: sushy's
// UpdateService.simple_update downloading from an HTTP server this test runs
// on 127.0.0.1, its TaskMonitor polled until Completed, the new BIOS version
// after `ipmitool chassis power cycle`; a multipart push with curl; the new
// BMC version after the BMC restarts (Manager FirmwareVersion and
// `ipmitool mc info` agree); garbage ending in a Task Exception; a non-HTTP
// ImageURI refused with 400.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, keyValues, python, redfish, run, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

const INVENTORY = '/redfish/v1/UpdateService/FirmwareInventory';
const image = (component: string, version: string) => Buffer.from(`${JSON.stringify({ component, version, releaseDate: '2026-03-01' })}\n${'F'.repeat(256 * 1024)}`);

describe('Redfish UpdateService with sushy, curl and ipmitool', { timeout: 180_000 }, () => {
  let bmc: BmcProcess;
  let files: Server;
  let filesUrl = '';

  before(async () => {
    // kept across the restart that activates a BMC image; removed in after()
    bmc = await startBmcProcess({ keepState: true });
    const served: Record<string, Buffer> = {
      '/fw/bios-2.2.0.bin': image('bios', '2.2.0'),
      '/fw/garbage.bin': Buffer.from('this is not a firmware image\n'),
    };
    files = createServer((req, res) => {
      const body = served[req.url ?? ''];
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      // in pieces, so the download reports progress
      let i = 0;
      const step = () => {
        if (i >= body.length) return res.end();
        res.write(body.subarray(i, i + 64 * 1024));
        i += 64 * 1024;
        setTimeout(step, 50);
      };
      step();
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const a = files.address();
    filesUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(async () => {
    await bmc?.stop();
    files?.close();
    if (bmc) rmSync(bmc.stateDir, { recursive: true, force: true });
  });

  const sushy = (body: string) =>
    python(
      `import sushy, sushy.taskmonitor, json, time, urllib3\nurllib3.disable_warnings()\n` +
        `s = sushy.Sushy('${bmc.baseUrl}/redfish/v1', username='admin', password='${ADMIN_PASSWORD}', verify=False)\n` +
        body,
      // the system CA bundle must not override verify=False
      { REQUESTS_CA_BUNDLE: '', CURL_CA_BUNDLE: '' },
    );

  it('sushy simple_update: the task monitor reports rising progress to Completed; the BIOS version changes after an ipmitool power cycle', async () => {
    const on = await ipmitool(bmc, ['chassis', 'power', 'on']);
    assert.equal(on.code, 0, on.stderr);
    const before1 = await redfish(bmc, 'GET', `${INVENTORY}/bios`);
    assert.equal(before1.body.Version, '2.1.0');
    const r = await sushy(`
us = s.get_update_service()
tm = us.simple_update('${filesUrl}/fw/bios-2.2.0.bin', targets=['${INVENTORY}/bios'], transfer_protocol='HTTP')
# the monitor named by Location (tm itself follows the Task's @odata.id, which answers 200);
# sushy 4.3.3's own helpers fail here: Sushy.get_task_monitor loads standard registries
# Debian's package lacks, UpdateService.get_task_monitor passes an argument TaskMonitor refuses
mon = sushy.taskmonitor.TaskMonitor(tm._connector, tm.response.headers['Location'])
seen = []
while mon.check_is_processing:
    seen.append((mon.task.task_state.value, mon.task.percent_complete))
    time.sleep(0.5)
task = mon.get_task()
print(json.dumps({'location': tm.response.headers['Location'], 'status': tm.response.status_code, 'seen': seen,
  'state': task.task_state.value, 'health': task.task_status.value, 'percent': task.percent_complete,
  'messages': [m.message_id for m in task.messages]}))
`);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { location: string; status: number; seen: [string, number][]; state: string; health: string; percent: number; messages: string[] };
    assert.equal(out.status, 202);
    assert.match(out.location, /^\/redfish\/v1\/TaskService\/TaskMonitors\/\d+$/);
    const percents = out.seen.map(([, p]) => p);
    assert.ok(percents.length >= 6, `polled ${percents.length} times: ${JSON.stringify(out.seen)}`);
    assert.deepEqual([...percents].sort((a, b) => a - b), percents, 'PercentComplete never goes down');
    assert.ok(new Set(percents).size >= 4, JSON.stringify(percents));
    assert.equal(out.state, 'Completed');
    assert.equal(out.health, 'OK');
    assert.equal(out.percent, 100);
    assert.ok(out.messages.includes('Update.1.3.0.AwaitToActivate'), out.messages.join());
    // staged, not running yet
    assert.equal((await redfish(bmc, 'GET', `${INVENTORY}/bios`)).body.Version, '2.1.0');
    assert.equal((await redfish(bmc, 'GET', `${INVENTORY}/bios-staged`)).body.Version, '2.2.0');
    const cycle = await ipmitool(bmc, ['chassis', 'power', 'cycle']);
    assert.equal(cycle.code, 0, cycle.stderr);
    const v = await waitFor(async () => {
      const b = await redfish(bmc, 'GET', `${INVENTORY}/bios`);
      return b.body.Version === '2.2.0' ? b.body : undefined;
    }, 15_000);
    assert.equal(v.ReleaseDate, '2026-03-01T00:00:00Z');
    const sys = await sushy(`print(json.dumps([m.version for m in s.get_update_service().firmware_inventory.get_members()]))`);
    assert.equal(sys.code, 0, sys.stderr);
    assert.ok((JSON.parse(sys.stdout) as string[]).includes('2.2.0'), sys.stdout);
  });

  it('curl multipart push of a BMC image; the new version runs after the BMC restarts (Redfish and ipmitool mc info)', async () => {
    const file = `${bmc.stateDir}/bmc-3.4.0.bin`;
    writeFileSync(file, image('bmc', '3.4.0'));
    const curl = await run('curl', [
      '-sk', '-i', '-u', `admin:${ADMIN_PASSWORD}`,
      '-F', `UpdateParameters={"Targets":["${INVENTORY}/bmc"],"@Redfish.OperationApplyTime":"OnReset"};type=application/json`,
      '-F', `UpdateFile=@${file};type=application/octet-stream`,
      `${bmc.baseUrl}/redfish/v1/UpdateService/update-multipart`,
    ]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /^HTTP\/1\.1 202/);
    const location = /^location: (\S+)/im.exec(curl.stdout)?.[1];
    assert.ok(location, curl.stdout);
    const done = await waitFor(async () => {
      const m = await redfish(bmc, 'GET', location);
      return m.status === 200 ? m.body : undefined;
    }, 20_000, 500);
    assert.equal(done.TaskState, 'Completed', JSON.stringify(done));
    assert.equal((await redfish(bmc, 'GET', `${INVENTORY}/bmc-staged`)).body.Version, '3.4.0');
    // a BMC reboot is a restart of the process on its state
    const stateDir = bmc.stateDir;
    await bmc.stop();
    bmc = await startBmcProcess({ stateDir });
    assert.equal((await redfish(bmc, 'GET', `${INVENTORY}/bmc`)).body.Version, '3.4.0');
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc')).body.FirmwareVersion, '3.4.0');
    const mc = await ipmitool(bmc, ['mc', 'info']);
    assert.equal(mc.code, 0, mc.stderr);
    assert.equal(keyValues(mc.stdout).get('Firmware Revision'), '3.04');
    // the BIOS flashed before the restart is still there
    assert.equal((await redfish(bmc, 'GET', `${INVENTORY}/bios`)).body.Version, '2.2.0');
  });

  it('a garbage image ends in a Task Exception with Update.VerificationFailed', async () => {
    const r = await redfish(bmc, 'POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', { body: { ImageURI: `${filesUrl}/fw/garbage.bin` } });
    assert.equal(r.status, 202, r.text);
    const location = String(r.headers.location);
    const done = await waitFor(async () => {
      const m = await redfish(bmc, 'GET', location);
      return m.status === 200 ? m.body : undefined;
    }, 20_000, 500);
    assert.equal(done.TaskState, 'Exception');
    assert.equal(done.TaskStatus, 'Critical');
    const ids = (done.Messages as { MessageId: string }[]).map((m) => m.MessageId);
    assert.ok(ids.includes('Update.1.3.0.VerificationFailed'), ids.join());
    assert.ok(ids.includes('TaskEvent.1.0.5.TaskAborted'), ids.join());
  });

  it('a download that fails ends in TransferFailed; a non-HTTP ImageURI is refused with 400', async () => {
    const r = await redfish(bmc, 'POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', { body: { ImageURI: `${filesUrl}/fw/missing.bin` } });
    assert.equal(r.status, 202, r.text);
    const done = await waitFor(async () => {
      const m = await redfish(bmc, 'GET', String(r.headers.location));
      return m.status === 200 ? m.body : undefined;
    }, 20_000, 200);
    assert.ok((done.Messages as { MessageId: string }[]).some((m) => m.MessageId === 'Update.1.3.0.TransferFailed'));
    const ftp = await redfish(bmc, 'POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', { body: { ImageURI: 'ftp://127.0.0.1/bios-9.bin' } });
    assert.equal(ftp.status, 400);
    assert.equal(ftp.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.ActionParameterValueNotInList');
    assert.deepEqual(ftp.body.error['@Message.ExtendedInfo'][0].MessageArgs, ['FTP', 'TransferProtocol', 'UpdateService.SimpleUpdate']);
  });
});
