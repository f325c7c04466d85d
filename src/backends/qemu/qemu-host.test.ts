// QemuHost without QEMU: a fake launcher plays the QEMU process — it connects
// to the backend's QMP and serial sockets as QEMU does, speaks QMP, records
// the commands and emits the events a real QEMU would. Checks the mapping of
// power actions and media to QMP commands, events and exits back to the
// model, the console bridge, the command line (qemuArgs, bootOrder), the boot
// plan (the profile kernel as the disk's OS) with the process restarts it
// needs at a BMC reset and at the guest's reboot, and the USB stick's QMP
// sequences. The QMP sequences were checked against QEMU 7.2 by hand.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import type { QemuProfile } from '../../config/profile.js';
import type { BootDevice } from '../../model/boot.js';
import { ManualClock } from '../../model/clock.js';
import { ConsoleBuffer } from '../../model/console.js';
import type { HostReports } from '../link.js';
import { bootOrder, planBoot, QemuHost, qemuArgs, type VmLauncher, type VmProcess } from './qemu-host.js';

const MACHINE: QemuProfile = {
  binary: 'qemu-system-x86_64',
  machine: 'pc',
  accel: 'tcg',
  memoryMiB: 256,
  cpus: 1,
  kernel: '/img/vmlinuz',
  initrd: '/img/initrd.gz',
  append: 'console=ttyS0',
  disks: [],
  cdrom: true,
  usb: true,
  nic: 'none',
  ipmiInterface: 'kcs',
  vnc: false,
  extraArgs: [],
  startTimeoutSeconds: 5,
};

/** A fake QEMU process: connects to the sockets named in its arguments and answers QMP. */
class FakeQemu extends EventEmitter implements VmProcess {
  readonly pid = 4242;
  readonly commands: { execute: string; arguments?: Record<string, unknown> }[] = [];
  readonly serialIn: Buffer[] = [];
  qmp: Socket | undefined;
  serial: Socket | undefined;
  exited = false;
  readonly ready: Promise<void>;

  constructor(readonly args: readonly string[]) {
    super();
    const path = (id: string): string => {
      const spec = args.find((a) => a.startsWith(`socket,id=${id},path=`));
      assert.ok(spec, `no ${id} chardev in ${args.join(' ')}`);
      return spec.slice(`socket,id=${id},path=`.length);
    };
    this.ready = new Promise((resolve) => {
      this.serial = connect(path('serial0'), () => {
        this.qmp = connect(path('qmp0'), () => {
          this.qmp!.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
          resolve();
        });
        let buf = '';
        this.qmp.setEncoding('utf8');
        this.qmp.on('data', (d: string) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const cmd = JSON.parse(buf.slice(0, nl)) as { execute: string; id: number; arguments?: Record<string, unknown> };
            buf = buf.slice(nl + 1);
            this.#command(cmd);
          }
        });
        this.qmp.on('error', () => undefined);
      });
      this.serial.on('data', (d: Buffer) => this.serialIn.push(d));
      this.serial.on('error', () => undefined);
    });
  }

  #command(cmd: { execute: string; id: number; arguments?: Record<string, unknown> }): void {
    if (cmd.execute !== 'qmp_capabilities') this.commands.push(cmd.arguments ? { execute: cmd.execute, arguments: cmd.arguments } : { execute: cmd.execute });
    this.qmp?.write(`${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
    if (cmd.execute === 'system_reset') this.event('RESET', { guest: false, reason: 'host-qmp-system-reset' });
    // USB unplug is a surprise removal: QEMU announces it at once (child device first, as QEMU 7.2 does)
    if (cmd.execute === 'device_del') {
      const id = String(cmd.arguments?.id);
      setImmediate(() => {
        this.event('DEVICE_DELETED', { path: `/machine/peripheral/${id}/${id}.0/legacy[0]` });
        this.event('DEVICE_DELETED', { device: id, path: `/machine/peripheral/${id}` });
      });
    }
    if (cmd.execute === 'quit') {
      this.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
      setImmediate(() => this.exit(0, null));
    }
  }

  event(name: string, data: Record<string, unknown>): void {
    this.qmp?.write(`${JSON.stringify({ event: name, data, timestamp: { seconds: 0, microseconds: 0 } })}\r\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.qmp?.destroy();
    this.serial?.destroy();
    this.emit('exit', code, signal);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    setImmediate(() => this.exit(null, signal));
    return true;
  }
}

interface Rig {
  host: QemuHost;
  buffer: ConsoleBuffer;
  launched: FakeQemu[];
  reports: string[];
  boot: BootDevice[];
  /** The latest fake QEMU, once connected. */
  vm(): Promise<FakeQemu>;
}

function rig(opts: { machine?: Partial<QemuProfile>; launch?: VmLauncher } = {}): Rig {
  const launched: FakeQemu[] = [];
  const reports: string[] = [];
  const boot: BootDevice[] = [];
  const buffer = new ConsoleBuffer();
  let returned = 0;
  const host = new QemuHost({
    machine: { ...MACHINE, ...opts.machine },
    index: 0,
    consoleBuffer: buffer,
    sensors: { sensors: [], clock: new ManualClock() },
    bmcChardev: () => ({ host: '127.0.0.1', port: 9002 }),
    launch:
      opts.launch ??
      ((_bin, args) => {
        const f = new FakeQemu(args);
        launched.push(f);
        return f;
      }),
  });
  const r: HostReports = {
    poweredOff: (why) => reports.push(`off:${why}`),
    poweredOn: (why) => reports.push(`on:${why}`),
    restarted: (why) => reports.push(`restarted:${why}`),
    takeBootChoice: () => ({ device: boot.shift() ?? 'none', mode: 'legacy' }),
  };
  host.attach(r);
  return {
    host,
    buffer,
    launched,
    reports,
    boot,
    async vm() {
      const deadline = Date.now() + 5000;
      while (launched.length <= returned || !host.running) {
        if (Date.now() > deadline) throw new Error('no VM launched');
        await tick(5);
      }
      returned = launched.length;
      const f = launched[launched.length - 1]!;
      await f.ready;
      await until(() => (host as unknown as { pid: number | undefined }).pid !== undefined);
      return f;
    },
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await tick(5);
  }
}

/** Waits until QMP has been negotiated (the backend sends commands only then). */
async function started(r: Rig): Promise<FakeQemu> {
  const vm = await r.vm();
  // a harmless command round trip: NMI is recorded once QMP is up
  await tick(20);
  return vm;
}

test('power on starts QEMU with the boot device the model chose; power off is QMP quit and reports nothing', async () => {
  const r = rig();
  r.boot.push('pxe');
  r.host.powerOn();
  const vm = await started(r);
  assert.ok(vm.args.includes('order=ncd'), vm.args.join(' '));
  assert.ok(vm.args.includes('ipmi-bmc-extern,chardev=ipmi0,id=bmc0'));
  assert.ok(vm.args.includes('socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1'));
  r.host.powerOn(); // already on: nothing new
  await tick(20);
  assert.equal(r.launched.length, 1);
  r.host.powerOff();
  await until(() => vm.exited);
  await until(() => !r.host.running && r.host.pid === undefined);
  assert.deepEqual(vm.commands.map((c) => c.execute), ['quit']);
  assert.deepEqual(r.reports, [], 'the model already knows it is off');
  await r.host.close();
});

test('reset, soft off and NMI map to system_reset (with boot_set), system_powerdown and inject-nmi', async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  r.boot.push('cdrom');
  r.host.reset();
  await until(() => vm.commands.some((c) => c.execute === 'system_reset'));
  // SeaBIOS's own resets right after ours are not a second restart
  vm.event('RESET', { guest: true, reason: 'guest-reset' });
  r.host.softOff();
  r.host.diagnosticInterrupt();
  await until(() => vm.commands.length === 4);
  assert.deepEqual(vm.commands, [
    { execute: 'human-monitor-command', arguments: { 'command-line': 'boot_set dcn' } },
    { execute: 'system_reset' },
    { execute: 'system_powerdown' },
    { execute: 'inject-nmi' },
  ]);
  // the same boot order again needs no boot_set
  r.boot.push('cdrom');
  r.host.reset();
  await until(() => vm.commands.length === 5);
  assert.deepEqual(vm.commands[4], { execute: 'system_reset' });
  assert.deepEqual(r.reports, []);
  await r.host.close();
  assert.ok(vm.exited);
});

test("the guest's reboot is reported once per burst; its poweroff once, and the exit after it adds nothing", async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  vm.event('RESET', { guest: true, reason: 'guest-reset' });
  vm.event('RESET', { guest: true, reason: 'guest-reset' });
  await until(() => r.reports.length === 1);
  await tick(30);
  assert.deepEqual(r.reports, ['restarted:vm-reset']);
  vm.event('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
  await until(() => r.reports.length === 2);
  vm.exit(0, null);
  await until(() => r.host.pid === undefined);
  await tick(20);
  assert.deepEqual(r.reports, ['restarted:vm-reset', 'off:vm-shutdown']);
  assert.equal(r.host.running, false);
  await r.host.close();
});

test('QEMU exiting on its own is reported as vm-exit', async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  vm.exit(null, 'SIGKILL');
  await until(() => r.reports.length === 1);
  assert.deepEqual(r.reports, ['off:vm-exit']);
  assert.equal(r.host.running, false);
  // and it can be started again
  r.host.powerOn();
  const vm2 = await started(r);
  assert.notEqual(vm2, vm);
  await r.host.close();
});

test('a QEMU that cannot be run reports vm-start-failed', async () => {
  const r = rig({
    launch: () => {
      const p = new (class extends EventEmitter {
        readonly pid = undefined;
        kill(): boolean {
          return false;
        }
      })();
      setImmediate(() => p.emit('error', Object.assign(new Error('spawn qemu ENOENT'), { code: 'ENOENT' })));
      return p as unknown as VmProcess;
    },
  });
  r.host.powerOn();
  await until(() => r.reports.length === 1);
  assert.deepEqual(r.reports, ['off:vm-start-failed']);
  assert.equal(r.host.running, false);
  await r.host.close();
});

test('power on while the last run is still ending starts a new run after its exit (power cycle)', async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  r.host.powerOff();
  r.host.powerOn();
  await until(() => r.launched.length === 2);
  assert.ok(vm.exited);
  await started(r);
  assert.equal(r.host.running, true);
  assert.deepEqual(r.reports, []);
  await r.host.close();
  assert.ok(r.launched[1]!.exited);
});

test('serial output reaches the console buffer and subscribers; console input reaches the serial port', async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  const seen: string[] = [];
  const off = r.host.console.onOutput((d) => seen.push(Buffer.from(d).toString()));
  vm.serial!.write('Linux version 6.1\r\nlogin: ');
  await until(() => Buffer.from(r.buffer.history()).toString().includes('login: '));
  assert.equal(seen.join(''), 'Linux version 6.1\r\nlogin: ');
  off();
  r.host.console.write(new TextEncoder().encode('root\r'));
  await until(() => Buffer.concat(vm.serialIn).toString() === 'root\r');
  await r.host.close();
});

test('virtual media: a CD image is in the command line at start, changed and ejected over QMP while running', async () => {
  const r = rig();
  r.host.attachMedia('cd', { path: '/cache/a,b.iso', name: 'a,b.iso' });
  r.host.powerOn();
  const vm = await started(r);
  assert.ok(vm.args.includes('if=none,id=cd0drv,media=cdrom,file=/cache/a,,b.iso,format=raw,readonly=on'), vm.args.join(' '));
  r.host.attachMedia('cd', { path: '/cache/live.iso', name: 'live.iso' });
  r.host.attachMedia('cd', null);
  await until(() => vm.commands.length === 2);
  assert.deepEqual(vm.commands, [
    { execute: 'blockdev-change-medium', arguments: { id: 'cd0', filename: '/cache/live.iso', format: 'raw', 'read-only-mode': 'read-only' } },
    { execute: 'eject', arguments: { id: 'cd0', force: true } },
  ]);
  await r.host.close();
});

test('sensors come from the simulation and follow the VM power', async () => {
  const r = rig();
  assert.equal(r.host.sample(Date.now()).readings.size, 0);
  assert.ok(r.host.sample(Date.now()).powerWatts < 20, 'standby draw while off');
  await r.host.close();
});

test('bootOrder: the chosen device first, then disk, CD, network', () => {
  const cases: [BootDevice, string][] = [
    ['none', 'cdn'],
    ['pxe', 'ncd'],
    ['cdrom', 'dcn'],
    ['remote-cdrom', 'dcn'],
    ['disk', 'cdn'],
    ['floppy', 'acdn'],
    ['bios-setup', 'cdn'],
  ];
  for (const [device, order] of cases) assert.equal(bootOrder(device).order, order, device);
  assert.equal(bootOrder('bios-setup').menu, true);
});

test('qemuArgs: sockets, direct kernel boot, disks, NIC, no IPMI device without a listener, extra arguments last', () => {
  const args = qemuArgs(
    { ...MACHINE, disks: [{ path: '/d/root.qcow2', format: 'qcow2', snapshot: true }], nic: 'e1000', cdrom: false, extraArgs: ['-rtc', 'base=utc'] },
    { name: 'tsbmc-host0', qmpPath: '/r/qmp.sock', serialPath: '/r/serial.sock', bootOrder: 'cdn', bootMenu: false },
  );
  const line = args.join(' ');
  assert.match(line, /-chardev socket,id=qmp0,path=\/r\/qmp\.sock -mon chardev=qmp0,mode=control/);
  assert.match(line, /-chardev socket,id=serial0,path=\/r\/serial\.sock -serial chardev:serial0/);
  assert.match(line, /-kernel \/img\/vmlinuz -initrd \/img\/initrd\.gz -append console=ttyS0/);
  assert.match(line, /-drive if=none,id=disk0,file=\/d\/root\.qcow2,format=qcow2,snapshot=on -device ide-hd,drive=disk0,id=disk0dev/);
  assert.match(line, /-netdev user,id=net0 -device e1000,netdev=net0/);
  assert.doesNotMatch(line, /ipmi|cdrom|-vnc/);
  assert.deepEqual(args.slice(-2), ['-rtc', 'base=utc']);
  const vnc = qemuArgs({ ...MACHINE, vnc: true, ipmiInterface: 'bt' }, { name: 'h', qmpPath: 'q', serialPath: 's', vncPath: '/r/vnc.sock', chardev: { host: '127.0.0.1', port: 1 }, bootOrder: 'dcn', bootMenu: true });
  assert.match(vnc.join(' '), / -device VGA -vnc unix:\/r\/vnc\.sock,share=force-shared( |$)/);
  assert.ok(vnc.includes('isa-ipmi-bt,bmc=bmc0'));
  assert.ok(vnc.includes('order=dcn,menu=on'));
});

test('profiles: qemu-guest.json names the harness images relative to itself; backend qemu without a section gets defaults', async () => {
  const { DEFAULT_PROFILE_PATH, loadProfile, parseProfile } = await import('../../config/profile.js');
  const { dirname, join } = await import('node:path');
  const { readFileSync } = await import('node:fs');
  const profilesDir = dirname(DEFAULT_PROFILE_PATH);
  const p = loadProfile(join(profilesDir, 'qemu-guest.json'));
  assert.equal(p.host.backend, 'qemu');
  assert.equal(p.host.qemu?.kernel, join(profilesDir, '..', '.cache', 'qemu-guest', 'vmlinuz'));
  assert.equal(p.host.qemu?.initrd, join(profilesDir, '..', '.cache', 'qemu-guest', 'initramfs.cpio.gz'));
  assert.equal(loadProfile(DEFAULT_PROFILE_PATH).host.backend, 'sim');
  const raw = JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as { host: Record<string, unknown> };
  raw.host.backend = 'qemu';
  const q = parseProfile(JSON.stringify(raw), 'test');
  assert.deepEqual(
    { binary: q.host.qemu?.binary, accel: q.host.qemu?.accel, memoryMiB: q.host.qemu?.memoryMiB, cdrom: q.host.qemu?.cdrom, nic: q.host.qemu?.nic, ipmi: q.host.qemu?.ipmiInterface },
    { binary: 'qemu-system-x86_64', accel: 'tcg', memoryMiB: 256, cdrom: true, nic: 'none', ipmi: 'kcs' },
  );
  raw.host.qemu = { accel: 'hvf' };
  assert.throws(() => parseProfile(JSON.stringify(raw), 'test'), /host\.qemu\.accel/);
});

// ---- boot devices, the kernel as the disk's OS, process restarts ------------

const CD = { path: '/cache/boot.iso', name: 'boot.iso' };
const STICK = { path: '/cache/stick,1.img', name: 'stick,1.img' };
const hasKernel = (vm: FakeQemu): boolean => vm.args.includes('-kernel');

test('planBoot: the kernel stands in for the disk; a device with something to boot runs without it; an empty one falls through to the disk', () => {
  const none = { cd: false, usb: false };
  const both = { cd: true, usb: true };
  const cases: [BootDevice, { cd: boolean; usb: boolean }, Partial<typeof MACHINE>, boolean, string, boolean][] = [
    // device, media, machine, kernel, order, usbBoot
    ['none', both, {}, true, 'cdn', false],
    ['disk', both, {}, true, 'cdn', false],
    ['disk-safe', both, {}, true, 'cdn', false],
    ['diag', both, {}, true, 'cdn', false],
    ['bios-setup', both, {}, true, 'cdn', false],
    ['cdrom', both, {}, false, 'dcn', false],
    ['remote-cdrom', both, {}, false, 'dcn', false],
    ['cdrom', none, {}, true, 'dcn', false],
    ['cdrom', both, { cdrom: false }, true, 'dcn', false],
    ['usb', both, {}, false, 'cdn', true],
    ['usb', none, {}, true, 'cdn', false],
    ['usb', both, { usb: false }, true, 'cdn', false],
    ['pxe', none, {}, true, 'ncd', false],
    ['pxe', none, { nic: 'e1000' }, false, 'ncd', false],
    ['uefi-http', none, { nic: 'e1000' }, false, 'ncd', false],
    ['floppy', both, {}, true, 'acdn', false],
    ['remote-floppy', both, {}, true, 'acdn', false],
    ['remote-disk', both, {}, true, 'cdn', false],
  ];
  for (const [device, media, machine, kernel, order, usbBoot] of cases) {
    const p = planBoot({ ...MACHINE, ...machine }, device, media);
    assert.deepEqual({ kernel: p.kernel, order: p.order, usbBoot: p.usbBoot }, { kernel, order, usbBoot }, `${device} ${JSON.stringify(media)} ${JSON.stringify(machine)}`);
  }
  // without a kernel in the profile the firmware always chooses (the disks are real)
  const { kernel: _k, initrd: _i, ...diskOnly } = MACHINE;
  assert.equal(planBoot(diskOnly, 'none', none).kernel, false);
  assert.equal(planBoot(diskOnly, 'cdrom', both).kernel, false);
});

test('power on: a CD override with a disc starts QEMU without the kernel (SeaBIOS boots the CD); without a disc the kernel boots', async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.boot.push('cdrom');
  r.host.powerOn();
  let vm = await started(r);
  assert.equal(hasKernel(vm), false, vm.args.join(' '));
  assert.ok(!vm.args.includes('-initrd') && !vm.args.includes('-append'));
  assert.ok(vm.args.includes('order=dcn'));
  r.host.powerOff();
  await until(() => vm.exited);
  r.host.attachMedia('cd', null);
  r.boot.push('cdrom');
  r.host.powerOn();
  vm = await started(r);
  assert.ok(hasKernel(vm), 'an empty drive falls through to the disk');
  assert.match(vm.args.join(' '), /-kernel \/img\/vmlinuz -initrd \/img\/initrd\.gz -append console=ttyS0/);
  await r.host.close();
});

test('a BMC reset whose boot needs the other kernel setup restarts the process; the model hears nothing (it asked for the reset)', async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.host.powerOn();
  const vm1 = await started(r);
  assert.ok(hasKernel(vm1));
  r.boot.push('cdrom');
  r.host.reset();
  const vm2 = await r.vm();
  await tick(20);
  assert.ok(vm1.exited);
  assert.deepEqual(vm1.commands.map((c) => c.execute), ['quit'], 'no system_reset: a new process');
  assert.equal(hasKernel(vm2), false);
  assert.ok(vm2.args.includes('order=dcn'));
  assert.ok(vm2.args.includes('if=none,id=cd0drv,media=cdrom,file=/cache/boot.iso,format=raw,readonly=on'));
  assert.equal(r.host.running, true);
  // and back: the override was Once, this reset boots the disk again
  r.host.reset();
  const vm3 = await r.vm();
  assert.ok(hasKernel(vm3));
  assert.ok(vm3.args.includes('order=cdn'));
  // the same setup again: an in-place system_reset
  r.host.reset();
  await until(() => vm3.commands.some((c) => c.execute === 'system_reset'));
  assert.deepEqual(vm3.commands.map((c) => c.execute), ['system_reset']);
  assert.equal(r.launched.length, 3);
  assert.deepEqual(r.reports, [], 'a restart is not power off and on');
  await r.host.close();
});

test("the guest's reboot takes the boot device: a CD boot restarts QEMU without the kernel, once; the same setup resets in place", async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.host.powerOn();
  const vm1 = await started(r);
  // a Once CD override: the guest's reboot boots the CD in a new process
  r.boot.push('cdrom');
  vm1.event('RESET', { guest: true, reason: 'guest-reset' });
  const vm2 = await r.vm();
  assert.ok(vm1.exited);
  assert.deepEqual(vm1.commands.map((c) => c.execute), ['quit']);
  assert.equal(hasKernel(vm2), false);
  assert.ok(vm2.args.includes('order=dcn'));
  // the override was consumed: the CD guest's reboot goes back to the disk (the kernel)
  vm2.event('RESET', { guest: true, reason: 'guest-reset' });
  const vm3 = await r.vm();
  assert.ok(hasKernel(vm3));
  // nothing changes: SeaBIOS boots the kernel again in the same process
  vm3.event('RESET', { guest: true, reason: 'guest-reset' });
  await until(() => r.reports.length === 3);
  await tick(30);
  assert.equal(r.launched.length, 3);
  assert.deepEqual(vm3.commands, []);
  assert.deepEqual(r.reports, ['restarted:vm-reset', 'restarted:vm-reset', 'restarted:vm-reset'], 'restarts, never off');
  assert.equal(r.host.running, true);
  await r.host.close();
});

test('bootOverrideChanged keeps the order of a process without the kernel equal to the override; the guest reboot then resets in place', async () => {
  const r = rig({ machine: { nic: 'e1000' } });
  r.host.attachMedia('cd', CD);
  r.boot.push('cdrom', 'pxe');
  r.host.powerOn();
  const vm = await started(r);
  assert.equal(hasKernel(vm), false);
  // an override set while the VM runs: QEMU's order follows at once
  r.host.bootOverrideChanged({ device: 'pxe', mode: 'legacy' });
  await until(() => vm.commands.length === 1);
  assert.deepEqual(vm.commands[0], { execute: 'human-monitor-command', arguments: { 'command-line': 'boot_set ncd' } });
  // the guest reboots: the order is already right, no new process
  vm.event('RESET', { guest: true, reason: 'guest-reset' });
  await until(() => r.reports.length === 1);
  await tick(30);
  assert.equal(r.launched.length, 1);
  assert.equal(vm.commands.length, 1);
  // an override needing the kernel is not set in QEMU (the reboot will restart the process)
  r.host.bootOverrideChanged({ device: 'disk', mode: 'legacy' });
  await tick(30);
  assert.equal(vm.commands.length, 1);
  await r.host.close();
});

test('bootOverrideChanged in a process with the kernel changes nothing (the kernel boots whatever the order)', async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.host.powerOn();
  const vm = await started(r);
  r.host.bootOverrideChanged({ device: 'cdrom', mode: 'legacy' });
  await tick(30);
  assert.deepEqual(vm.commands, []);
  await r.host.close();
});

test('a power off during a restart cancels the new process; a power cycle takes the boot device when it starts', async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.host.powerOn();
  const vm1 = await started(r);
  r.boot.push('cdrom');
  r.host.reset();
  r.host.powerOff();
  await until(() => vm1.exited);
  await tick(30);
  assert.equal(r.launched.length, 1);
  assert.equal(r.host.running, false);
  assert.deepEqual(r.reports, []);
  r.host.powerOn();
  const vm2 = await started(r);
  assert.ok(hasKernel(vm2), 'the Once CD override was consumed by the reset');
  await r.host.close();
});

test('USB stick: qemu-xhci always; an image at start is on the command line (bootindex when it is the boot device)', async () => {
  const r = rig();
  r.host.powerOn();
  let vm = await started(r);
  assert.ok(vm.args.includes('qemu-xhci,id=usb'));
  assert.ok(!vm.args.includes('-blockdev'));
  r.host.powerOff();
  await until(() => vm.exited);
  r.host.attachMedia('usb', STICK);
  r.boot.push('usb');
  r.host.powerOn();
  vm = await started(r);
  assert.equal(hasKernel(vm), false);
  const line = vm.args.join(' ');
  assert.match(line, / -blockdev driver=raw,node-name=usb0img,read-only=on,file\.driver=file,file\.filename=\/cache\/stick,,1\.img,file\.read-only=on /);
  assert.match(line, / -device usb-storage,bus=usb\.0,drive=usb0img,id=usb0,removable=on,bootindex=0( |$)/);
  r.host.powerOff();
  await until(() => vm.exited);
  r.host.powerOn();
  vm = await started(r);
  assert.ok(hasKernel(vm));
  assert.match(vm.args.join(' '), /id=usb0,removable=on( |$)/, 'not the boot device: no bootindex');
  await r.host.close();
  assert.equal(qemuArgs({ ...MACHINE, usb: false }, { name: 'h', qmpPath: 'q', serialPath: 's', bootOrder: 'cdn', bootMenu: false, usbImage: '/x.img' }).some((a) => a.includes('usb')), false);
});

test('USB stick while running: blockdev-add + device_add; eject is device_del, DEVICE_DELETED, blockdev-del; a swap does both in order', async () => {
  const r = rig();
  r.host.powerOn();
  const vm = await started(r);
  r.host.attachMedia('usb', STICK);
  r.host.attachMedia('usb', { path: '/cache/other.img', name: 'other.img' });
  r.host.attachMedia('usb', null);
  await until(() => vm.commands.length === 8);
  const add = (path: string) => [
    { execute: 'blockdev-add', arguments: { driver: 'raw', 'node-name': 'usb0img', 'read-only': true, file: { driver: 'file', filename: path, 'read-only': true } } },
    { execute: 'device_add', arguments: { driver: 'usb-storage', id: 'usb0', bus: 'usb.0', drive: 'usb0img', removable: true } },
  ];
  const del = [{ execute: 'device_del', arguments: { id: 'usb0' } }, { execute: 'blockdev-del', arguments: { 'node-name': 'usb0img' } }];
  assert.deepEqual(vm.commands, [...add('/cache/stick,1.img'), ...del, ...add('/cache/other.img'), ...del]);
  assert.equal(r.host.usbMedia, null);
  await r.host.close();
});

test('USB boot device: the stick gets bootindex 0 over qom-set at a reset, and loses it when the override moves on; without a controller nothing is sent', async () => {
  const r = rig();
  r.host.attachMedia('usb', STICK);
  r.host.attachMedia('cd', CD);
  r.boot.push('cdrom', 'usb');
  r.host.powerOn();
  const vm = await started(r);
  assert.equal(hasKernel(vm), false);
  assert.match(vm.args.join(' '), /id=usb0,removable=on( |$)/);
  r.host.reset();
  await until(() => vm.commands.length === 3);
  assert.deepEqual(vm.commands, [
    { execute: 'human-monitor-command', arguments: { 'command-line': 'boot_set cdn' } },
    { execute: 'qom-set', arguments: { path: '/machine/peripheral/usb0', property: 'bootindex', value: 0 } },
    { execute: 'system_reset' },
  ]);
  r.host.bootOverrideChanged({ device: 'cdrom', mode: 'legacy' });
  await until(() => vm.commands.length === 5);
  assert.deepEqual(vm.commands.slice(3), [
    { execute: 'human-monitor-command', arguments: { 'command-line': 'boot_set dcn' } },
    { execute: 'qom-set', arguments: { path: '/machine/peripheral/usb0', property: 'bootindex', value: -1 } },
  ]);
  await r.host.close();

  const n = rig({ machine: { usb: false } });
  n.host.powerOn();
  const vm2 = await started(n);
  n.host.attachMedia('usb', STICK);
  await tick(30);
  assert.deepEqual(vm2.commands, []);
  assert.ok(!vm2.args.includes('qemu-xhci,id=usb'));
  await n.host.close();
});

test('a second reset while a restart is under way takes the boot device again for the new process', async () => {
  const r = rig();
  r.host.attachMedia('cd', CD);
  r.host.powerOn();
  const vm1 = await started(r);
  r.boot.push('cdrom', 'disk');
  r.host.reset();
  r.host.reset();
  const vm2 = await r.vm();
  assert.ok(vm1.exited);
  assert.equal(r.boot.length, 0, 'both resets asked the model');
  assert.ok(hasKernel(vm2), 'the later reset decides');
  assert.equal(r.launched.length, 2);
  await r.host.close();
});

test('a power cap reaches the sensor model: the VM draws less than the same VM uncapped', async (t) => {
  const [capped, free] = [rig(), rig()];
  t.after(() => Promise.all([capped.host.close(), free.host.close()]));
  for (const r of [capped, free]) {
    r.host.powerOn();
    await started(r);
  }
  capped.host.setPowerCap(40); // below the idle draw: throttled to idle
  const t0 = Date.now();
  let lower = 0;
  for (let k = 1; k <= 120; k++) {
    const t = t0 + k * 10_000;
    const [c, f] = [capped.host.sample(t).powerWatts, free.host.sample(t).powerWatts];
    assert.ok(c <= f, `${c} W capped > ${f} W free at +${k * 10} s`);
    if (c < f) lower++;
  }
  assert.ok(lower > 60, `capped below uncapped in ${lower} of 120 samples`);
});
