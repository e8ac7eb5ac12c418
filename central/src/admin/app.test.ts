import { deadLetterFixture } from '@retail-sync/libs/testing';
import type { DeadLetter } from '@retail-sync/libs/ports';
import { describe, expect, it } from 'vitest';
import { centralErrors } from '../errors.ts';
import { buildAdminApp, type AdminDependencies } from './app.ts';

function fakeDeps(overrides: Partial<AdminDependencies> = {}): AdminDependencies & { letters: DeadLetter[]; replayed: string[] } {
  const letters = [deadLetterFixture({ seq: 1 }), deadLetterFixture({ seq: 2, reason_code: 'RS_ERR_INVALID_EVENT' })];
  const replayed: string[] = [];
  return {
    letters,
    replayed,
    queue: { counts: async () => ({ waiting: 3, active: 1, delayed: 0, failed: 2 }) },
    orderStore: { storeProgress: async () => [{ store_id: 'nyc-001', high_water_seq: 42, last_seen_at: '2026-03-08T10:00:00.000Z' }] },
    deadLetters: {
      list: async (filter = {}) => letters.filter((letter) => !filter.reasonCode || letter.reason_code === filter.reasonCode),
      get: async (id) => letters.find((letter) => letter.id === id),
    },
    replay: async (id) => {
      if (!letters.some((letter) => letter.id === id)) throw centralErrors.create('RS_ERR_DEAD_LETTER_NOT_FOUND', `no dead letter '${id}'`);
      replayed.push(id);
      return { id, event_id: id, outcome: 'accepted', replayed_at: '2026-03-08T11:00:00.000Z' };
    },
    ...overrides,
  };
}

describe('admin api', () => {
  it('answers healthz and readyz when queue, order store and dead-letter store respond', async () => {
    const app = buildAdminApp(fakeDeps());
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', pid: process.pid });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { queue: 'ok', order_store: 'ok', dead_letters: 'ok' } });
  });

  it('is not ready when the queue is unreachable', async () => {
    const app = buildAdminApp(fakeDeps({ queue: { counts: async () => Promise.reject(new Error('queue file locked')) } }));
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { queue: 'queue file locked', order_store: 'ok', dead_letters: 'ok' } });
  });

  it('re-checks on every probe: ready again once the dead-letter store answers, not ready while one hangs', async () => {
    let down = true;
    const deps = fakeDeps();
    const list = deps.deadLetters.list;
    deps.deadLetters = { ...deps.deadLetters, list: async (filter) => (down ? Promise.reject(new Error('NoHostAvailableError')) : list(filter)) };
    const app = buildAdminApp({ ...deps, readinessTimeoutMs: 50 });
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'not_ready', checks: { dead_letters: 'NoHostAvailableError' } });
    down = false;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);

    const hanging = buildAdminApp({ ...fakeDeps({ orderStore: { storeProgress: () => new Promise(() => undefined) } }), readinessTimeoutMs: 50 });
    const probe = await hanging.inject({ url: '/readyz' });
    expect(probe.statusCode).toBe(503);
    expect(probe.json()).toMatchObject({ checks: { order_store: 'timed out after 50 ms', queue: 'ok' } });
  });

  it('asks the checks of its roles too: not ready, naming kafka, while the Kafka consumer is not consuming', async () => {
    let consumer = 'Kafka consumer joining the group';
    const app = buildAdminApp(fakeDeps({ readiness: { kafka: async () => (consumer === 'ok' ? undefined : Promise.reject(new Error(consumer))) } }));
    const probe = await app.inject({ url: '/readyz' });
    expect(probe.statusCode).toBe(503);
    expect(probe.json()).toEqual({ status: 'not_ready', checks: { queue: 'ok', order_store: 'ok', dead_letters: 'ok', kafka: 'Kafka consumer joining the group' } });
    consumer = 'ok';
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', checks: { queue: 'ok', order_store: 'ok', dead_letters: 'ok', kafka: 'ok' } });
  });

  it('lists store progress and queue counts', async () => {
    const app = buildAdminApp(fakeDeps());
    expect((await app.inject({ url: '/v1/admin/stores' })).json()).toEqual({ stores: [expect.objectContaining({ store_id: 'nyc-001', high_water_seq: 42 })] });
    expect((await app.inject({ url: '/v1/admin/queue' })).json()).toEqual({ waiting: 3, active: 1, delayed: 0, failed: 2 });
  });

  it('lists dead letters by reason, shows one, and 404s an unknown id with its code', async () => {
    const deps = fakeDeps();
    const app = buildAdminApp(deps);
    const listed = (await app.inject({ url: '/v1/admin/dead-letters?reason=RS_ERR_INVALID_EVENT' })).json() as { dead_letters: DeadLetter[] };
    expect(listed.dead_letters.map((letter) => letter.seq)).toEqual([2]);
    expect((await app.inject({ url: `/v1/admin/dead-letters/${deps.letters[0]!.id}` })).json()).toEqual(deps.letters[0]);
    const missing = await app.inject({ url: '/v1/admin/dead-letters/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'RS_ERR_DEAD_LETTER_NOT_FOUND' } });
    expect((await app.inject({ url: '/v1/admin/dead-letters?limit=0' })).statusCode).toBe(400);
  });

  it('replays a dead letter with 202', async () => {
    const deps = fakeDeps();
    const app = buildAdminApp(deps);
    const id = deps.letters[0]!.id;
    const response = await app.inject({ method: 'POST', url: `/v1/admin/dead-letters/${id}/replay` });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ id, outcome: 'accepted' });
    expect(deps.replayed).toEqual([id]);
    expect((await app.inject({ method: 'POST', url: '/v1/admin/dead-letters/nope/replay' })).statusCode).toBe(404);
  });
});

describe('admin api: bulk replay', () => {
  it('replays every unreplayed letter of a reason and reports the ones that cannot be replayed', async () => {
    const deps = fakeDeps();
    deps.letters.push(deadLetterFixture({ seq: 3, reason_code: 'RS_ERR_INVALID_EVENT' }));
    const notReplayable = deps.letters[1]!.id;
    const replay = deps.replay;
    deps.replay = async (id) => {
      if (id === notReplayable) throw centralErrors.create('RS_ERR_NOT_REPLAYABLE', `dead letter '${id}' has no complete envelope`);
      return replay(id);
    };
    const app = buildAdminApp(deps);
    const response = await app.inject({ method: 'POST', url: '/v1/admin/dead-letters/replay', payload: { reason: 'RS_ERR_INVALID_EVENT' } });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ reason: 'RS_ERR_INVALID_EVENT', matched: 2, replayed: 1, not_replayable: 1 });
    expect(response.json().results).toContainEqual({ id: notReplayable, error: { code: 'RS_ERR_NOT_REPLAYABLE', message: expect.any(String) } });
    expect(deps.replayed).toEqual([deps.letters[2]!.id]);
    expect((await app.inject({ method: 'POST', url: '/v1/admin/dead-letters/replay', payload: { reason: 'nope' } })).statusCode).toBe(400);
  });
});
