import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { cassandraConfigSchema, parseReplication, replicationCql } from './config.ts';

describe('cassandra config', () => {
  it('defaults to one local node at LOCAL_QUORUM in keyspace retail_sync', () => {
    expect(loadConfig(cassandraConfigSchema, {})).toEqual({
      RS_CASSANDRA_CONTACT_POINTS: ['127.0.0.1:19042'],
      RS_CASSANDRA_LOCAL_DC: 'datacenter1',
      RS_CASSANDRA_KEYSPACE: 'retail_sync',
      RS_CASSANDRA_REPLICATION: { class: 'SimpleStrategy', replicationFactor: 1 },
      RS_CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
      RS_CASSANDRA_REQUEST_TIMEOUT_MS: 12_000,
      RS_CASSANDRA_WRITE_CONCURRENCY: 64,
    });
  });

  it('renders both replication forms as CQL maps', () => {
    expect(replicationCql(parseReplication('SimpleStrategy:1')!)).toBe("{'class': 'SimpleStrategy', 'replication_factor': 1}");
    expect(replicationCql(parseReplication('NetworkTopologyStrategy: eu-west=3, us-east=3')!)).toBe(
      "{'class': 'NetworkTopologyStrategy', 'eu-west': 3, 'us-east': 3}",
    );
  });

  it('names the bad key when a value cannot be used', () => {
    expect(() => loadConfig(cassandraConfigSchema, { RS_CASSANDRA_REPLICATION: "{'class': 'x'}" })).toThrow(/RS_CASSANDRA_REPLICATION/);
    expect(() => loadConfig(cassandraConfigSchema, { RS_CASSANDRA_KEYSPACE: 'drop table; x' })).toThrow(/RS_CASSANDRA_KEYSPACE/);
    expect(() => loadConfig(cassandraConfigSchema, { RS_CASSANDRA_CONSISTENCY: 'ANY' })).toThrow(/RS_CASSANDRA_CONSISTENCY/);
  });
});
