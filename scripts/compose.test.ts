import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { centralConfigSchema } from '@retail-sync/central';
import { dagsConfigSchema } from '@retail-sync/dags';
import { loadConfig } from '@retail-sync/libs/config';
import { storeConfigSchema } from '@retail-sync/store';
import { REPO_ROOT } from './lib/stack.ts';

interface ComposeService {
  image?: string;
  build?: { target: string };
  environment?: Record<string, string | number>;
  ports?: string[];
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
});
