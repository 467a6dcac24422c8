import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { run } from '../cli';
import { progressLine, summary } from './projection';

/** `projection rebuild --wait` in-process, against a loopback server that scripts the rebuild's progress. */
describe('gatehouse projection rebuild --wait', () => {
  let server: Server;
  let base: string;
  let statuses: object[] = [];
  let polls = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const send = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== 'Bearer root') return send(403, { status: 403, code: 'PERMISSION.DENIED', detail: 'only the platform root key may manage the projection' });
      if (req.method === 'POST' && req.url === '/v1/admin/projection/rebuild') return send(202, { startedAt: '2026-11-03T10:00:00.000Z', total: '300000' });
      if (req.method === 'GET' && req.url === '/v1/admin/projection') return send(200, statuses[Math.min(polls++, statuses.length - 1)]);
      send(404, { status: 404, code: 'ROUTE.NOT_FOUND' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => (polls = 0));

  const at = (applied: number, finished = false) => ({
    checkpoint: String(applied),
    head: '300000',
    lag: 300000 - applied,
    rebuilding: !finished,
    rebuild: { startedAt: '2026-11-03T10:00:00.000Z', total: '300000', applied, eventsPerSecond: 100000, ...(finished ? { finishedAt: '2026-11-03T10:00:03.000Z' } : {}) },
  });

  async function cli(stderrTty: boolean, ...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: stderrTty, columns: 100 },
      env: { GATEHOUSE_SERVER: base },
    });
    return { code, stdout, stderr };
  }

  it('on a terminal: a progress bar redrawn on stderr, then the summary on stdout', async () => {
    statuses = [at(0), at(120000), at(300000, true)];
    const result = await cli(true, 'projection', 'rebuild', '--wait', '--api-key', 'root');
    expect(result.code).toBe(0);
    const frames = result.stderr.split('\r').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatch(/^rebuilding \[\.{39}\]   0%        0\/300,000 events  100,000 events\/s\x1b\[K$/);
    expect(frames[1]).toMatch(/^rebuilding \[#{16}\.{23}\]  40%  120,000\/300,000 events  100,000 events\/s\x1b\[K$/);
    expect(frames[2]).toMatch(/^rebuilding \[#{39}\] 100%  300,000\/300,000 events  100,000 events\/s\x1b\[K\n$/);
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(frames.every((f) => f.replace(/\x1b\[K\n?$/, '').length < 100)).toBe(true);
    expect(result.stdout).toBe('Rebuilt the projection: 300,000 events in 3.0 s (100,000 events/s); checkpoint 300000, head 300000, lag 0\n');
  });

  it('not on a terminal: no bar (and nothing at all for a rebuild under 2 s)', async () => {
    statuses = [at(0), at(300000, true)];
    const result = await cli(false, 'projection', 'rebuild', '--wait', '--api-key', 'root');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(progressLine(at(120000).rebuild)).toBe('rebuilding: 120,000/300,000 events  100,000 events/s (40%)');
  });

  it('gives up (exit 5) when the rebuild applies nothing for --timeout; the rebuild goes on', async () => {
    statuses = [at(5)];
    const result = await cli(false, 'projection', 'rebuild', '--wait', '--api-key', 'root', '--timeout', '0.5');
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: the rebuild applied nothing for \d+ ms \(at 5\/300,000 events\)\nhint: it goes on in the server/);
  });

  it('other keys: exit 3, and the hint says only the root key may', async () => {
    const result = await cli(false, 'projection', 'rebuild', '--api-key', 'alice');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('hint: only the platform root key may do this: pass it with --api-key');
  });

  it('a rebuild faster than the server can time gives no rate', () => {
    const fast = { ...at(11, true), rebuild: { ...at(11, true).rebuild, finishedAt: '2026-11-03T10:00:00.000Z', eventsPerSecond: 0 } };
    expect(summary(fast)).toBe('Rebuilt the projection: 11 events in under 1 ms; checkpoint 11, head 300000, lag 299989');
  });
});
