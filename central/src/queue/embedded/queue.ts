/**
 * The embedded queue: QueuePort on a DuckDB file (data/central/queue.duckdb).
 *
 * Invariants:
 * - A job's id is its event_id. `enqueue` commits every new job in one transaction before it resolves,
 *   and answers 'duplicate' for an id that is waiting, active or delayed, or that completed within the
 *   dedupe window (RS_QUEUE_DEDUPE_WINDOW_MS, default 24 h, at most RS_QUEUE_DEDUPE_MAX_IDS ids).
 * - A given-up job is not remembered as done: the dead-letter store owns it from then on, and a replay
 *   enqueues the same event_id again.
 * - A job is claimed with a lease (status 'active', lease_until). A consumer renews the leases of its
 *   running jobs; when one dies the leases expire and any consumer claims the jobs again, counting the
 *   stall as an attempt. Claims and completions are batched: one statement per round trip.
 *
 * Tables: queue_jobs (live jobs) and queue_finished (id, outcome 'completed' | 'given_up', finished_at).
 */
import { listValue } from '@duckdb/node-api';
import { applyMigrations, EmbeddedDb, type Migration } from '@retail-sync/libs/embedded';
import { commonErrors } from '@retail-sync/libs/errors';
import type { ConsumeOptions, EnqueueOutcome, EventProcessor, FailedJob, QueueConsumer, QueueCounts, QueuedEvent, QueuePort } from '@retail-sync/libs/ports';
import { resolveQueueOptions, type EmbeddedQueueOptions, type ResolvedQueueOptions } from './config.ts';
import { EmbeddedConsumer } from './consumer.ts';

const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_queue',
    sql: `
      CREATE SEQUENCE queue_job_position;
      CREATE TABLE queue_jobs (
        id VARCHAR PRIMARY KEY,
        position BIGINT NOT NULL DEFAULT nextval('queue_job_position'),
        store_id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        received_at VARCHAR NOT NULL,
        trace_id VARCHAR NOT NULL,
        sale_json VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        attempts_made INTEGER NOT NULL DEFAULT 0,
        available_at BIGINT NOT NULL,
        lease_owner VARCHAR,
        lease_until BIGINT,
        last_error VARCHAR,
        enqueued_at BIGINT NOT NULL
      );
      CREATE TABLE queue_finished (
        id VARCHAR PRIMARY KEY,
        outcome VARCHAR NOT NULL,
        finished_at BIGINT NOT NULL
      );`,
  },
];

/** A claimed job: the event plus how many tries it already used. */
export interface ClaimedJob {
  event: QueuedEvent;
  attemptsMade: number;
}

/** What a consumer reports back for one job. */
export type JobResolution =
  | { id: string; kind: 'completed' | 'given_up' }
  /** Claimed but never started (consumer closing): back to waiting at once, no attempt used. */
  | { id: string; kind: 'release' }
  | { id: string; kind: 'retry'; attemptsMade: number; availableAt: number; error: string };

const PRUNE_EVERY_MS = 60_000;

type Tx = Parameters<Parameters<EmbeddedDb['transaction']>[0]>[0];

export class EmbeddedQueue implements QueuePort {
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly pruneTimer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly db: EmbeddedDb,
    readonly options: ResolvedQueueOptions,
  ) {
    this.pruneTimer = setInterval(() => void this.prune().catch(() => undefined), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Opens (or shares) the queue file and applies its migrations. */
  static async open(options: EmbeddedQueueOptions): Promise<EmbeddedQueue> {
    const db = await EmbeddedDb.acquire(options.path);
    try {
      await applyMigrations(db, 'queue', MIGRATIONS);
    } catch (error) {
      await db.release();
      throw error;
    }
    return new EmbeddedQueue(db, resolveQueueOptions(options));
  }

  async enqueue(events: QueuedEvent[]): Promise<EnqueueOutcome[]> {
    if (events.length === 0) return [];
    const now = Date.now();
    const outcomes = await this.guard('enqueue', () =>
      this.db.transaction(async (tx) => {
        const known = await tx.allUnqueued<{ id: string }>(
          `SELECT id FROM queue_jobs WHERE id IN (SELECT unnest($1::VARCHAR[]))
           UNION ALL
           SELECT id FROM queue_finished WHERE outcome = 'completed' AND finished_at >= $2 AND id IN (SELECT unnest($1::VARCHAR[]))`,
          [listValue(events.map((event) => event.event_id)), now - this.options.dedupeWindowMs],
        );
        const seen = new Set(known.map((row) => row.id));
        const fresh: QueuedEvent[] = [];
        const result = events.map((event): EnqueueOutcome => {
          if (seen.has(event.event_id)) return 'duplicate';
          seen.add(event.event_id);
          fresh.push(event);
          return 'accepted';
        });
        if (fresh.length > 0) {
          await tx.runUnqueued(
            `INSERT INTO queue_jobs (id, store_id, seq, received_at, trace_id, sale_json, status, available_at, enqueued_at)
             SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::BIGINT[]), unnest($4::VARCHAR[]),
                    unnest($5::VARCHAR[]), unnest($6::VARCHAR[]), 'waiting', $7, $7`,
            [
              listValue(fresh.map((event) => event.event_id)),
              listValue(fresh.map((event) => event.store_id)),
              listValue(fresh.map((event) => event.seq)),
              listValue(fresh.map((event) => event.received_at)),
              listValue(fresh.map((event) => event.trace_id)),
              listValue(fresh.map((event) => event.sale_json)),
              now,
            ],
          );
        }
        return result;
      }),
    );
    if (outcomes.includes('accepted')) for (const consumer of this.consumers) consumer.wake();
    return outcomes;
  }

  consume(processor: EventProcessor, onGiveUp: (job: FailedJob) => Promise<void>, options: ConsumeOptions): QueueConsumer {
    if (this.closed) throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'embedded queue: consume after close');
    const consumer = new EmbeddedConsumer(this, processor, onGiveUp, options, () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  async counts(): Promise<QueueCounts> {
    return this.guard('counts', async () => {
      const rows = await this.db.all<{ status: string; jobs: number }>('SELECT status, count(*) AS jobs FROM queue_jobs GROUP BY status');
      const failed = await this.db.all<{ jobs: number }>(
        "SELECT count(*) AS jobs FROM queue_finished WHERE outcome = 'given_up' AND finished_at >= $1",
        [Date.now() - this.options.dedupeWindowMs],
      );
      const by = (status: string) => rows.find((row) => row.status === status)?.jobs ?? 0;
      // `failed`: jobs given up (and dead-lettered) within the dedupe window.
      return { waiting: by('waiting'), active: by('active'), delayed: by('delayed'), failed: failed[0]?.jobs ?? 0 };
    });
  }

  /**
   * One consumer round trip in one transaction (one WAL sync): writes `resolutions`, then claims up to
   * `limit` due jobs (or jobs whose lease expired) for `owner`, oldest first.
   */
  async cycle(owner: string, resolutions: JobResolution[], limit: number): Promise<ClaimedJob[]> {
    return this.db.transaction(async (tx) => {
      await this.resolveIn(tx, owner, resolutions);
      return limit > 0 ? this.claimIn(tx, owner, limit) : [];
    });
  }

  private async claimIn(tx: Tx, owner: string, limit: number): Promise<ClaimedJob[]> {
    const now = Date.now();
    const rows = await tx.allUnqueued<{ id: string; store_id: string; seq: number; received_at: string; trace_id: string; sale_json: string; attempts_made: number; position: number }>(
      `UPDATE queue_jobs SET status = 'active', lease_owner = $1, lease_until = $2,
         attempts_made = attempts_made + CASE WHEN status = 'active' THEN 1 ELSE 0 END
       WHERE id IN (
         SELECT id FROM queue_jobs
         WHERE (status <> 'active' AND available_at <= $3) OR (status = 'active' AND lease_until <= $3)
         ORDER BY position LIMIT $4)
       RETURNING id, store_id, seq, received_at, trace_id, sale_json, attempts_made, position`,
      [owner, now + this.options.leaseMs, now, Math.min(limit, this.options.maxClaimBatch)],
    );
    rows.sort((a, b) => a.position - b.position);
    return rows.map((row) => ({
      event: { event_id: row.id, store_id: row.store_id, seq: row.seq, received_at: row.received_at, trace_id: row.trace_id, sale_json: row.sale_json },
      attemptsMade: row.attempts_made,
    }));
  }

  /** Extends the leases `owner` holds on `ids`. */
  async renewLeases(owner: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run(
      `UPDATE queue_jobs SET lease_until = $1 WHERE lease_owner = $2 AND status = 'active' AND id IN (SELECT unnest($3::VARCHAR[]))`,
      [Date.now() + this.options.leaseMs, owner, listValue(ids)],
    );
  }

  /** Writes job resolutions; jobs whose lease `owner` lost (another consumer holds them) are left alone. */
  private async resolveIn(tx: Tx, owner: string, resolutions: JobResolution[]): Promise<void> {
    const finished = resolutions.filter((resolution) => resolution.kind === 'completed' || resolution.kind === 'given_up');
    const retries = resolutions.filter((resolution) => resolution.kind === 'retry');
    const released = resolutions.filter((resolution) => resolution.kind === 'release');
    const now = Date.now();
    if (finished.length > 0) {
      const ids = listValue(finished.map((resolution) => resolution.id));
      await tx.runUnqueued(
        `INSERT INTO queue_finished
         SELECT id, outcome, $3 FROM (SELECT unnest($1::VARCHAR[]) AS id, unnest($2::VARCHAR[]) AS outcome)
         WHERE id IN (SELECT id FROM queue_jobs WHERE lease_owner = $4)
         ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, finished_at = excluded.finished_at`,
        [ids, listValue(finished.map((resolution) => resolution.kind)), now, owner],
      );
      await tx.runUnqueued('DELETE FROM queue_jobs WHERE lease_owner = $1 AND id IN (SELECT unnest($2::VARCHAR[]))', [owner, ids]);
    }
    if (retries.length > 0) {
      await tx.runUnqueued(
        `UPDATE queue_jobs SET status = 'delayed', attempts_made = retry.attempts_made, available_at = retry.available_at,
           last_error = retry.last_error, lease_owner = NULL, lease_until = NULL
         FROM (SELECT unnest($1::VARCHAR[]) AS id, unnest($2::INTEGER[]) AS attempts_made,
                      unnest($3::BIGINT[]) AS available_at, unnest($4::VARCHAR[]) AS last_error) AS retry
         WHERE queue_jobs.id = retry.id AND queue_jobs.lease_owner = $5`,
        [
          listValue(retries.map((resolution) => resolution.id)),
          listValue(retries.map((resolution) => resolution.attemptsMade)),
          listValue(retries.map((resolution) => resolution.availableAt)),
          listValue(retries.map((resolution) => resolution.error.slice(0, 2000))),
          owner,
        ],
      );
    }
    if (released.length > 0) {
      await tx.runUnqueued(
        `UPDATE queue_jobs SET status = 'waiting', lease_owner = NULL, lease_until = NULL
         WHERE lease_owner = $1 AND id IN (SELECT unnest($2::VARCHAR[]))`,
        [owner, listValue(released.map((resolution) => resolution.id))],
      );
    }
  }

  /** Forgets completed ids older than the dedupe window or beyond its size cap. */
  async prune(): Promise<void> {
    await this.db.run('DELETE FROM queue_finished WHERE finished_at < $1', [Date.now() - this.options.dedupeWindowMs]);
    await this.db.run(
      'DELETE FROM queue_finished WHERE id IN (SELECT id FROM queue_finished ORDER BY finished_at DESC OFFSET $1)',
      [this.options.dedupeMaxIds],
    );
  }

  /**
   * Stops this handle's consumers as a crash would: running jobs are neither completed nor renewed,
   * so their leases expire and another consumer picks them up. For tests of stalled-job recovery.
   */
  abandonConsumers(): void {
    for (const consumer of this.consumers) consumer.abandon();
    this.consumers.clear();
  }

  /** Stops consumers (waiting for their running jobs), then releases the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    await this.db.release();
  }

  private async guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `embedded queue: ${operation} after close`);
    try {
      return await work();
    } catch (error) {
      throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', `embedded queue: ${operation} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
