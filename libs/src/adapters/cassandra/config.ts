/**
 * Configuration of the Cassandra adapters (order store and dead letters). Central and dags merge
 * `cassandraConfigShape` into their own schemas, so every key is an env name and a bad value is named.
 */
import { z } from 'zod';
import { env } from '../../config/index.ts';

/** Consistency levels an operator may pick (names as in CQL); reads and writes use the same one. */
export const CONSISTENCY_LEVELS = ['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_ONE', 'LOCAL_QUORUM'] as const;
export type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number];

/** A keyspace's replication as CQL wants it: `{'class': …, 'replication_factor' | <dc>: n}`. */
export type Replication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; factorsByDc: Record<string, number> };

const SIMPLE = /^SimpleStrategy:([1-9][0-9]?)$/;
const TOPOLOGY = /^NetworkTopologyStrategy:([A-Za-z0-9_.-]+=[1-9][0-9]?(?:,[A-Za-z0-9_.-]+=[1-9][0-9]?)*)$/;

/** Parses `SimpleStrategy:1` or `NetworkTopologyStrategy:dc1=3,dc2=3`; undefined when neither. */
export function parseReplication(text: string): Replication | undefined {
  const compact = text.replace(/\s+/g, '');
  const simple = SIMPLE.exec(compact);
  if (simple) return { class: 'SimpleStrategy', replicationFactor: Number(simple[1]) };
  const topology = TOPOLOGY.exec(compact);
  if (!topology) return undefined;
  const factorsByDc: Record<string, number> = {};
  for (const pair of topology[1]!.split(',')) {
    const [dc, factor] = pair.split('=');
    factorsByDc[dc!] = Number(factor);
  }
  return { class: 'NetworkTopologyStrategy', factorsByDc };
}

/** The CQL map literal for CREATE KEYSPACE … WITH replication = <this>. Names are regex-checked above. */
export function replicationCql(replication: Replication): string {
  if (replication.class === 'SimpleStrategy') return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}}`;
  const factors = Object.entries(replication.factorsByDc).map(([dc, factor]) => `'${dc}': ${factor}`);
  return `{'class': 'NetworkTopologyStrategy', ${factors.join(', ')}}`;
}

export const cassandraConfigShape = {
  /**
   * Nodes the driver bootstraps from (`host:port`, comma-separated); it discovers the rest of the ring.
   * Default `127.0.0.1:19042`, the project's own node (scripts/services); a cluster usually listens on 9042.
   */
  RS_CASSANDRA_CONTACT_POINTS: env.list('127.0.0.1:19042').refine((points) => points.length > 0, { error: 'must name at least one host:port' }),
  /** The datacenter this process runs in: queries go to its nodes first. Default `datacenter1` (SimpleSnitch's name). */
  RS_CASSANDRA_LOCAL_DC: env.string('datacenter1'),
  /** Keyspace holding the order store and dead letters; created by `migrate()`. Default `retail_sync`. */
  RS_CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, { error: 'must be a lower-case CQL identifier (a-z, 0-9, _; at most 48 characters)' })
    .default('retail_sync'),
  /**
   * Replication of the keyspace when `migrate()` creates it (an existing keyspace is left as it is):
   * `SimpleStrategy:<rf>` or `NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]`. Default `SimpleStrategy:1`
   * (one local node). Production: `NetworkTopologyStrategy:<dc>=3` with LOCAL_QUORUM, so an acked write is
   * on two replicas before any commit log is synced (Cassandra's periodic sync acks before fsync).
   */
  RS_CASSANDRA_REPLICATION: z
    .string()
    .default('SimpleStrategy:1')
    .transform((text, ctx) => {
      const replication = parseReplication(text);
      if (replication) return replication;
      ctx.addIssue({ code: 'custom', message: 'must be SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]' });
      return z.NEVER;
    }),
  /**
   * Consistency of every read and write. Default `LOCAL_QUORUM`: on one node (RF 1) the quorum is that
   * node; with RF 3 a write is acked by 2 replicas and a read sees it (2 + 2 > 3).
   */
  RS_CASSANDRA_CONSISTENCY: z.enum(CONSISTENCY_LEVELS).default('LOCAL_QUORUM'),
  /** User for PasswordAuthenticator; unset (default) connects without authentication. */
  RS_CASSANDRA_USERNAME: z.string().min(1).optional(),
  /** Password for RS_CASSANDRA_USERNAME; unset by default. Never logged. */
  RS_CASSANDRA_PASSWORD: z.string().min(1).optional(),
  /** Per-request client timeout in ms (the driver's readTimeout), after which the driver retries an idempotent statement on the next host. Default 12000. */
  RS_CASSANDRA_REQUEST_TIMEOUT_MS: env.int(12_000, 100, 600_000),
  /** Statements one putSales call keeps in flight (a sale is 2 rows: store-day and seq index). Default 64. */
  RS_CASSANDRA_WRITE_CONCURRENCY: env.int(64, 1, 2048),
};

export const cassandraConfigSchema = z.object(cassandraConfigShape);
export type CassandraConfig = z.infer<typeof cassandraConfigSchema>;

/** Options that are not deployment config (tests and tools only). */
export interface CassandraAdapterOptions {
  /** Folder of the `NNN_name.cql` migrations; default: central/cql of this repository. */
  migrationsDir?: string;
}
