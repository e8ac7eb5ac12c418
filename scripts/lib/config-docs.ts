/**
 * The documentation that must never drift from the code, generated from it: `.env.example` (every
 * config key of every service with its default and meaning) and README's configuration and error
 * tables, and the metrics table from the metric catalogue. Meanings come from the TSDoc line above each key in the config schemas; defaults come from
 * the schemas themselves. scripts/docs.test.ts fails when a generated file is stale.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';
import { centralConfigSchema, centralErrors } from '@retail-sync/central';
import { dagsConfigSchema, dagsErrors } from '@retail-sync/dags';
import { cassandraErrors } from '@retail-sync/libs/cassandra';
import { commonErrors, type ErrorCatalogue } from '@retail-sync/libs/errors';
import { metricsTable } from '@retail-sync/libs/metrics';
import { storeConfigSchema, storeErrors } from '@retail-sync/store';
import { REPO_ROOT } from './stack.ts';

export interface ConfigKeyDoc {
  key: string;
  default: string;
  meaning: string;
  services: string[];
}

const SERVICES: Array<[string, z.ZodObject]> = [
  ['store', storeConfigSchema as unknown as z.ZodObject],
  ['central', centralConfigSchema as unknown as z.ZodObject],
  ['dags', dagsConfigSchema as unknown as z.ZodObject],
];

/** TSDoc text above each `RS_…:` key in the config source files. */
function keyComments(): Map<string, string> {
  const comments = new Map<string, string>();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/config(\/index)?\.ts$/.test(path.replace(/\\/g, '/')) && !path.endsWith('.test.ts')) files.push(path);
    }
  };
  for (const pkg of ['libs/src', 'store/src', 'central/src', 'dags/src']) walk(join(REPO_ROOT, pkg));
  for (const file of files.sort()) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*(RS_[A-Z0-9_]+)\s*:/g)) {
      const text = match[1]!
        .split('\n')
        .map((line) => line.replace(/^\s*\*\s?/, '').trim())
        .join(' ')
        .replace(/@default\s+\S+(\s*\([^)]*\))?/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (!comments.has(match[2]!)) comments.set(match[2]!, text);
    }
  }
  return comments;
}

/** The default as an operator would write it: the raw env text before any transform. */
function defaultOf(schema: z.ZodType): string {
  let def = (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
  for (;;) {
    if (def.type === 'default') {
      const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      return Array.isArray(value) ? value.join(',') : String(value);
    }
    const inner = def.in ?? def.innerType;
    if (!inner) return '';
    def = inner._zod.def;
  }
}

interface ZodDef {
  type: string;
  defaultValue?: unknown;
  in?: { _zod: { def: ZodDef } };
  innerType?: { _zod: { def: ZodDef } };
}

export function configKeyDocs(): ConfigKeyDoc[] {
  const comments = keyComments();
  const docs = new Map<string, ConfigKeyDoc>();
  for (const [service, schema] of SERVICES) {
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const existing = docs.get(key);
      if (existing) {
        existing.services.push(service);
        continue;
      }
      docs.set(key, { key, default: defaultOf(field), meaning: comments.get(key) ?? '', services: [service] });
    }
  }
  return [...docs.values()];
}

export function renderEnvExample(docs = configKeyDocs()): string {
  const lines = [
    '# retail-sync configuration: every key of every service, its default and its meaning.',
    '# Generated from the config schemas by `npm run docs`; scripts/docs.test.ts fails when it is stale.',
    '# Each service reads its keys from the environment (e.g. `node --env-file=.env …` or your orchestrator).',
    '# A key left unset takes the default shown; an empty value means "unset" (no default).',
    '',
  ];
  for (const doc of docs) {
    lines.push(`# ${doc.meaning || '(undocumented)'} [${doc.services.join(', ')}]`);
    lines.push(`${doc.key}=${doc.default}`);
    lines.push('');
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderConfigTable(docs = configKeyDocs()): string {
  const rows = docs.map((doc) => `| \`${doc.key}\` | ${doc.default === '' ? '(unset)' : `\`${cell(doc.default)}\``} | ${doc.services.join(', ')} | ${cell(doc.meaning)} |`);
  return ['| key | default | read by | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const CATALOGUES: Array<[string, ErrorCatalogue<string>]> = [
  ['libs (all services)', commonErrors as ErrorCatalogue<string>],
  ['libs/cassandra', cassandraErrors as ErrorCatalogue<string>],
  ['store', storeErrors as ErrorCatalogue<string>],
  ['central', centralErrors as ErrorCatalogue<string>],
  ['dags', dagsErrors as ErrorCatalogue<string>],
];

export function renderErrorTable(): string {
  const rows: string[] = [];
  for (const [owner, catalogue] of CATALOGUES) {
    for (const [code, spec] of Object.entries(catalogue.specs)) {
      rows.push(`| \`${code}\` | ${owner} | ${spec.retriable ? 'yes' : 'no'} | ${spec.httpStatus} | ${spec.grpcStatus} | ${cell(spec.description)} |`);
    }
  }
  return ['| code | raised by | retriable | HTTP | gRPC | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(document: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`);
  return `${document.slice(0, from + start.length)}\n${body}\n${document.slice(to)}`;
}

export function renderReadme(readme: string): string {
  const withConfig = replaceSection(readme, 'config-table', renderConfigTable());
  return replaceSection(replaceSection(withConfig, 'error-table', renderErrorTable()), 'metrics-table', metricsTable());
}

export const DOC_FILES = { envExample: join(REPO_ROOT, '.env.example'), readme: join(REPO_ROOT, 'README.md') };
export const relativeToRepo = (path: string) => relative(REPO_ROOT, path);
