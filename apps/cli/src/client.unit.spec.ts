import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { GatehouseClient, route } from './client';
import { ApiError, EXIT, UnreachableError } from './errors';

/** The client against a loopback HTTP server that answers whatever each test needs. */
describe('GatehouseClient', () => {
  let server: Server;
  let base: string;
  let answer: (req: { method?: string; url?: string; headers: Record<string, unknown>; body: string }) => { status: number; body: string; type?: string } | null;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const a = answer({ method: req.method, url: req.url, headers: req.headers, body });
        if (a) res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' }).end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });

  const client = (o: { apiKey?: string; timeoutMs?: number } = {}) => new GatehouseClient({ server: `${base}/`, timeoutMs: 2000, ...o });
  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);

  it('sends JSON with the key, and encodes every path value', async () => {
    let seen: Parameters<typeof answer>[0] | undefined;
    answer = (req) => ((seen = req), { status: 201, body: '{"revision":"7"}' });
    expect(await client({ apiKey: 'gh_k_s' }).post(route`/v1/accounts/${'a/b'}/users`, { email: 'x@y.z' })).toEqual({ revision: '7' });
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/accounts/a%2Fb/users', body: '{"email":"x@y.z"}' });
    expect(seen!.headers).toMatchObject({ authorization: 'Bearer gh_k_s', 'content-type': 'application/json' });
  });

  it('leaves the key out when asked (accepting an invitation)', async () => {
    let seen: Parameters<typeof answer>[0] | undefined;
    answer = (req) => ((seen = req), { status: 200, body: '{}' });
    await client({ apiKey: 'gh_k_s' }).post('/x', {}, { auth: false });
    expect(seen!.headers.authorization).toBeUndefined();
  });

  it('turns problems into ApiErrors with their exit codes', async () => {
    for (const [status, exit] of [[400, EXIT.refused], [401, EXIT.auth], [403, EXIT.auth], [404, EXIT.notFound], [409, EXIT.refused], [503, EXIT.unavailable]]) {
      answer = () => ({ status, body: JSON.stringify({ status, code: 'X.Y', detail: 'why' }), type: 'application/problem+json' });
      const error = (await failure(client().get('/x'))) as ApiError;
      expect(error).toBeInstanceOf(ApiError);
      expect([error.problem.code, error.message, error.exitCode]).toEqual(['X.Y', 'why', exit]);
    }
    answer = () => ({ status: 502, body: '<html>bad gateway</html>', type: 'text/html' });
    expect(((await failure(client().get('/x'))) as ApiError).problem).toEqual({ status: 502, code: 'HTTP.502', detail: '<html>bad gateway</html>' });
  });

  it('says when the answer is not Gatehouse, or never comes', async () => {
    answer = () => ({ status: 200, body: '<html></html>', type: 'text/html' });
    expect(((await failure(client().get('/x'))) as Error).message).toContain('with something that is not JSON');
    answer = () => null; // never answers
    const slow = (await failure(client({ timeoutMs: 200 }).get('/x'))) as UnreachableError;
    expect(slow).toBeInstanceOf(UnreachableError);
    expect(slow.message).toBe(`Gatehouse at ${base} did not answer within 0.2 s`);
  });

  describe('download (streamed bodies)', () => {
    let raw: ((req: { url?: string; headers: Record<string, unknown> }, res: ServerResponse) => void) | null = null;
    beforeAll(() => {
      const handler = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
      server.removeAllListeners('request');
      server.on('request', (req: IncomingMessage, res: ServerResponse) => (raw ? raw(req, res) : handler(req, res)));
    });
    afterEach(() => (raw = null));

    it('hands each chunk to the sink as it arrives, with the query, key and accept header', async () => {
      let seen: { url?: string; headers: Record<string, unknown> } | undefined;
      raw = (req, res) => {
        seen = req;
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.write('a,b\n');
        setTimeout(() => res.end('1,2\n'), 50);
      };
      const chunks: string[] = [];
      const result = await client({ apiKey: 'gh_k_s' }).download('/x', { format: 'csv', to: undefined }, 'text/csv', (c) => void chunks.push(String(c)));
      expect(chunks).toEqual(['a,b\n', '1,2\n']);
      expect(result).toEqual({ bytes: 8, contentType: 'text/csv' });
      expect(seen!.url).toBe('/x?format=csv');
      expect(seen!.headers).toMatchObject({ authorization: 'Bearer gh_k_s', accept: 'text/csv, application/problem+json' });
    });

    it('turns a problem into an ApiError, and passes nothing on', async () => {
      raw = (_req, res) => res.writeHead(403, { 'content-type': 'application/problem+json' }).end('{"status":403,"code":"PERMISSION.DENIED","detail":"no"}');
      const sink = jest.fn();
      const error = (await failure(client().download('/x', {}, 'text/csv', sink))) as ApiError;
      expect([error.problem.code, error.exitCode]).toEqual(['PERMISSION.DENIED', EXIT.auth]);
      expect(sink).not.toHaveBeenCalled();
    });

    it('says the output is incomplete when the server stops halfway, or goes silent for the timeout', async () => {
      raw = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"position":"1"}\n');
        setTimeout(() => res.destroy(), 30);
      };
      const cut = (await failure(client().download('/x', {}, 'application/x-ndjson', () => undefined))) as UnreachableError;
      expect(cut).toBeInstanceOf(UnreachableError);
      expect(cut.message).toMatch(/^Gatehouse at .* closed the connection.* after 17 bytes of \/x: the output is incomplete$/);

      raw = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"position":"1"}\n'); // and nothing more
      };
      const silent = (await failure(client({ timeoutMs: 200 }).download('/x', {}, 'application/x-ndjson', () => undefined))) as UnreachableError;
      expect(silent.message).toContain('sent nothing for 0.2 s after 17 bytes of /x: the output is incomplete');
      expect(silent.hint).toContain('--timeout');
    });

    it('does not count the time the sink takes (a paused pager) against the timeout', async () => {
      raw = (_req, res) => {
        res.writeHead(200);
        res.write('first\n');
        setTimeout(() => res.end('second\n'), 20);
      };
      const chunks: string[] = [];
      await client({ timeoutMs: 150 }).download('/x', {}, 'text/plain', async (c) => {
        chunks.push(String(c));
        await new Promise((r) => setTimeout(r, 300));
      });
      expect(chunks.join('')).toBe('first\nsecond\n');
    });

    it('stops reading and rethrows when the sink fails (a full disk)', async () => {
      raw = (_req, res) => {
        res.writeHead(200);
        res.write('first\n');
        setTimeout(() => res.end('second\n'), 20);
      };
      const error = await failure(client().download('/x', {}, 'text/plain', () => {
        throw new Error('ENOSPC');
      }));
      expect((error as Error).message).toBe('ENOSPC');
    });
  });

  it('says "is it running?" when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = (await failure(new GatehouseClient({ server: `http://127.0.0.1:${port}`, timeoutMs: 2000 }).get('/x'))) as UnreachableError;
    expect(error.message).toBe(`cannot reach Gatehouse at http://127.0.0.1:${port}: is it running?`);
  });
});
