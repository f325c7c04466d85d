// TaskService, its Tasks and their task monitors (DSP0266 12.2 asynchronous
// operations; schemas TaskService v1_3_0, Task v1_7_4). An operation that
// takes time answers 202 Accepted with a Location header naming its task
// monitor; the monitor answers 202 with the Task while it runs and 200 with
// the finished Task afterwards; DELETE on the monitor cancels when the work
// allows it. Task messages come from the TaskEvent and Update registries.
import type { Task, TaskMessage } from '../../model/tasks.js';
import { ROOT } from '../ids.js';
import { Base, Errors, MessageRegistry, RedfishError, type RedfishMessage } from '../messages.js';
import type { HandlerResult, JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

const SERVICE = `${ROOT}/TaskService`;
const TASKS = `${SERVICE}/Tasks`;
const MONITORS = `${SERVICE}/TaskMonitors`;
/** Seconds a client should wait between polls of a task monitor. */
export const RETRY_AFTER_S = 1;

const REGISTRIES: Readonly<Record<TaskMessage['registry'], MessageRegistry>> = {
  TaskEvent: MessageRegistry.load('TaskEvent.1.0.5.json'),
  Update: MessageRegistry.load('Update.1.3.0.json'),
};

export const taskPaths = {
  task: (id: string) => `${TASKS}/${encodeURIComponent(id)}`,
  monitor: (id: string) => `${MONITORS}/${encodeURIComponent(id)}`,
} as const;

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function renderTaskMessage(m: TaskMessage): RedfishMessage {
  return REGISTRIES[m.registry].message(m.key, m.args);
}

/** The Task resource of a model task. */
export function taskBody(t: Task): JsonObject {
  const body: JsonObject = {
    '@odata.id': taskPaths.task(t.id),
    '@odata.type': odataType('Task'),
    Id: t.id,
    Name: t.name,
    TaskState: t.state,
    TaskStatus: t.health,
    PercentComplete: t.percent,
    StartTime: isoTime(t.startTime),
    TaskMonitor: taskPaths.monitor(t.id),
    HidePayload: false,
    Messages: t.messages.map(renderTaskMessage) as unknown as JsonObject[],
  };
  if (t.endTime !== undefined) body.EndTime = isoTime(t.endTime);
  if (t.payload) {
    body.Payload = {
      HttpOperation: t.payload.operation,
      TargetUri: t.payload.target,
      HttpHeaders: [],
      ...(t.payload.body !== undefined ? { JsonBody: t.payload.body } : {}),
    };
  }
  return body;
}

/** The 202 Accepted answer that starts an asynchronous operation (DSP0266 12.2). */
export function accepted(t: Task): HandlerResult {
  return { status: 202, headers: { Location: taskPaths.monitor(t.id), 'Retry-After': String(RETRY_AFTER_S) }, body: taskBody(t) };
}

function taskOf(ctx: RequestContext): Task {
  const id = ctx.params.TaskId ?? '';
  const t = ctx.bmc.tasks.get(id);
  if (!t) throw Errors.notFound('Task', id);
  return t;
}

function serviceBody(ctx: RequestContext): JsonObject {
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('TaskService'),
    Id: 'TaskService',
    Name: 'Task Service',
    Description: 'Long-running operations (firmware updates) and their progress',
    ServiceEnabled: true,
    DateTime: isoTime(ctx.bmc.clock.now()),
    CompletedTaskOverWritePolicy: 'Oldest',
    LifeCycleEventOnTaskStateChange: true,
    Status: { State: 'Enabled', Health: 'OK' },
    Tasks: { '@odata.id': TASKS },
  };
}

function monitorGet(ctx: RequestContext): HandlerResult {
  const t = taskOf(ctx);
  if (!t.finished) return { status: 202, headers: { Location: taskPaths.monitor(t.id), 'Retry-After': String(RETRY_AFTER_S) }, body: taskBody(t) };
  return { status: 200, body: taskBody(t) };
}

function monitorDelete(ctx: RequestContext): HandlerResult {
  const t = taskOf(ctx);
  const refusal = t.cancel();
  // finished, or in a step that cannot be interrupted (writing flash)
  if (refusal) throw new RedfishError(409, [Base.message('ResourceInUse')]);
  ctx.services.log.info('task cancelled', { task: t.id, user: ctx.principal?.userName });
  return { status: 200, body: taskBody(t) };
}

/** Whoever started a task may cancel it without ConfigureManager. */
const ownTask = (ctx: RequestContext): boolean => {
  const t = ctx.bmc.tasks.get(ctx.params.TaskId ?? '');
  return t !== undefined && ctx.principal !== undefined && t.owner === ctx.principal.userName;
};

export function taskServiceRoutes(): RouteDef[] {
  return [
    { path: SERVICE, entity: 'TaskService', get: serviceBody },
    {
      path: TASKS,
      entity: 'TaskCollection',
      get: (ctx) => collection('Task', TASKS, 'Task Collection', ctx.bmc.tasks.list().map((t) => taskPaths.task(t.id))),
    },
    { path: `${TASKS}/{TaskId}`, entity: 'Task', get: (ctx) => taskBody(taskOf(ctx)) },
    { path: `${MONITORS}/{TaskId}`, entity: 'Task', getRaw: monitorGet, delete: monitorDelete, allowIf: { DELETE: ownTask } },
  ];
}
