// Typed model events. Every change to the model emits one; front doors
// subscribe (IPMI event flags, Redfish EventService, WebSocket streams).
import { EventEmitter } from 'node:events';

export type PowerState = 'off' | 'on';

export type ModelEvent =
  | { type: 'power'; host: number; state: PowerState; cause: string }
  | { type: 'host-reset'; host: number; cause: string }
  /** The BMC signalled a running host: ACPI power button (soft off) or diagnostic interrupt (NMI). */
  | { type: 'host-signal'; host: number; signal: 'soft-off' | 'nmi' }
  | { type: 'sel-added'; host: number; recordId: number }
  | { type: 'sel-deleted'; host: number; recordId: number }
  | { type: 'sel-cleared'; host: number }
  | { type: 'reading'; host: number; sensor: number; value: number | null }
  | { type: 'threshold'; host: number; sensor: number; offset: number; assertion: boolean }
  | { type: 'sensor-config'; host: number; sensor: number }
  | { type: 'boot-options'; host: number }
  | { type: 'watchdog'; host: number; action: 'armed' | 'stopped' | 'expired' | 'pretimeout' }
  | { type: 'identify'; host: number; on: boolean }
  | { type: 'power-policy'; host: number }
  | { type: 'fru'; host: number; fruId: number }
  | { type: 'users' ; userId: number }
  | { type: 'channel'; channel: number }
  | { type: 'lan'; channel: number; parameter: number }
  | { type: 'sol-config'; channel: number }
  | { type: 'dcmi'; host: number }
  | { type: 'media'; host: number; slot: string }
  | { type: 'bmc'; what: string };

export type ModelEventType = ModelEvent['type'];

/** A typed emitter over ModelEvent; listeners receive the event object. */
export class ModelEvents {
  readonly #ee = new EventEmitter();

  constructor() {
    this.#ee.setMaxListeners(0);
  }

  emit(ev: ModelEvent): void {
    this.#ee.emit(ev.type, ev);
    this.#ee.emit('*', ev);
  }

  on<T extends ModelEventType>(type: T, fn: (ev: Extract<ModelEvent, { type: T }>) => void): () => void {
    const f = fn as (ev: ModelEvent) => void;
    this.#ee.on(type, f);
    return () => this.#ee.off(type, f);
  }

  onAny(fn: (ev: ModelEvent) => void): () => void {
    this.#ee.on('*', fn);
    return () => this.#ee.off('*', fn);
  }
}
