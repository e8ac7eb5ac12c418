/**
 * One cassandra-driver Client per cluster per process, shared by every adapter (order store, dead
 * letters, any keyspace) and reference counted like EmbeddedDb.acquire: the driver keeps a pool per
 * host and prepares each statement once per Client, so more Clients only cost connections.
 * Statements name their keyspace (`ks.table`), so one Client serves several keyspaces (tests use their own).
 */
import cassandra, { type types as driverTypes } from 'cassandra-driver';
import type { CassandraConfig, ConsistencyName } from './config.ts';
import { toAdapterError } from './errors.ts';

const { Client, auth, types } = cassandra;
type DriverClient = InstanceType<typeof Client>;
export type Row = driverTypes.Row;

const CONSISTENCY: Record<ConsistencyName, number> = {
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_ONE: types.consistencies.localOne,
  LOCAL_QUORUM: types.consistencies.localQuorum,
};

/** The Client options every connection of this project uses. */
export function clientOptions(config: CassandraConfig, keyspace?: string): ConstructorParameters<typeof Client>[0] {
  return {
    contactPoints: config.RS_CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.RS_CASSANDRA_LOCAL_DC,
    ...(keyspace ? { keyspace } : {}),
    // The driver speaks protocol v4 at most; asking for it skips a failed DSE-version probe on connect.
    protocolOptions: { maxVersion: 4 },
    socketOptions: { readTimeout: config.RS_CASSANDRA_REQUEST_TIMEOUT_MS, connectTimeout: 5_000 },
    ...(config.RS_CASSANDRA_USERNAME
      ? { authProvider: new auth.PlainTextAuthProvider(config.RS_CASSANDRA_USERNAME, config.RS_CASSANDRA_PASSWORD ?? '') }
      : {}),
  };
}

export class CassandraSession {
  private static readonly open = new Map<string, Promise<CassandraSession>>();
  private refs = 1;
  readonly consistency: number;

  private constructor(
    private readonly key: string,
    readonly client: DriverClient,
    config: CassandraConfig,
  ) {
    this.consistency = CONSISTENCY[config.RS_CASSANDRA_CONSISTENCY];
  }

  /** Connects (or shares the connected Client for the same cluster and user); unreachable → RS_ERR_DEPENDENCY_UNAVAILABLE. */
  static async acquire(config: CassandraConfig): Promise<CassandraSession> {
    const key = JSON.stringify([config.RS_CASSANDRA_CONTACT_POINTS, config.RS_CASSANDRA_LOCAL_DC, config.RS_CASSANDRA_USERNAME ?? '', config.RS_CASSANDRA_CONSISTENCY]);
    const existing = CassandraSession.open.get(key);
    if (existing) {
      const session = await existing;
      session.refs += 1;
      return session;
    }
    const opening = (async () => {
      const client = new Client(clientOptions(config));
      try {
        await client.connect();
      } catch (error) {
        await client.shutdown().catch(() => undefined);
        throw toAdapterError(error, 'connect');
      }
      return new CassandraSession(key, client, config);
    })();
    CassandraSession.open.set(key, opening);
    opening.catch(() => CassandraSession.open.delete(key));
    return opening;
  }

  /** Runs one prepared statement at the configured consistency. `idempotent` lets the driver retry it on another host. */
  async execute(cql: string, params: unknown[], operation: string, idempotent: boolean): Promise<driverTypes.ResultSet> {
    try {
      return await this.client.execute(cql, params, { prepare: true, consistency: this.consistency, isIdempotent: idempotent });
    } catch (error) {
      throw toAdapterError(error, operation);
    }
  }

  /** Runs a read and returns every row of every page. */
  async readAll(cql: string, params: unknown[], operation: string): Promise<Row[]> {
    try {
      const result = await this.client.execute(cql, params, { prepare: true, consistency: this.consistency, isIdempotent: true });
      if (!result.pageState) return result.rows;
      const rows: Row[] = [];
      for await (const row of result) rows.push(row);
      return rows;
    } catch (error) {
      throw toAdapterError(error, operation);
    }
  }

  /** Applies `work` to every item with at most `limit` in flight; rejects with the first failure after the in-flight ones settle. */
  static async forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      while (failure === undefined && next < items.length) {
        const item = items[next++]!;
        try {
          await work(item);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
    if (failure) throw failure.error;
  }

  /** Releases this holder's reference; the last one shuts the Client down. */
  async release(): Promise<void> {
    this.refs -= 1;
    if (this.refs > 0) return;
    CassandraSession.open.delete(this.key);
    await this.client.shutdown();
  }
}
