/**
 * Job definitions, Dagster/Airflow style: a job is a named set of tasks with dependencies, partitioned by
 * business date and scheduled by a cron pattern. `defineJob` checks the whole definition at load (id,
 * cron, every dependency known, no cycle) and fixes the order tasks run in, so a bad job never starts.
 */
import { Cron } from 'croner';
import type { Logger } from '@retail-sync/libs/log';
import { dagsErrors } from '../errors.ts';

/** What a task receives: its partition, its attempt, and the job's resources under their keys. */
export interface TaskContext<Resources> {
  jobId: string;
  task: string;
  /** The business date (YYYY-MM-DD) this run computes. */
  partition: string;
  runId: string;
  /** 1 on the first try. */
  attempt: number;
  resources: Resources;
  logger: Logger;
}

export interface TaskDefinition<Resources> {
  /** Tasks that must succeed (in this run) before this one starts. */
  deps?: readonly string[];
  /** Does the work idempotently (replaces its partition) and returns the rows it wrote. */
  run: (ctx: TaskContext<Resources>) => Promise<number>;
}

export interface JobDefinition<Resources> {
  /** Stable id: the file name under jobs/, the key in run history and leases. */
  id: string;
  description?: string;
  /** When the job re-rolls its full partition set (today, yesterday, missed days): a croner pattern, in UTC. */
  schedule: string;
  partition: 'business_date';
  /**
   * Another job this one follows: in a scheduler tick, every partition that job ran successfully is run
   * here too, right after it (a check that must see the facts it checks). That job must be listed first.
   */
  after?: string;
  tasks: Record<string, TaskDefinition<Resources>>;
}

export interface Job<Resources> extends JobDefinition<Resources> {
  /** Task names in a dependency-respecting order (declaration order among tasks that are ready). */
  readonly order: readonly string[];
}

const JOB_ID = /^[a-z][a-z0-9_]*$/;

export function defineJob<Resources>(definition: JobDefinition<Resources>): Job<Resources> {
  const invalid = (why: string) => dagsErrors.create('RS_ERR_JOB_DEFINITION', `job ${definition.id}: ${why}`);
  if (!JOB_ID.test(definition.id)) throw invalid('id must be lower_snake_case');
  try {
    new Cron(definition.schedule, { paused: true, timezone: 'UTC' }).stop();
  } catch (error) {
    throw invalid(`schedule "${definition.schedule}" is not a cron pattern (${(error as Error).message})`);
  }
  if (definition.after !== undefined && (definition.after === definition.id || !JOB_ID.test(definition.after))) throw invalid(`after "${definition.after}" is not another job's id`);
  const names = Object.keys(definition.tasks);
  if (names.length === 0) throw invalid('has no tasks');
  for (const name of names) {
    for (const dep of definition.tasks[name]!.deps ?? []) {
      if (!(dep in definition.tasks)) throw invalid(`task ${name} depends on unknown task ${dep}`);
      if (dep === name) throw invalid(`task ${name} depends on itself`);
    }
  }
  return Object.freeze({ ...definition, order: Object.freeze(topologicalOrder(definition.tasks, invalid)) });
}

function topologicalOrder<Resources>(tasks: Record<string, TaskDefinition<Resources>>, invalid: (why: string) => Error): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const pending = Object.keys(tasks);
  while (pending.length > 0) {
    const index = pending.findIndex((name) => (tasks[name]!.deps ?? []).every((dep) => placed.has(dep)));
    if (index === -1) throw invalid(`tasks ${pending.join(', ')} form a dependency cycle`);
    const [name] = pending.splice(index, 1);
    order.push(name!);
    placed.add(name!);
  }
  return order;
}

/** True when `schedule` has a fire time in (since, now]: the job's full re-roll is due. */
export function isScheduleDue(schedule: string, since: Date, now: Date): boolean {
  const next = new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRun(since);
  return next !== null && next.getTime() <= now.getTime();
}
