// /ws/events: the Redfish event stream (DSP0266 13.5) over a WebSocket, as
// JSON text messages (docs/STREAMS.md "Events"). It subscribes to the
// EventService's engine (src/redfish/events.ts) and sends the very
// EventRecords push subscriptions and SSE get, filtered with the SSE
// `$filter` grammar. The engine's replay buffer is the backlog: a slow client
// is sent nothing until it drains, then catches up from the buffer, with a
// gap message for what the buffer no longer holds; `since` resumes after a
// known EventId.
import type { Clock } from '../model/clock.js';
import { filterMatches, parseEventFilter, type EventService, type FilterExpr, type PublishedEvent } from '../redfish/events.js';
import { CloseCode, StreamError } from './auth.js';
import { cappedStream, drainWaiter, intParam, onlyParams, type Peer, type StreamContext, type StreamDef, type StreamHandle } from './peer.js';

export const EVENTS_PATH = '/ws/events';
export const EVENT_BUFFER_LIMIT = 64 * 1024;
export const MAX_EVENT_STREAMS = 32;
/** How often a paused stream looks whether its client drained. */
export const EVENT_RESUME_POLL_MS = 100;

export type EventMessage =
  | { type: 'ready'; lastEventId: string }
  | { type: 'event'; id: string; event: unknown }
  | { type: 'gap'; after: string; next: string; lost: number };

/** Opens one event stream on a peer. */
export function openEventStream(svc: EventService, ctx: StreamContext, peer: Peer, clock: Clock = ctx.clock): StreamHandle {
  onlyParams(ctx.query, ['$filter', 'since']);
  const ftext = ctx.query.get('$filter');
  let filter: FilterExpr | undefined;
  if (ftext !== null) {
    filter = parseEventFilter(ftext);
    if (!filter) throw new StreamError(CloseCode.BadRequest, 'Bad $filter');
  }
  const engine = svc.engine;
  const latest = (): number => engine.since(0).at(-1)?.seq ?? 0;
  const since = ctx.query.has('since') ? intParam(ctx.query, 'since', 0, 0, Number.MAX_SAFE_INTEGER) : undefined;
  /** The last seq this stream has dealt with (sent or filtered out). */
  let last = since === undefined ? latest() : Math.min(since, latest());
  let paused = false;
  let closed = false;

  const send = (m: EventMessage): void => peer.send(JSON.stringify(m));
  const wants = (e: PublishedEvent): boolean => svc.store.settings.serviceEnabled && (!filter || filterMatches(filter, e));
  const slow = (): boolean => peer.bufferedAmount > EVENT_BUFFER_LIMIT;
  const deliver = (e: PublishedEvent): void => {
    if (e.seq > last + 1) send({ type: 'gap', after: String(last), next: String(e.seq), lost: e.seq - last - 1 });
    last = e.seq;
    if (wants(e)) send({ type: 'event', id: String(e.seq), event: e.record });
  };
  /** Sends what the buffer holds after `last`, stopping when the client is slow again. */
  const catchUp = (): void => {
    for (const e of engine.since(last)) {
      if (slow()) return pause();
      deliver(e);
    }
    paused = false;
  };
  const drained = drainWaiter(clock, EVENT_RESUME_POLL_MS, slow, () => catchUp());
  const pause = (): void => {
    paused = true;
    drained.wait();
  };

  send({ type: 'ready', lastEventId: String(latest()) });
  if (since !== undefined) catchUp();
  const off = engine.on((e) => {
    if (closed || paused) return;
    if (slow()) return pause();
    if (e.seq === last + 1) deliver(e);
    else catchUp();
  });
  return {
    close() {
      closed = true;
      off();
      drained.cancel();
    },
  };
}

/** The /ws/events endpoint: Login, at most `max` open at once (4429). */
export function eventStream(svc: EventService, opts: { max?: number } = {}): StreamDef {
  return cappedStream({
    path: EVENTS_PATH,
    privilege: 'Login',
    max: opts.max ?? MAX_EVENT_STREAMS,
    name: 'event',
    open: (ctx, peer) => openEventStream(svc, ctx, peer),
  });
}
