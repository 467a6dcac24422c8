import { ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Security headers on every HTTP answer — successes, problems, framework errors (404,
 * 413, 415), the explorer and the metrics — through Fastify's inject and over a real
 * socket: never sniffed, never cached (except the explorer's static assets), never
 * framed, no referrer, and nothing that advertises the server.
 */
describe('security headers', () => {
  let gh: TestGatehouse;
  let base: string;

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_BODY_LIMIT_BYTES: '4096' } });
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks' } });
    await gh.app.listen({ port: 0, host: '127.0.0.1' });
    const address = gh.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => gh.stop());

  type Case = [name: string, method: string, url: string, opts: Parameters<TestGatehouse['http']>[2], status: number];
  const cases: Case[] = [
    ['a read', 'GET', '/v1/accounts/acme/users', { key: ROOT_KEY }, 200],
    ['a write (retried with its Idempotency-Key)', 'POST', '/v1/accounts/acme/users', { key: ROOT_KEY, body: { email: 'bob@acme.test' }, headers: { 'idempotency-key': 'headers-1' } }, 201],
    ['a check', 'POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: 'usr_x' }, action: 'dataset:read' } }, 200],
    ['a missing key (401)', 'GET', '/v1/accounts/acme/users', {}, 401],
    ['a conflict (409)', 'POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks' } }, 409],
    ['a wrong key (401)', 'POST', '/v1/accounts/acme/users', { key: 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', body: { email: 'x@acme.test' } }, 401],
    ['an unknown route (404)', 'GET', '/nowhere', {}, 404],
    ['a body over the limit (413)', 'POST', '/v1/accounts/acme/check', { key: ROOT_KEY, raw: JSON.stringify({ pad: 'x'.repeat(8192) }) }, 413],
    ['a wrong media type (415)', 'POST', '/v1/accounts/acme/check', { key: ROOT_KEY, raw: 'a=b', headers: { 'content-type': 'text/plain' } }, 415],
    ['malformed JSON (400)', 'POST', '/v1/accounts/acme/check', { key: ROOT_KEY, raw: '{' }, 400],
    ['the OpenAPI document', 'GET', '/docs-json', {}, 200],
    ['liveness', 'GET', '/healthz', {}, 200],
    ['metrics', 'GET', '/metrics', {}, 200],
  ];

  const expectApiHeaders = (headers: Record<string, unknown>) => {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(headers['x-powered-by']).toBeUndefined();
    expect(headers.server).toBeUndefined();
  };

  it.each(cases)('%s: through inject', async (_name, method, url, opts, status) => {
    const res = await gh.http(method, url, opts);
    expect(res.status).toBe(status);
    expectApiHeaders(res.headers);
  });

  it.each(cases)('%s: over a socket', async (_name, method, url, opts, status) => {
    const headers: Record<string, string> = { ...(opts?.headers ?? {}) };
    if (opts?.key) headers.authorization = `Bearer ${opts.key}`;
    const body = opts?.body !== undefined ? JSON.stringify(opts.body) : opts?.raw;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(base + url, { method, headers, body });
    await res.arrayBuffer();
    expect(res.status).toBe(status);
    expectApiHeaders(Object.fromEntries(res.headers.entries()));
  });

  it('the HTML explorer may run its own scripts but is never framed or cached', async () => {
    const page = await gh.http('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it("the explorer's static assets keep their own caching, and the rest", async () => {
    const asset = await gh.http('GET', '/docs/assets/swagger-ui.css');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=86400');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    expect(asset.headers['x-frame-options']).toBe('DENY');
  });
});
