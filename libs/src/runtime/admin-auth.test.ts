import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { adminAuthHeaders, presentedToken, requireAdminToken } from './admin-auth.ts';

const TOKEN = 'a-long-admin-token-0123';

function app(token: string | undefined) {
  const server = Fastify();
  requireAdminToken(server, token, 'test');
  for (const path of ['/healthz', '/readyz', '/metrics', '/v1/admin/things']) server.get(path, async () => ({ path }));
  server.post('/v1/admin/replay', async () => ({ replayed: true }));
  return server;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('admin token', () => {
  it('leaves every route open when no token is configured', async () => {
    expect((await app(undefined).inject({ url: '/v1/admin/things' })).statusCode).toBe(200);
    expect(adminAuthHeaders(undefined)).toEqual({});
  });

  it('refuses a request without the token, or with a wrong one, with 401, a Basic challenge and RS_ERR_ADMIN_UNAUTHORIZED', async () => {
    const server = app(TOKEN);
    for (const authorization of [undefined, 'Bearer wrong-token-but-long', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, basic('ops', 'nope'), 'Token abc', 'Bearer']) {
      const answer = await server.inject({ method: 'POST', url: '/v1/admin/replay?x=1', headers: authorization ? { authorization } : {} });
      expect(answer.statusCode, authorization).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Basic realm="test", charset="UTF-8"');
      expect(answer.json()).toMatchObject({ error: { code: 'RS_ERR_ADMIN_UNAUTHORIZED', message: 'POST /v1/admin/replay needs the admin token (Authorization: Bearer $RS_ADMIN_TOKEN)', retriable: false } });
    }
  });

  it('takes the token as Bearer or as the Basic password of any user (a browser login)', async () => {
    const server = app(TOKEN);
    expect((await server.inject({ url: '/v1/admin/things', headers: adminAuthHeaders(TOKEN) })).statusCode).toBe(200);
    expect((await server.inject({ url: '/v1/admin/things', headers: { authorization: basic('anyone', TOKEN) } })).statusCode).toBe(200);
    expect((await server.inject({ method: 'POST', url: '/v1/admin/replay', headers: { authorization: `bearer ${TOKEN}` } })).json()).toEqual({ replayed: true });
  });

  it('keeps probes and the metrics scrape open', async () => {
    const server = app(TOKEN);
    for (const url of ['/healthz', '/readyz', '/metrics', '/healthz?verbose=1']) expect((await server.inject({ url })).statusCode, url).toBe(200);
  });

  it('reads the token from Bearer and Basic headers only', () => {
    expect(presentedToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(presentedToken(basic('u', 'p:with:colons'))).toBe('p:with:colons');
    expect(presentedToken(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
    expect(presentedToken('Digest abc')).toBeUndefined();
    expect(presentedToken(undefined)).toBeUndefined();
  });
});
