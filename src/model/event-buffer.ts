// The BMC's Event Message Buffer (IPMI v2.0 22.1, 22.4, 22.8): where the BMC
// puts event messages for system software on the host's system interface.
// System software enables it with Set BMC Global Enables bit 2, learns that
// it holds a message from Get Message Flags bit 1 ("Event Message Buffer
// Full", SMS_ATN on the interface) and reads it with Read Event Message
// Buffer, which takes the message out.
//
// The specification describes one buffer holding one message, and a flag
// named "full": while it holds a message, newer event messages are not put in
// (they are counted in `dropped`; the SEL still has them), as OpenIPMI's
// ipmi_sim does. The capacity is a parameter only so that a platform could
// choose a short queue; the host model uses 1.
import { encodeSystemEvent, type SystemEvent } from './sel.js';

/** Bytes in one message: a SEL record (32.1). */
export const EVENT_MESSAGE_SIZE = 16;

/** Record ID of a message the SEL did not log (system event logging disabled, or the SEL full). */
export const NOT_LOGGED = 0xffff;

/**
 * One event message in the SEL record format (32.1), as Read Event Message
 * Buffer returns it:
 *   1:2   record ID, LS byte first: the SEL record that logged the same event,
 *         or FFFFh when it was not logged
 *   3     record type 02h (system event record)
 *   4:7   timestamp, LS byte first (the SEL record's, or the SEL clock's now)
 *   8:9   generator ID
 *   10    EvM revision
 *   11    sensor type
 *   12    sensor number
 *   13    [7] event direction (1 = deassertion), [6:0] event/reading type
 *   14:16 event data 1-3
 */
export function encodeEventMessage(recordId: number, e: SystemEvent): Uint8Array {
  const out = new Uint8Array(EVENT_MESSAGE_SIZE);
  out[0] = recordId & 0xff;
  out[1] = (recordId >>> 8) & 0xff;
  out[2] = 0x02;
  out.set(encodeSystemEvent(e), 3);
  return out;
}

export class EventMessageBuffer {
  readonly capacity: number;
  readonly #messages: Uint8Array[] = [];
  readonly #listeners = new Set<() => void>();
  #dropped = 0;

  constructor(capacity = 1) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('event message buffer capacity must be a positive integer');
    this.capacity = capacity;
  }

  /** Messages waiting. */
  get size(): number {
    return this.#messages.length;
  }

  /** Messages not put in because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Puts one 16-byte message in; false (and counted) while the buffer is full. */
  put(message: Uint8Array): boolean {
    if (message.length !== EVENT_MESSAGE_SIZE) throw new RangeError(`an event message is ${EVENT_MESSAGE_SIZE} bytes`);
    if (this.#messages.length >= this.capacity) {
      this.#dropped++;
      return false;
    }
    this.#messages.push(Uint8Array.from(message));
    for (const fn of this.#listeners) fn();
    return true;
  }

  /** Takes the oldest message out; undefined when empty. */
  take(): Uint8Array | undefined {
    return this.#messages.shift();
  }

  clear(): void {
    this.#messages.length = 0;
  }

  /** Calls `fn` after each message put in (the interface raises attention). Returns the unsubscribe. */
  onPut(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
