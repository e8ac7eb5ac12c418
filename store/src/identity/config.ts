/** Configuration of the identity pool: which pool a scalable store replica claims its shop from, and how staleness is judged. */
import { z } from 'zod';
import { env } from '@retail-sync/libs/config';

export const identityConfigShape = {
  /**
   * Identity pool directory (one folder per shop, written by `retail-sync store-pool init`). Set = this
   * process claims one free shop from it and holds it exclusively while it runs; the shop's store id,
   * credential and buffer (`<pool>/<store_id>/buffer`) replace RS_STORE_ID, RS_STORE_KEY/_ID and
   * RS_STORE_DATA_DIR. This is what makes `docker compose up --scale store=N` safe. @default unset (one fixed shop)
   */
  RS_STORE_IDENTITY_POOL: z.string().min(1).optional(),
  /** A claim whose lock was not refreshed for this long belongs to a dead replica and may be taken over; the holder refreshes it every third of it. Hosts sharing a pool need clocks closer than this. @default 10000 */
  RS_STORE_IDENTITY_STALE_MS: env.int(10_000, 2_000, 600_000),
  /** How long a starting replica keeps looking when every identity is held (a dead replica's claim frees after RS_STORE_IDENTITY_STALE_MS) before it exits with RS_ERR_IDENTITY_POOL_EXHAUSTED. @default 30000 */
  RS_STORE_IDENTITY_WAIT_MS: env.int(30_000, 0, 3_600_000),
};
