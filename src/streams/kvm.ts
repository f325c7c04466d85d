// /ws/kvm: a host's graphical console (KVM over IP), docs/STREAMS.md "KVM".
// A byte bridge between the WebSocket's binary messages and the host's VNC
// server (HostLink.display): the bytes are RFB 3.8 (RFC 6143) end to end,
// never parsed or changed here, so a browser VNC client (noVNC) negotiates
// version, security and encodings with the VNC server itself. Message
// boundaries carry no meaning either way (RFB is a byte stream).
//
// Opening needs ConfigureComponents (keyboard and mouse act on the host, as
// bmcweb's KVM route requires). A host without a display, or one that is
// off, is refused with 4503; a display that goes away (power off, the VM
// exits) closes the stream with 4503. Right after power on the VNC server
// may not listen yet: connecting is retried for a bounded time.
//
// Backpressure both ways: display output is sent in chunks and reading from
// the display pauses while the client has too much unsent; client input
// pauses the WebSocket while the display's socket has too much unwritten.
import { createConnection, type Socket } from 'node:net';
import type { Clock, TimerHandle } from '../model/clock.js';
import { MAX_KVM_SESSIONS_PER_HOST } from '../model/display.js';
import type { Host } from '../model/host.js';
import type { RedfishPrivilege } from '../redfish/privileges.js';
import { systemId } from '../redfish/ids.js';
import type { DisplayAddress } from '../backends/link.js';
import { CloseCode, StreamError } from './auth.js';
import { perHostStream, type Incoming, type Peer, type StreamContext, type StreamDef, type StreamHandle } from './peer.js';

export const KVM_PATH = '/ws/kvm';
export const KVM_PRIVILEGE: RedfishPrivilege = 'ConfigureComponents';
/** Open KVM streams per host; one more is closed with 4429 (the model's limit, which Redfish reports). */
export const MAX_KVM_PER_HOST = MAX_KVM_SESSIONS_PER_HOST;
/** Above this many bytes unsent to the client, reading from the display pauses... */
export const KVM_HIGH_WATER = 1024 * 1024;
/** ...until fewer than this many are left. */
export const KVM_LOW_WATER = 256 * 1024;
export const KVM_DRAIN_POLL_MS = 20;
/** Largest binary message sent to the client (a longer read is split). */
export const KVM_CHUNK = 64 * 1024;
/** Client bytes held (unwritten to the display) above which client messages pause. */
export const KVM_INPUT_HIGH_WATER = 256 * 1024;
/** How long connecting to a display that is not listening yet is retried. */
export const KVM_CONNECT_WINDOW_MS = 5000;
export const KVM_CONNECT_RETRY_MS = 100;
/** Input counts as session activity at most this often. */
export const KVM_TOUCH_MS = 1000;
/** RFC 6455 7.4.1: a data type the endpoint cannot accept (a text message). */
export const UNSUPPORTED_DATA = 1003;

/** Errors meaning "the display is not listening yet": worth another try while the window lasts. */
const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

export interface KvmOptions {
  clock?: Clock;
  /** Opens a connection to the display (tests pass a fake). */
  connect?: (address: DisplayAddress) => Socket;
  connectWindowMs?: number;
  connectRetryMs?: number;
}

/** Opens the graphical console of one host on a peer (the caller checked the privilege). */
export function openKvmStream(ctx: StreamContext, peer: Peer, host: Host, opts: KvmOptions = {}): StreamHandle {
  const display = host.link.display;
  if (!display) throw new StreamError(CloseCode.Unavailable, 'This host has no graphical console');
  if (host.power !== 'on') throw new StreamError(CloseCode.Unavailable, 'The host is off');
  const clock = opts.clock ?? ctx.clock;
  const connect = opts.connect ?? ((a: DisplayAddress) => createConnection(a));
  const deadline = clock.now() + (opts.connectWindowMs ?? KVM_CONNECT_WINDOW_MS);
  const retryMs = opts.connectRetryMs ?? KVM_CONNECT_RETRY_MS;

  let socket: Socket | undefined;
  let connected = false;
  let closed = false;
  /** Client bytes received before the display connected. */
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let inputPaused = false;
  let outputPaused = false;
  let timer: TimerHandle | undefined;
  let lastTouch = -Infinity;

  const end = (code: number, reason: string): void => {
    if (closed) return;
    release();
    // a paused socket would not read the client's answer to the close frame
    if (inputPaused) peer.resume?.();
    peer.close(code, reason);
  };
  const release = (): void => {
    closed = true;
    offPower();
    timer?.cancel();
    timer = undefined;
    socket?.destroy();
    socket = undefined;
    pending = [];
  };
  const gone = (): void => end(CloseCode.Unavailable, host.power === 'on' ? 'The display closed the connection' : 'The host is off');

  const offPower = ctx.bmc.events.on('power', (e) => {
    if (e.host === host.index && e.state === 'off') end(CloseCode.Unavailable, 'The host powered off');
  });

  const pauseInput = (): void => {
    if (inputPaused) return;
    inputPaused = true;
    peer.pause?.();
  };
  const resumeInput = (): void => {
    if (!inputPaused || closed) return;
    inputPaused = false;
    peer.resume?.();
  };

  /** Reading from the display resumes once the client drained below the low mark. */
  const waitForDrain = (): void => {
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (closed) return;
      if (peer.bufferedAmount > KVM_LOW_WATER) return waitForDrain();
      outputPaused = false;
      socket?.resume();
    }, KVM_DRAIN_POLL_MS);
  };

  const output = (data: Buffer): void => {
    if (closed) return;
    for (let i = 0; i < data.length; i += KVM_CHUNK) peer.send(data.subarray(i, i + KVM_CHUNK));
    if (!outputPaused && peer.bufferedAmount > KVM_HIGH_WATER) {
      outputPaused = true;
      socket?.pause();
      waitForDrain();
    }
  };

  const write = (data: Uint8Array): void => {
    const s = socket;
    if (!s) return;
    if (!s.write(data) || s.writableLength > KVM_INPUT_HIGH_WATER) pauseInput();
  };

  const attempt = (): void => {
    timer = undefined;
    if (closed) return;
    const retry = (why: string): void => {
      if (clock.now() + retryMs > deadline) return end(CloseCode.Unavailable, `The host's display is not available (${why})`);
      timer = clock.setTimeout(attempt, retryMs);
    };
    const address = display.address();
    if (!address) return retry('not started');
    const s = connect(address);
    socket = s;
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (socket !== s || closed) return;
      socket = undefined;
      s.destroy();
      if (!connected && RETRYABLE.has(err.code ?? '')) return retry(err.code ?? 'error');
      end(CloseCode.Unavailable, connected ? 'The display connection failed' : `The host's display is not available (${err.code ?? 'error'})`);
    });
    s.once('connect', () => {
      if (socket !== s || closed) return;
      connected = true;
      s.on('data', output);
      s.on('close', () => {
        if (socket === s) gone();
      });
      s.on('drain', resumeInput);
      const held = pending;
      pending = [];
      pendingBytes = 0;
      for (const p of held) write(p);
      if (s.writableLength <= KVM_INPUT_HIGH_WATER) resumeInput();
    });
  };
  attempt();

  return {
    message(m: Incoming) {
      if (closed) return;
      if (!m.binary) return end(UNSUPPORTED_DATA, 'Binary messages only (RFB)');
      if (m.data.length === 0) return;
      const now = clock.now();
      if (now - lastTouch >= KVM_TOUCH_MS) {
        lastTouch = now;
        ctx.touch();
      }
      if (!connected) {
        // an RFB client speaks only after the server's version string; hold what came early
        pending.push(m.data.slice());
        pendingBytes += m.data.length;
        if (pendingBytes > KVM_INPUT_HIGH_WATER) pauseInput();
        return;
      }
      write(m.data);
    },
    close() {
      if (!closed) release();
    },
  };
}

/** The /ws/kvm endpoint: ConfigureComponents, at most `maxPerHost` per host (4429). */
export function kvmStream(opts: KvmOptions & { maxPerHost?: number } = {}): StreamDef {
  return perHostStream({
    path: KVM_PATH,
    privilege: KVM_PRIVILEGE,
    maxPerHost: opts.maxPerHost ?? MAX_KVM_PER_HOST,
    name: 'KVM',
    systemIdOf: systemId,
    open: (ctx, peer, host) => openKvmStream(ctx, peer, host, opts),
  });
}
