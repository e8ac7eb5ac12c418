/**
 * A production-profile demo or simulate run writes to shared servers, so each run gets names of its own
 * (BullMQ key prefix, Cassandra keyspace, ClickHouse database, Kafka topic and group) and drops them
 * afterwards. Connection settings come from the same RS_* keys the services read (defaults: the
 * project's servers from scripts/services).
 */
import { createClient } from '@clickhouse/client';
import { Client as CassandraClient } from 'cassandra-driver';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

export interface ProductionIsolation {
  name: string;
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** `prefix` names what made the run (rs_demo, rs_sim), so a run left behind with --keep is recognisable. */
export function productionIsolation(prefix = 'rs_demo'): ProductionIsolation {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const redisUrl = process.env.RS_REDIS_URL ?? 'redis://127.0.0.1:16379';
  const contactPoints = (process.env.RS_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
  const clickhouseUrl = process.env.RS_CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
  return {
    name,
    env: { RS_QUEUE_PREFIX: name, RS_CASSANDRA_KEYSPACE: name, RS_CLICKHOUSE_DATABASE: name, RS_KAFKA_TOPIC: name, RS_KAFKA_GROUP_ID: name },
    async drop() {
      const admin = new Kafka({ clientId: 'retail-sync-demo', brokers: (process.env.RS_KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      if ((await admin.listTopics()).includes(name)) await admin.deleteTopics({ topics: [name] });
      await admin.disconnect();
      const redis = new Redis(redisUrl, { lazyConnect: true });
      await redis.connect();
      for await (const keys of redis.scanStream({ match: `${name}:*`, count: 1000 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
      redis.disconnect();
      const cassandra = new CassandraClient({ contactPoints, localDataCenter: process.env.RS_CASSANDRA_LOCAL_DC ?? 'datacenter1', protocolOptions: { maxVersion: 4 } });
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${name}`);
      await cassandra.shutdown();
      const clickhouse = createClient({ url: clickhouseUrl });
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${name}` });
      await clickhouse.close();
    },
  };
}
