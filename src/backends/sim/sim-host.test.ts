// SimHost: boot sequence and boot-device handling, console login and shell,
// OS-initiated power changes, sensor dynamics and power domains, and
// reproducibility from the seed. Driven by a ManualClock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BootDevice } from '../../model/boot.js';
import { Bmc } from '../../model/bmc.js';
import { ManualClock } from '../../model/clock.js';
import { MemoryPersistence } from '../../model/persist.js';
import { EventReadingType, SensorType, type SensorDef } from '../../model/sensors.js';
import { plainBox, testBmcSpec } from '../../model/testing.js';
import type { BootChoice, HostReports } from '../link.js';
import { SimHost, type SimBehaviour, type SimSensor } from './sim-host.js';

const CPU = 0x01;
const SYS = 0x0b;
const DIMMA2 = 0x20;
const V12 = 0x30;
const VBAT = 0x33;
const V5SB = 0x37;
const FAN1 = 0x41;
const FAN3 = 0x43;
const CONST = 0x50;

function def(number: number, name: string, type: number, unit: string, present = true): SensorDef {
  return {
    number,
    name,
    type,
    eventReadingType: EventReadingType.Threshold,
    unit,
    entity: { id: 0x07, instance: 1 },
    present,
    conversion: { m: 1, b: 0, bExp: 0, rExp: 0, signed: true },
    thresholds: {},
    hysteresis: { positive: 2, negative: 2 },
  };
}

const sensor = (d: SensorDef, sim: SimBehaviour): SimSensor => ({ def: d, sim });

/** A slice of the reference 1U board. */
const SENSORS: SimSensor[] = [
  sensor(def(CPU, 'CPU Temp', SensorType.Temperature, 'degrees C'), { kind: 'temperature', ambient: 28, loadRise: 35, tauSeconds: 30, onlyWhenOn: true }),
  sensor(def(SYS, 'System Temp', SensorType.Temperature, 'degrees C'), { kind: 'temperature', ambient: 25, loadRise: 8, tauSeconds: 90 }),
  sensor(def(DIMMA2, 'DIMMA2 Temp', SensorType.Temperature, 'degrees C', false), { kind: 'temperature', ambient: 25, loadRise: 10, onlyWhenOn: true }),
  sensor(def(V12, '12V', SensorType.Voltage, 'Volts'), { kind: 'voltage', nominal: 12, noise: 0.005, standby: false }),
  sensor(def(VBAT, 'VBAT', SensorType.Voltage, 'Volts'), { kind: 'voltage', nominal: 3.1, noise: 0.003, standby: true }),
  sensor(def(V5SB, '5VSB', SensorType.Voltage, 'Volts'), { kind: 'voltage', nominal: 5, noise: 0.005, standby: true }),
  sensor(def(FAN1, 'FAN1', SensorType.Fan, 'RPM'), { kind: 'fan', follows: CPU, minRpm: 300, maxRpm: 1500, atTemp: [35, 75] }),
  sensor(def(FAN3, 'FAN3', SensorType.Fan, 'RPM', false), { kind: 'fan', follows: CPU, minRpm: 300, maxRpm: 1500, atTemp: [35, 75] }),
  sensor(def(CONST, 'Const', SensorType.Other, 'unspecified'), { kind: 'constant', value: 42 }),
];

const BOOT_MS = 4000;
const SHUTDOWN_MS = 2000;

class FakeReports implements HostReports {
  readonly off: string[] = [];
  readonly on: string[] = [];
  readonly restarts: string[] = [];
  takes = 0;
  device: BootDevice = 'none';
  poweredOff(reason: string): void {
    this.off.push(reason);
  }
  poweredOn(reason: string): void {
    this.on.push(reason);
  }
  restarted(reason: string): void {
    this.restarts.push(reason);
  }
  takeBootChoice(): BootChoice {
    this.takes++;
    return { device: this.device, mode: 'legacy' };
  }
}

function setup(opts: { seed?: number; device?: BootDevice } = {}): { host: SimHost; clock: ManualClock; reports: FakeReports } {
  const clock = new ManualClock();
  const host = new SimHost({ sensors: SENSORS, clock, seed: opts.seed ?? 7, bootMs: BOOT_MS, shutdownMs: SHUTDOWN_MS, hostname: 'node7' });
  const reports = new FakeReports();
  reports.device = opts.device ?? 'none';
  host.attach(reports);
  return { host, clock, reports };
}

const output = (host: SimHost): string => Buffer.from(host.consoleBuffer.history()).toString('utf8');
const type = (host: SimHost, s: string): void => host.console.write(Buffer.from(s, 'utf8'));
/** Output produced while running fn. */
function during(host: SimHost, fn: () => void): string {
  const from = host.consoleBuffer.end;
  fn();
  return Buffer.from(host.consoleBuffer.since(from).data).toString('utf8');
}

function bootToLogin(host: SimHost, clock: ManualClock): void {
  host.powerOn();
  clock.advance(BOOT_MS * 1.5);
  assert.equal(host.state, 'os-running');
}

function login(host: SimHost, clock: ManualClock): void {
  bootToLogin(host, clock);
  type(host, 'root\r');
  type(host, 'tsbmc\r');
  assert.equal(host.console.mode, 'shell');
}

test('power on: POST banner, the boot choice taken once, OS boot log, login prompt', () => {
  const { host, clock, reports } = setup();
  assert.equal(host.state, 'off');
  host.powerOn();
  assert.equal(host.state, 'firmware');
  clock.advance(0);
  assert.match(output(host), /SimBIOS/);
  assert.equal(reports.takes, 0, 'the firmware asks for the boot device after POST, not at power-on');
  clock.advance(BOOT_MS * 0.5);
  assert.equal(reports.takes, 1);
  assert.equal(host.state, 'os-booting');
  clock.advance(BOOT_MS);
  assert.equal(host.state, 'os-running');
  assert.equal(reports.takes, 1, 'exactly once per boot');
  const out = output(host);
  assert.match(out, /Memory Test: \d+ MB OK/);
  assert.match(out, /Booting from Hard Disk/);
  assert.match(out, /\[ {4}0\.000000\] Linux version/);
  assert.ok(out.endsWith('node7 login: '), JSON.stringify(out.slice(-60)));
  assert.ok(!out.includes('\n\n\r') && !/[^\r]\n/.test(out), 'line ends are CR LF');
  assert.equal(reports.off.length, 0);
  host.powerOn();
  assert.equal(host.state, 'os-running', 'power on while on changes nothing');
});

test('boot devices: PXE falls through to disk, CD boots attached media or reports none, setup stays in firmware', () => {
  {
    const { host, clock } = setup({ device: 'pxe' });
    host.powerOn();
    clock.advance(BOOT_MS * 2);
    const out = output(host);
    assert.match(out, /Booting from PXE/);
    assert.match(out, /PXE-E51: No DHCP or proxy DHCP offers were received/);
    assert.ok(out.indexOf('PXE-M0F') < out.indexOf('Booting from Hard Disk'));
    assert.equal(host.state, 'os-running');
  }
  {
    const { host, clock } = setup({ device: 'cdrom' });
    host.attachMedia('cd', { path: '/nonexistent/rescue.iso', name: 'rescue.iso' });
    host.powerOn();
    clock.advance(BOOT_MS * 2);
    const out = output(host);
    assert.match(out, /Booting from CD\/DVD: rescue\.iso/);
    assert.doesNotMatch(out, /Booting from Hard Disk/);
    assert.match(out, /boot=live/);
    assert.equal(host.state, 'os-running');
  }
  {
    const { host, clock } = setup({ device: 'cdrom' });
    host.powerOn();
    clock.advance(BOOT_MS * 2);
    const out = output(host);
    assert.match(out, /No bootable media in CD\/DVD drive/);
    assert.match(out, /Booting from Hard Disk/);
  }
  {
    const { host, clock } = setup({ device: 'bios-setup' });
    host.powerOn();
    clock.advance(BOOT_MS * 5);
    assert.match(output(host), /Setup Utility/);
    assert.equal(host.state, 'firmware');
    assert.doesNotMatch(output(host), /login:/);
  }
});

test('reset reboots through the firmware and takes the boot choice again', () => {
  const { host, clock, reports } = setup();
  bootToLogin(host, clock);
  host.reset();
  assert.equal(host.state, 'firmware');
  assert.equal(host.console.mode, 'closed');
  clock.advance(BOOT_MS * 1.5);
  assert.equal(reports.takes, 2);
  assert.equal(host.state, 'os-running');
  host.powerOff();
  host.reset();
  assert.equal(host.state, 'off', 'reset while off does nothing');
});

test('power off during boot cancels the boot: nothing happens later', () => {
  const { host, clock, reports } = setup();
  host.powerOn();
  clock.advance(BOOT_MS * 0.1);
  host.powerOff();
  const later = during(host, () => clock.advance(BOOT_MS * 3));
  assert.equal(later, '');
  assert.equal(host.state, 'off');
  assert.equal(reports.takes, 0);
});

test('console: login as root and echo hello', () => {
  const { host, clock } = setup();
  bootToLogin(host, clock);
  const pw = during(host, () => {
    type(host, 'root\r');
    type(host, 'tsbmc\r');
  });
  assert.match(pw, /Password: /);
  assert.doesNotMatch(pw, /tsbmc/, 'the password is not echoed');
  assert.ok(pw.endsWith('root@node7:~# '));
  const out = during(host, () => type(host, 'echo hello\r'));
  assert.equal(out, 'echo hello\r\nhello\r\nroot@node7:~# ');
});

test('console: a wrong password is refused', () => {
  const { host, clock } = setup();
  bootToLogin(host, clock);
  const out = during(host, () => {
    type(host, 'root\r');
    type(host, 'wrong\r');
  });
  assert.match(out, /Login incorrect/);
  assert.ok(out.endsWith('node7 login: '));
  assert.equal(host.console.mode, 'login-user');
  type(host, 'admin\rtsbmc\r');
  assert.equal(host.console.mode, 'login-user', 'only root may log in');
});

test('console: shell commands', () => {
  const { host, clock } = setup();
  login(host, clock);
  const run = (cmd: string): string => {
    const out = during(host, () => type(host, `${cmd}\r`));
    return out.slice(cmd.length + 2, out.length - 'root@node7:~# '.length);
  };
  assert.equal(run('hostname'), 'node7\r\n');
  assert.match(run('uname -a'), /^Linux node7 6\.1\.0-sim #1 SMP PREEMPT_DYNAMIC x86_64 GNU\/Linux\r\n$/);
  assert.match(run('uptime'), /^ \d\d:\d\d:\d\d up 0 min, {2}1 user, {2}load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d\r\n$/);
  assert.equal(run('date'), 'Thu Jan  1 00:00:06 UTC 2026\r\n');
  assert.match(run('cat /proc/cpuinfo'), /model name\t: Simulated/);
  assert.match(run('dmesg'), /Linux version[\s\S]*Hostname set to <node7>/);
  assert.equal(run('frobnicate --now'), 'sh: frobnicate: command not found\r\n');
  assert.equal(run('echo "a  b" c'), 'a  b c\r\n');
  assert.match(run('help'), /poweroff/);
  const out = during(host, () => type(host, 'exit\r'));
  assert.match(out, /logout/);
  assert.ok(out.endsWith('node7 login: '));
});

test('console: poweroff from the shell powers the host off after shutdownMs', () => {
  const { host, clock, reports } = setup();
  login(host, clock);
  const out = during(host, () => type(host, 'poweroff\r'));
  assert.match(out, /System is going down for power-off/);
  assert.equal(host.state, 'shutting-down');
  assert.equal(host.console.mode, 'closed');
  clock.advance(SHUTDOWN_MS - 1);
  assert.deepEqual(reports.off, []);
  clock.advance(1);
  assert.deepEqual(reports.off, ['os-poweroff']);
  assert.equal(host.state, 'off');
});

test('console: reboot from the shell goes through the firmware again', () => {
  const { host, clock, reports } = setup();
  login(host, clock);
  type(host, 'reboot\r');
  clock.advance(SHUTDOWN_MS);
  assert.equal(host.state, 'firmware');
  assert.match(output(host), /reboot: Restarting system/);
  clock.advance(BOOT_MS * 1.5);
  assert.equal(host.state, 'os-running');
  assert.equal(reports.takes, 2);
  assert.deepEqual(reports.off, []);
});

test('soft off: honoured by a running OS after shutdownMs, ignored during firmware', () => {
  const { host, clock, reports } = setup();
  host.powerOn();
  clock.advance(BOOT_MS * 0.1);
  host.softOff();
  assert.equal(host.state, 'firmware');
  clock.advance(BOOT_MS * 1.5);
  assert.equal(host.state, 'os-running', 'the firmware dropped the request');
  assert.deepEqual(reports.off, []);

  const out = during(host, () => host.softOff());
  assert.match(out, /System is going down/);
  assert.equal(host.state, 'shutting-down');
  host.softOff();
  clock.advance(SHUTDOWN_MS - 1);
  assert.deepEqual(reports.off, []);
  clock.advance(1);
  assert.deepEqual(reports.off, ['acpi-shutdown'], 'reported exactly once');
  assert.equal(host.state, 'off');
  clock.advance(60_000);
  assert.deepEqual(reports.off, ['acpi-shutdown']);
});

test('NMI: kernel panic on the console, the host stays on', () => {
  const { host, clock, reports } = setup();
  bootToLogin(host, clock);
  const out = during(host, () => host.diagnosticInterrupt());
  assert.match(out, /Kernel panic - not syncing: NMI: Not continuing/);
  assert.equal(host.state, 'panicked');
  clock.advance(60_000);
  assert.equal(host.state, 'panicked');
  assert.deepEqual(reports.off, []);
  assert.notEqual(host.sample(clock.now()).readings.get(V12), null, 'still powered');
  assert.equal(during(host, () => type(host, 'root\r')), '', 'a dead kernel echoes nothing');
});

test('temperatures rise while on and fall when off; fans follow', () => {
  const { host, clock } = setup();
  const at = (n: number): number => {
    const v = host.sample(clock.now()).readings.get(n);
    assert.equal(typeof v, 'number', `sensor ${n} has a reading`);
    return v as number;
  };
  const sysCold = at(SYS);
  assert.ok(Math.abs(sysCold - 25) < 0.5, `${sysCold}`);
  host.powerOn();
  clock.advance(1000);
  assert.equal(at(FAN1), 1500, 'POST runs the fans at full speed');
  const cpuStart = at(CPU);
  for (let i = 0; i < 300; i++) {
    clock.advance(1000);
    host.sample(clock.now());
  }
  const cpuWarm = at(CPU);
  const sysWarm = at(SYS);
  assert.ok(cpuWarm > cpuStart + 3, `CPU ${cpuStart} -> ${cpuWarm}`);
  assert.ok(cpuWarm > 30 && cpuWarm < 63.5, `${cpuWarm}`);
  assert.ok(sysWarm > sysCold + 0.5, `System ${sysCold} -> ${sysWarm}`);
  const fan = at(FAN1);
  assert.ok(fan >= 300 * 0.98 && fan <= 1500 * 1.02, `${fan}`);
  host.powerOff();
  clock.advance(300_000);
  const sysCool = at(SYS);
  assert.ok(sysCool < sysWarm - 0.5, `System ${sysWarm} -> ${sysCool}`);
  assert.equal(host.sample(clock.now()).readings.get(CPU), null);
  assert.equal(host.sample(clock.now()).readings.get(FAN1), null, 'fans are not monitored while off');
  host.powerOn();
  clock.advance(1000);
  assert.ok(at(CPU) < cpuWarm, 'the CPU cooled while off');
});

test('power domains: main rails unavailable while off, standby rails stay', () => {
  const { host, clock } = setup();
  const off = host.sample(clock.now());
  assert.equal(off.readings.get(V12), null);
  assert.equal(off.readings.get(CPU), null);
  const sb = off.readings.get(V5SB);
  const bat = off.readings.get(VBAT);
  assert.ok(typeof sb === 'number' && Math.abs(sb - 5) <= 5 * 0.005 + 1e-9, `${sb}`);
  assert.ok(typeof bat === 'number' && Math.abs(bat - 3.1) <= 3.1 * 0.003 + 1e-9, `${bat}`);
  assert.ok(off.powerWatts >= 4.5 && off.powerWatts <= 8.5, `${off.powerWatts} W standby`);
  assert.equal(off.readings.get(CONST), 42);
  host.powerOn();
  clock.advance(2000);
  const on = host.sample(clock.now());
  const v12 = on.readings.get(V12);
  assert.ok(typeof v12 === 'number' && Math.abs(v12 - 12) <= 0.06 + 1e-9, `${v12}`);
  assert.ok(on.powerWatts > 90, `${on.powerWatts} W on`);
});

test('absent sensors are always null', () => {
  const { host, clock } = setup();
  for (const phase of ['off', 'on'] as const) {
    if (phase === 'on') {
      bootToLogin(host, clock);
      clock.advance(5000);
    }
    const r = host.sample(clock.now()).readings;
    assert.equal(r.get(DIMMA2), null, phase);
    assert.equal(r.get(FAN3), null, phase);
    assert.ok(r.has(DIMMA2) && r.has(FAN3), 'absent sensors are still reported');
  }
});

function run(seed: number, sampleEveryS: number): { readings: (number | null)[][]; out: string } {
  const { host, clock } = setup({ seed });
  const readings: (number | null)[][] = [];
  host.powerOn();
  for (let s = 1; s <= 600; s++) {
    clock.advance(1000);
    if (s % sampleEveryS === 0) {
      const r = host.sample(clock.now());
      readings.push([...r.readings.values(), r.powerWatts]);
    }
  }
  return { readings, out: output(host) };
}

test('deterministic for a seed; different seeds differ; independent of how often it is sampled', () => {
  const a = run(11, 1);
  const b = run(11, 1);
  assert.deepEqual(a, b);
  const c = run(12, 1);
  assert.notDeepEqual(a.readings, c.readings);
  const sparse = run(11, 60);
  assert.equal(sparse.readings.length, 10);
  sparse.readings.forEach((row, i) => {
    const dense = a.readings[i * 60 + 59]!;
    row.forEach((v, j) => {
      const d = dense[j];
      if (v === null || d === null || d === undefined) assert.equal(v, d ?? null);
      else assert.ok(Math.abs(v - d) < 1e-6, `sample ${i} sensor ${j}: ${v} vs ${d}`);
    });
  });
});

test('with the model: a "Once" boot override is consumed by one boot and the OS power-off is reported', () => {
  const clock = new ManualClock();
  const spec = testBmcSpec(1);
  const link = new SimHost({ sensors: SENSORS, clock, seed: 3, bootMs: BOOT_MS, shutdownMs: SHUTDOWN_MS });
  const bmc = new Bmc({ spec, clock, persist: new MemoryPersistence(), box: plainBox, links: [link] });
  const host = bmc.hosts[0]!;
  host.setBootOverride({ ...host.boot.override, valid: true, persistent: false, device: 'pxe' });
  assert.equal(host.request('on'), undefined);
  clock.advance(BOOT_MS * 2);
  assert.equal(link.lastBootChoice?.device, 'pxe');
  assert.equal(host.boot.override.valid, false, '"Once" consumed');
  host.request('reset');
  clock.advance(BOOT_MS * 2);
  assert.equal(link.lastBootChoice?.device, 'none');
  assert.equal(host.request('soft'), undefined);
  clock.advance(SHUTDOWN_MS);
  assert.equal(host.power, 'off');
  assert.equal(link.state, 'off');
  host.scan();
  assert.equal(host.sensors.get(V12)?.value ?? null, null);
});

test('power cap: the draw stays under a reachable cap and the CPU runs cooler; an unreachable cap leaves the idle draw', () => {
  const capped = setup();
  const free = setup();
  for (const { host, clock } of [capped, free]) bootToLogin(host, clock);
  // idle 95 W, max 280 W by default
  capped.host.setPowerCap(150);
  const draws: number[] = [];
  for (let i = 0; i < 600; i++) {
    capped.clock.advance(1000);
    free.clock.advance(1000);
    draws.push(capped.host.sample(capped.clock.now()).powerWatts);
    free.host.sample(free.clock.now());
  }
  assert.ok(Math.max(...draws) <= 150, `max ${Math.max(...draws)} W under a 150 W cap`);
  assert.ok(Math.max(...draws) > 140, `throttled to the cap, not below it: ${Math.max(...draws)} W`);
  const cpu = (h: SimHost, c: ManualClock): number => h.sample(c.now()).readings.get(CPU) as number;
  assert.ok(cpu(capped.host, capped.clock) < cpu(free.host, free.clock), 'throttling lowers the CPU temperature');
  capped.host.setPowerCap(50);
  capped.clock.advance(1000);
  const floor = capped.host.sample(capped.clock.now()).powerWatts;
  assert.ok(floor > 50 && Math.abs(floor - 95) <= 95 * 0.011, `${floor} W: the idle draw is the floor`);
  capped.host.setPowerCap(null);
  let peak = 0;
  for (let i = 0; i < 600; i++) {
    capped.clock.advance(1000);
    peak = Math.max(peak, capped.host.sample(capped.clock.now()).powerWatts);
  }
  assert.ok(peak > 150, `the cap is lifted: ${peak} W`);
});
