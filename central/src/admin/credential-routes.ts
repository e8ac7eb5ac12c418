/**
 * Admin routes for store keys: issue, rotate, list, revoke. The secret of a new key is in the issuing
 * response only (never listed, never logged, `cache-control: no-store`); lists show key ids and states.
 */
import type { StoreCredentialPort, StoreCredentialRecord } from '@retail-sync/libs/ports';
import { isCredentialActive } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors } from '@retail-sync/libs/errors';
import type { Catalog } from '../catalog/index.ts';
import { centralErrors } from '../errors.ts';
import { issueStoreKey, rotateStoreKey, type CredentialCrypto, type StoreKeyVerifier } from '../ingest/store-credentials.ts';

export interface CredentialAdminDependencies {
  port: StoreCredentialPort;
  crypto: CredentialCrypto;
  /** Told about revocations, so this process stops accepting a revoked key at once. */
  verifier?: Pick<StoreKeyVerifier, 'forget'>;
  /** How long older keys stay valid after a rotation. */
  overlapMs: number;
}

export interface CredentialSummary {
  key_id: string;
  store_id: string;
  state: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const issueBody = z.object({ rotate: z.boolean({ error: 'must be true or false' }).optional() }).strict().optional();
const listQuery = z.object({ store: z.string().min(1).optional() }).strict();

export function summarize(record: StoreCredentialRecord, now: Date): CredentialSummary {
  const state = record.revoked_at !== null ? 'revoked' : isCredentialActive(record, now) ? 'active' : 'expired';
  return { key_id: record.key_id, store_id: record.store_id, state, created_at: record.created_at, expires_at: record.expires_at, revoked_at: record.revoked_at };
}

export function registerCredentialRoutes(app: FastifyInstance, deps: CredentialAdminDependencies, catalog: Pick<Catalog, 'store'> | undefined, logger: Logger | undefined): void {
  app.post<{ Params: { id: string } }>('/v1/admin/stores/:id/credentials', async (request, reply) => {
    const body = issueBody.safeParse(request.body ?? undefined);
    if (!body.success) throw badRequest(body.error);
    const storeId = request.params.id;
    if (catalog && !catalog.store(storeId)) throw commonErrors.create('RS_ERR_UNKNOWN_STORE', `store_id: '${storeId}' is not in the catalog`);
    const now = new Date();
    const result = body.data?.rotate
      ? await rotateStoreKey(deps.port, deps.crypto, storeId, deps.overlapMs, now)
      : { issued: await issueStoreKey(deps.port, deps.crypto, storeId, now), expiring: [] };
    logger?.info({ store_id: storeId, key_id: result.issued.key_id, rotated: result.expiring.map((key) => key.key_id) }, 'store key issued');
    void reply.header('cache-control', 'no-store');
    return reply.status(201).send({ ...result.issued, expiring: result.expiring });
  });

  app.get('/v1/admin/credentials', async (request) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) throw badRequest(query.error);
    const keys = query.data.store ? await deps.port.listForStore(query.data.store) : await deps.port.list();
    const now = new Date();
    return { credentials: keys.map((key) => summarize(key, now)) };
  });

  app.post<{ Params: { keyId: string } }>('/v1/admin/credentials/:keyId/revoke', async (request) => {
    const { keyId } = request.params;
    if (!(await deps.port.get(keyId))) throw centralErrors.create('RS_ERR_CREDENTIAL_NOT_FOUND', `no store key '${keyId}'`);
    await deps.port.revoke(keyId, new Date().toISOString());
    deps.verifier?.forget(keyId);
    const revoked = (await deps.port.get(keyId))!;
    logger?.info({ store_id: revoked.store_id, key_id: keyId }, 'store key revoked');
    return summarize(revoked, new Date());
  });
}

function badRequest(error: z.ZodError): Error {
  const message = error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  return Object.assign(new Error(message), { statusCode: 400 });
}
