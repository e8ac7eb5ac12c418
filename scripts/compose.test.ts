import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { centralConfigSchema } from '@retail-sync/central';
import { dagsConfigSchema } from '@retail-sync/dags';
import { loadConfig } from '@retail-sync/libs/config';
import { parseIdentitySpecs, storeConfigSchema } from '@retail-sync/store';
import { REPO_ROOT } from './lib/stack.ts';

interface ComposeService {
  image?: string;
  build?: { target: string };
  environment?: Record<string, string | number>;
  ports?: string[];
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const servicesScript = readFileSync(join(REPO_ROOT, 'scripts/services'), 'utf8');
const schemas: Record<string, z.ZodObject> = {
  store: storeConfigSchema as unknown as z.ZodObject,
  central: centralConfigSchema as unknown as z.ZodObject,
  dags: dagsConfigSchema as unknown as z.ZodObject,
};

function scriptPort(name: string): string {
  const match = new RegExp(`${name}=(\\d+)`).exec(servicesScript);
  if (!match) throw new Error(`scripts/services defines no ${name}`);
  return match[1]!;
}

describe('docker-compose.yml', () => {
  it('gives every project service only keys its config schema knows, with values the schema accepts', () => {
    const built = Object.entries(compose.services).filter(([, service]) => service.build);
    expect(built.map(([, s]) => s.build!.target).sort()).toEqual(expect.arrayContaining(['central', 'dags', 'store']));
    for (const [name, service] of built) {
      const schema = schemas[service.build!.target]!;
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
      const unknown = Object.keys(env).filter((key) => !(key in schema.shape));
      expect(unknown, `${name} sets keys its schema does not read`).toEqual([]);
      expect(() => loadConfig(schema, env, name), name).not.toThrow();
    }
  });

  it('publishes the servers on the same project ports scripts/services uses, with the same major versions', () => {
    const hostPort = (service: string) => compose.services[service]!.ports![0]!.split(':')[0];
    expect(hostPort('redis')).toBe(scriptPort('REDIS_PORT'));
    expect(hostPort('kafka')).toBe(scriptPort('KAFKA_PORT'));
    expect(hostPort('cassandra')).toBe(scriptPort('CASSANDRA_PORT'));
    expect(hostPort('clickhouse')).toBe(scriptPort('CH_HTTP_PORT'));
    expect(compose.services.redis!.image).toMatch(/^redis:7/);
    expect(compose.services.kafka!.image).toMatch(/^apache\/kafka:3\.9/);
    expect(compose.services.cassandra!.image).toMatch(/^cassandra:5\.0/);
    expect(readFileSync(join(REPO_ROOT, 'scripts/services.d/kafka/pom.xml'), 'utf8')).toMatch(/<kafka\.version>3\.9\./);
  });

  it('keeps Redis durable as scripts/services does (AOF, fsync every second, no eviction)', () => {
    const command = (compose.services.redis as { command: string[] }).command.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('runs stores as one scalable service whose replicas claim shops from a provisioned identity pool', () => {
    const { store, 'store-pool-init': init } = compose.services;
    const storeServices = Object.entries(compose.services).filter(([, service]) => service.build?.target === 'store');
    expect(storeServices.map(([name]) => name).sort()).toEqual(['store', 'store-pool-init']); // no per-shop services

    const pool = String(store!.environment!.RS_STORE_IDENTITY_POOL);
    expect(pool).toMatch(/^\//);
    for (const service of [store!, init!]) expect(service.volumes).toContainEqual(expect.stringMatching(new RegExp(`^[\\w-]+:${pool}$`)));
    expect(store!.ports![0]).toMatch(/^\d+-\d+:5001$/); // a host port range: one per replica
    expect(store!.depends_on!['store-pool-init']).toEqual({ condition: 'service_completed_successfully' });

    const command = init!.command!;
    // the store image has no tsx: the one-shot is bundled beside the store (scripts/build.ts, tested in build.test.ts)
    expect(command.slice(0, 2)).toEqual(['node', 'store/dist/provision.mjs']);
    expect(existsSync(join(REPO_ROOT, 'store/src/identity/provision-bin.ts'))).toBe(true);
    expect(command[command.indexOf('--dir') + 1]).toBe(pool);
    // Every provisioned shop is a catalog store with the catalog's timezone, so central can enrich its sales.
    const catalog = JSON.parse(readFileSync(join(REPO_ROOT, 'data/seed/catalog.json'), 'utf8')) as { stores: Array<{ store_id: string; timezone: string }> };
    const catalogZones = new Map(catalog.stores.map((entry) => [entry.store_id, entry.timezone]));
    const shops = parseIdentitySpecs(command[command.indexOf('--stores') + 1]!);
    expect(shops.length).toBeGreaterThan(1);
    for (const shop of shops) expect(catalogZones.get(shop.storeId), shop.storeId).toBe(shop.timezone);
  });
});
