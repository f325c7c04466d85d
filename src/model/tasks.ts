// Long-running operations (firmware updates, later others) as tasks: a state
// machine New → Running → Completed | Exception | Cancelled (the TaskState
// values of DMTF's Task schema), percent complete, messages (keys of the
// DMTF TaskEvent and Update message registries, rendered by front doors),
// start and end times. The list is bounded: when full, the oldest finished
// task is dropped (Redfish's CompletedTaskOverWritePolicy "Oldest").
import type { Clock } from './clock.js';

export type TaskState = 'New' | 'Running' | 'Completed' | 'Exception' | 'Cancelled';
export type TaskHealth = 'OK' | 'Warning' | 'Critical';

export type TaskInput =
  | { kind: 'start' }
  | { kind: 'progress' }
  | { kind: 'complete' }
  | { kind: 'fail' }
  | { kind: 'cancel' };

/** Why a task refuses an input. */
export type TaskRefusal = 'task-finished' | 'task-not-running' | 'not-cancellable';

export const TERMINAL: ReadonlySet<TaskState> = new Set(['Completed', 'Exception', 'Cancelled']);

/** The transition table: state × input → next state (absent = refused). */
const TRANSITIONS: Readonly<Record<TaskState, Partial<Record<TaskInput['kind'], TaskState>>>> = {
  New: { start: 'Running', fail: 'Exception', cancel: 'Cancelled' },
  Running: { progress: 'Running', complete: 'Completed', fail: 'Exception', cancel: 'Cancelled' },
  Completed: {},
  Exception: {},
  Cancelled: {},
};

/** The pure step function of a task's state machine. */
export function taskStep(state: TaskState, input: TaskInput): { ok: true; state: TaskState } | { ok: false; reason: TaskRefusal } {
  const next = TRANSITIONS[state][input.kind];
  if (next) return { ok: true, state: next };
  return { ok: false, reason: TERMINAL.has(state) ? 'task-finished' : 'task-not-running' };
}

/** A message by registry key; front doors render it from the registry file. */
export interface TaskMessage {
  readonly registry: 'TaskEvent' | 'Update';
  readonly key: string;
  readonly args: readonly string[];
}

/** The request that started a task (Redfish's Task.Payload). */
export interface TaskPayload {
  readonly operation: string;
  readonly target: string;
  readonly body?: string;
}

export type TaskChange = { task: Task; what: 'state' | 'progress' | 'removed' };

const MAX_MESSAGES = 64;

export class Task {
  readonly id: string;
  readonly name: string;
  /** Who started it (an account name), for the right to cancel. */
  readonly owner: string;
  readonly payload: TaskPayload | undefined;
  readonly startTime: number;
  #state: TaskState = 'New';
  #percent = 0;
  #health: TaskHealth = 'OK';
  #endTime: number | undefined;
  #messages: TaskMessage[] = [];
  #cancel: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #notify: (c: TaskChange) => void;

  constructor(opts: { id: string; name: string; owner: string; payload?: TaskPayload; clock: Clock; notify: (c: TaskChange) => void }) {
    this.id = opts.id;
    this.name = opts.name;
    this.owner = opts.owner;
    this.payload = opts.payload;
    this.#clock = opts.clock;
    this.#notify = opts.notify;
    this.startTime = opts.clock.now();
  }

  get state(): TaskState {
    return this.#state;
  }
  get percent(): number {
    return this.#percent;
  }
  get health(): TaskHealth {
    return this.#health;
  }
  get endTime(): number | undefined {
    return this.#endTime;
  }
  get messages(): readonly TaskMessage[] {
    return this.#messages;
  }
  get finished(): boolean {
    return TERMINAL.has(this.#state);
  }
  /** Whether a cancel request would be honoured now. */
  get cancellable(): boolean {
    return !this.finished && this.#cancel !== undefined;
  }

  /** Adds a message (bounded: the oldest are dropped past 64). */
  message(m: TaskMessage): void {
    this.#messages.push(m);
    if (this.#messages.length > MAX_MESSAGES) this.#messages.splice(0, this.#messages.length - MAX_MESSAGES);
  }

  start(): TaskRefusal | undefined {
    const r = this.#step({ kind: 'start' });
    if (!r) this.message({ registry: 'TaskEvent', key: 'TaskStarted', args: [this.id] });
    if (!r) this.#notify({ task: this, what: 'state' });
    return r;
  }

  /** Raises PercentComplete (never lowers it; 0..99 until completion). */
  progress(percent: number, m?: TaskMessage): TaskRefusal | undefined {
    const r = this.#step({ kind: 'progress' });
    if (r) return r;
    const p = Math.max(this.#percent, Math.min(99, Math.floor(percent)));
    if (m) this.message(m);
    if (p !== this.#percent || m) {
      this.#percent = p;
      this.#notify({ task: this, what: 'progress' });
    }
    return undefined;
  }

  complete(m?: TaskMessage, health: 'OK' | 'Warning' = 'OK'): TaskRefusal | undefined {
    const r = this.#step({ kind: 'complete' });
    if (r) return r;
    this.#percent = 100;
    this.#health = health;
    this.#finish(m, { registry: 'TaskEvent', key: health === 'OK' ? 'TaskCompletedOK' : 'TaskCompletedWarning', args: [this.id] });
    return undefined;
  }

  fail(m?: TaskMessage): TaskRefusal | undefined {
    const r = this.#step({ kind: 'fail' });
    if (r) return r;
    this.#health = 'Critical';
    this.#finish(m, { registry: 'TaskEvent', key: 'TaskAborted', args: [this.id] });
    return undefined;
  }

  /** While set, cancel() is honoured and calls `hook` (which stops the work). */
  setCancellable(hook: (() => void) | undefined): void {
    this.#cancel = hook;
  }

  cancel(): TaskRefusal | undefined {
    if (this.finished) return 'task-finished';
    const hook = this.#cancel;
    if (!hook) return 'not-cancellable';
    const r = this.#step({ kind: 'cancel' });
    if (r) return r;
    this.#health = 'Warning';
    hook();
    this.#finish(undefined, { registry: 'TaskEvent', key: 'TaskCancelled', args: [this.id] });
    return undefined;
  }

  #step(input: TaskInput): TaskRefusal | undefined {
    const s = taskStep(this.#state, input);
    if (!s.ok) return s.reason;
    this.#state = s.state;
    return undefined;
  }

  #finish(m: TaskMessage | undefined, final: TaskMessage): void {
    this.#cancel = undefined;
    this.#endTime = this.#clock.now();
    if (m) this.message(m);
    this.message(final);
    this.#notify({ task: this, what: 'state' });
  }
}

/** The BMC's tasks: bounded, newest last. */
export class TaskList {
  readonly capacity: number;
  readonly #clock: Clock;
  readonly #tasks: Task[] = [];
  readonly #listeners = new Set<(c: TaskChange) => void>();
  #seq = 0;

  constructor(opts: { clock: Clock; capacity?: number }) {
    this.#clock = opts.clock;
    this.capacity = opts.capacity ?? 32;
  }

  /** A new task in state New; 'task-limit' when every slot holds an unfinished task. */
  create(opts: { name: string; owner: string; payload?: TaskPayload }): Task | 'task-limit' {
    if (this.#tasks.length >= this.capacity) {
      const i = this.#tasks.findIndex((t) => t.finished);
      if (i < 0) return 'task-limit';
      const [old] = this.#tasks.splice(i, 1);
      if (old) this.#emit({ task: old, what: 'removed' });
    }
    const task = new Task({ id: String(++this.#seq), ...opts, clock: this.#clock, notify: (c) => this.#emit(c) });
    this.#tasks.push(task);
    return task;
  }

  get(id: string): Task | undefined {
    return this.#tasks.find((t) => t.id === id);
  }

  list(): readonly Task[] {
    return this.#tasks;
  }

  /** Subscribes to state changes, progress and removals. */
  on(fn: (c: TaskChange) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(c: TaskChange): void {
    for (const fn of this.#listeners) fn(c);
  }
}
