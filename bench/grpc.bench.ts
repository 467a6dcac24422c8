import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { systemClock } from '@gatehouse/domain';
import { SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache, PermissionCache, RedisPermissionCache } from '@gatehouse/permission-cache';
import { RootKey } from '../apps/gatehouse/src/auth/root-key';
import { createApp, randomIds } from '../apps/gatehouse/src/bootstrap';
import { loadConfig } from '../apps/gatehouse/src/config/config';
import { GrpcServer, PERMISSION_SERVICE } from '../apps/gatehouse/src/grpc/grpc-server';
import { loadServerPackage } from '../apps/gatehouse/src/grpc/proto';
import { serverBackground, startRespProxy } from './resp-proxy';

/**
 * Issue 5's gRPC targets, measured in one process on one machine:
 * - Check sustains ≥ 70% of the requests per second of a bare @grpc/grpc-js unary echo
 *   server (same CheckRequest message, decoded and re-encoded, nothing else);
 * - CheckBulk of 100 checks costs < 5× a single Check.
 * Each is driven by the same client with the same number of calls in flight, in
 * rotating rounds so that drift (JIT, GC, a noisy neighbour) hits all of them alike.
 * The client shares the process; by default it works as a load generator (requests
 * encoded once, answers not decoded) so that its cost does not dilute the servers'.
 * Gatehouse runs as `npm start` runs it: SQLite store, in-process cache.
 *
 *   import { benchGrpc } from './grpc.bench';
 *   const figures = await benchGrpc({ quick });                     // the targets
 *   const withCodec = await benchGrpc({ quick, clientCodec: true }); // an application client's view
 */
export interface GrpcBenchOptions {
  /** 1 s per measure (in 3 rounds) instead of 5 s (in 6 rounds). */
  quick?: boolean;
  /** Calls in flight (default 64). */
  concurrency?: number;
  /** Encode every request and decode every answer on the client side too (default: a load generator's client). */
  clientCodec?: boolean;
}

export interface GrpcBenchFigures {
  concurrency: number;
  clientCodec: boolean;
  secondsPerMeasure: number;
  echoPerSecond: number;
  checkPerSecond: number;
  /** check ÷ echo; target ≥ 0.70. */
  checkVsEcho: number;
  checkVsEchoMet: boolean;
  bulk100PerSecond: number;
  /** Checks answered per second inside CheckBulk(100) calls. */
  bulk100ChecksPerSecond: number;
  /** Cost of one CheckBulk(100) in single Checks: check/s ÷ bulk/s; target < 5. */
  bulk100VsCheck: number;
  bulk100VsCheckMet: boolean;
  /** Median latency at that concurrency, ms. */
  latencyMs: { echo: number; check: number; bulk100: number };
  /**
   * Process CPU time per call, µs (client and server together), and the same two ratios
   * computed from it (echo CPU ÷ check CPU; bulk CPU ÷ check CPU): on a shared machine,
   * where other work steals cycles, these move far less than req/s.
   */
  cpuMicrosPerCall: { echo: number; check: number; bulk100: number };
  cpuRatios: { checkVsEcho: number; bulk100VsCheck: number };
}

interface Measure {
  perSecond: number;
  medianMs: number;
  /** Process CPU time (client and server) per completed call: steadier than req/s on a shared machine. */
  cpuMicrosPerCall: number;
}

type Unary = (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response?: Buffer | object) => void) => void;

/** Keeps `concurrency` calls in flight for `ms`; returns completed calls per second and the median latency. */
async function drive(call: Unary, request: object, metadata: grpc.Metadata, concurrency: number, ms: number): Promise<Measure> {
  const end = Date.now() + ms;
  const cpu = process.cpuUsage();
  let done = 0;
  const latencies: number[] = [];
  let failure: grpc.ServiceError | null = null;
  const worker = () =>
    new Promise<void>((resolve) => {
      const next = () => {
        if (Date.now() >= end || failure) return resolve();
        const started = process.hrtime.bigint();
        call(request, metadata, (error) => {
          if (error) failure = error;
          done++;
          if (done % 16 === 0) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          next();
        });
      };
      next();
    });
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure) throw failure;
  const seconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return { perSecond: done / seconds, medianMs: latencies[Math.floor(latencies.length / 2)] ?? 0, cpuMicrosPerCall: (used.user + used.system) / done };
}

/** Gatehouse in this process over `permissionCache` (SQLite store), an account and four members with keys, gRPC on a free port. */
async function startBenchGatehouse(permissionCache: PermissionCache): Promise<{ port: number; members: { id: string; key: string }[]; rootKey: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-grpc-bench-'));
  const rootKey = `bench-root-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: rootKey, LOG_LEVEL: 'error', PORT: '0', GRPC_PORT: '0', GRPC_HOST: '127.0.0.1' });
  let app: NestFastifyApplication | undefined;
  // The app closes the cache with itself; one that failed to start leaves it to us.
  const close = async () => {
    await (app ? app.close() : permissionCache.close());
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    app = await createApp({
      config,
      eventStore: new SqliteEventStore({ file: join(dataDir, 'events.sqlite') }),
      permissionCache,
      rootKey: RootKey.fromKey(rootKey),
      clock: systemClock,
      ids: randomIds,
    });
    const http = async (url: string, body: unknown) => {
      const res = await app!.getHttpAdapter().getInstance().inject({ method: 'POST', url, headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (res.statusCode >= 300) throw new Error(`bench setup: POST ${url} → ${res.statusCode} ${res.body}`);
      return JSON.parse(res.body);
    };
    await http('/v1/accounts', { id: 'bench', preset: 'fireworks', admins: ['admin@bench.test'] });
    const members: { id: string; key: string }[] = [];
    for (const [i, role] of ['contributor', 'user', 'inference-user', 'admin'].entries()) {
      const invited = await http('/v1/accounts/bench/users', { email: `m${i}@bench.test`, roles: [role] });
      await http('/v1/accounts/bench/invitations/accept', { token: invited.invitation.token });
      const key = await http(`/v1/accounts/bench/users/${invited.id}/api-keys`, {});
      members.push({ id: invited.id, key: key.key });
    }
    const port = await app.get(GrpcServer).listen('127.0.0.1', 0);
    return { port, members, rootKey, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A service calling with its own key (the admin's) about a member, and a batch of 100 mixing principals by id and by key. */
function benchRequests(members: { id: string; key: string }[]) {
  const single = { account: 'bench', principal: { userId: members[0].id }, action: 'dataset:update', resource: { type: 'dataset', id: 'ds-1', owner: members[0].id } };
  const actions = ['dataset:read', 'dataset:update', 'model:create', 'deployment:infer', 'fine_tuning_job:delete'];
  const bulk = {
    account: 'bench',
    checks: Array.from({ length: 100 }, (_, i) => {
      const m = members[i % members.length];
      const action = actions[i % actions.length];
      return {
        principal: i % 2 ? { userId: m.id } : { apiKey: m.key },
        action,
        resource: { type: action.split(':')[0], id: `r-${i}`, owner: members[(i * 7) % members.length].id },
      };
    }),
  };
  return { single, bulk, callerKey: members[3].key };
}

export async function benchGrpc(options: GrpcBenchOptions = {}): Promise<GrpcBenchFigures> {
  const concurrency = options.concurrency ?? 64;
  const rounds = options.quick ? 3 : 6;
  const secondsPerMeasure = options.quick ? 1 : 5;
  const roundMs = (secondsPerMeasure * 1000) / rounds;

  // Gatehouse as `npm start` runs it (SQLite file, in-process cache), gRPC on a free port.
  const gatehouse = await startBenchGatehouse(new InProcessPermissionCache());
  const echoServer = new grpc.Server();
  const clients: grpc.Client[] = [];
  try {
    const { port, members } = gatehouse;

    // The echo server: the same CheckRequest codec, and nothing else.
    const check = (loadServerPackage()[PERMISSION_SERVICE] as grpc.ServiceDefinition).Check;
    const echo: grpc.ServiceDefinition = {
      Echo: { ...check, path: '/bench.Echo/Echo', responseSerialize: check.requestSerialize, responseDeserialize: check.requestDeserialize },
    };
    echoServer.addService(echo, { Echo: (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => callback(null, call.request) });
    const echoPort = await new Promise<number>((resolve, reject) =>
      echoServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );

    // By default the client behaves as a load generator: requests encoded once, answers
    // counted by status and not decoded, so the figures are the servers' cost rather than
    // protobufjs's on the client side (which shares this process). `clientCodec: true`
    // encodes and decodes every call, as an application client would.
    const served = loadServerPackage()[PERMISSION_SERVICE] as grpc.ServiceDefinition;
    const codec = options.clientCodec ?? false;
    const clientSide = (definition: grpc.ServiceDefinition): grpc.ServiceDefinition =>
      codec
        ? definition
        : Object.fromEntries(
            Object.entries(definition).map(([name, method]) => [name, { ...method, requestSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b }]),
          );
    const encode = (method: grpc.MethodDefinition<object, object>, request: object): object => (codec ? request : method.requestSerialize(request));
    const Permission = grpc.makeGenericClientConstructor(clientSide(served), 'PermissionService');
    const Echo = grpc.makeGenericClientConstructor(clientSide(echo), 'Echo');
    const permissions = new Permission(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Unary>;
    const echoClient = new Echo(`127.0.0.1:${echoPort}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Unary>;
    clients.push(permissions, echoClient);

    const { single: singleRequest, bulk: bulkRequest, callerKey } = benchRequests(members);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${callerKey}`);
    const single = encode(served.Check, singleRequest);
    const bulk = encode(served.CheckBulk, bulkRequest);

    // What is measured must be real answers, not a fast error path.
    const once = (call: Unary, request: object) => new Promise<Buffer | object>((resolve, reject) => call(request, metadata, (error, response) => (error ? reject(error) : resolve(response!))));
    const decoded = (method: grpc.MethodDefinition<object, object>, response: Buffer | object) => (Buffer.isBuffer(response) ? method.responseDeserialize(response) : response);
    const one = decoded(served.Check, await once((r, m, cb) => permissions.Check(r, m, cb), single)) as { allowed: boolean; reason: string };
    const many = decoded(served.CheckBulk, await once((r, m, cb) => permissions.CheckBulk(r, m, cb), bulk)) as { results: { answer?: unknown }[] };
    if (!one.allowed || many.results.length !== 100 || many.results.some((r) => !r.answer)) {
      throw new Error(`bench setup: unexpected answers ${JSON.stringify(one)} / ${JSON.stringify(many.results.find((r) => !r.answer))}`);
    }

    const callEcho: Unary = (r, m, cb) => echoClient.Echo(r, m, cb);
    const callCheck: Unary = (r, m, cb) => permissions.Check(r, m, cb);
    const callBulk: Unary = (r, m, cb) => permissions.CheckBulk(r, m, cb);

    // Warm-up (JIT, connections), then rounds.
    for (const warm of [callEcho, callCheck, callBulk]) await drive(warm, warm === callBulk ? bulk : single, metadata, concurrency, 500);
    const totals: Record<'echo' | 'check' | 'bulk', Measure[]> = { echo: [], check: [], bulk: [] };
    const measures = {
      echo: () => drive(callEcho, single, metadata, concurrency, roundMs),
      check: () => drive(callCheck, single, metadata, concurrency, roundMs),
      bulk: () => drive(callBulk, bulk, metadata, concurrency, roundMs),
    };
    // The order rotates each round: whatever one measure leaves behind (garbage to
    // collect, a cooling JIT) falls on each of the others in turn.
    const orders = [['echo', 'check', 'bulk'], ['check', 'bulk', 'echo'], ['bulk', 'echo', 'check']] as const;
    for (let r = 0; r < rounds; r++) {
      for (const name of orders[r % orders.length]) totals[name].push(await measures[name]());
    }
    // The median round of each measure: a burst of work elsewhere on the machine spoils a round, not the figure.
    const median = (xs: Measure[], f: (m: Measure) => number) => {
      const sorted = xs.map(f).sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    };
    const [echoes, checks, bulks] = [totals.echo, totals.check, totals.bulk].map((xs) => ({
      perSecond: median(xs, (m) => m.perSecond),
      medianMs: Number(median(xs, (m) => m.medianMs).toFixed(3)),
      cpuMicros: Number(median(xs, (m) => m.cpuMicrosPerCall).toFixed(1)),
    }));
    const checkVsEcho = checks.perSecond / echoes.perSecond;
    const bulk100VsCheck = checks.perSecond / bulks.perSecond;
    return {
      concurrency,
      clientCodec: codec,
      secondsPerMeasure,
      echoPerSecond: Math.round(echoes.perSecond),
      checkPerSecond: Math.round(checks.perSecond),
      checkVsEcho: Number(checkVsEcho.toFixed(3)),
      checkVsEchoMet: checkVsEcho >= 0.7,
      bulk100PerSecond: Math.round(bulks.perSecond),
      bulk100ChecksPerSecond: Math.round(bulks.perSecond * 100),
      bulk100VsCheck: Number(bulk100VsCheck.toFixed(3)),
      bulk100VsCheckMet: bulk100VsCheck < 5,
      latencyMs: { echo: echoes.medianMs, check: checks.medianMs, bulk100: bulks.medianMs },
      cpuMicrosPerCall: { echo: echoes.cpuMicros, check: checks.cpuMicros, bulk100: bulks.cpuMicros },
      cpuRatios: { checkVsEcho: Number((echoes.cpuMicros / checks.cpuMicros).toFixed(3)), bulk100VsCheck: Number((bulks.cpuMicros / checks.cpuMicros).toFixed(3)) },
    };
  } finally {
    for (const c of clients) c.close();
    echoServer.forceShutdown();
    await gatehouse.close();
  }
}

export interface GrpcRedisRoundTrips {
  /** Calls counted per measure. */
  calls: number;
  /** Redis commands per Check whose caller presents an API key (target ≤ 1: the key rides in the check's read). */
  perCheckWithKey: number;
  /** The same with the root key as the caller (no key to read). */
  perCheckRootCaller: number;
  /** Per CheckBulk of 100 items (4 principals, half by key) by a key caller. */
  perBulk100WithKey: number;
  /** The server's own commands in those windows (health probe, key-use flush, projector watchdog), left out of the figures above. */
  backgroundCommands: number;
}


/**
 * Redis round trips per gRPC call: Gatehouse over RedisPermissionCache, connected through
 * a proxy that counts the commands it is sent (resp-proxy.ts), so nothing in the server
 * is trusted to count. The server's own periodic traffic (`serverBackground`, resp-proxy.ts) is told
 * apart by command and key, left out of the figures and reported beside them.
 *
 *   const trips = await benchGrpcRoundTrips({ quick, redisUrl });   // trips.perCheckWithKey ≤ 1
 */
export async function benchGrpcRoundTrips(o: { quick?: boolean; redisUrl: string }): Promise<GrpcRedisRoundTrips> {
  const calls = o.quick ? 1_000 : 5_000;
  const proxy = await startRespProxy(o.redisUrl, { background: serverBackground });
  const prefix = `benchgrpc${Date.now().toString(36)}`;
  let gatehouse: Awaited<ReturnType<typeof startBenchGatehouse>> | null = null;
  let client: grpc.Client | null = null;
  try {
    gatehouse = await startBenchGatehouse(RedisPermissionCache.connect(proxy.url, prefix));
    const served = loadServerPackage()[PERMISSION_SERVICE] as grpc.ServiceDefinition;
    const Permission = grpc.makeGenericClientConstructor(served, 'PermissionService');
    const permissions = new Permission(`127.0.0.1:${gatehouse.port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Unary>;
    client = permissions;
    const { single, bulk, callerKey } = benchRequests(gatehouse.members);
    const as = (key: string) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${key}`);
      return metadata;
    };
    const aside = () => [...proxy.background.values()].reduce((sum, n) => sum + n, 0);
    let backgroundCommands = 0;
    /** Redis commands per call over `n` calls, 16 in flight, the server's background commands left out; every call must be answered. */
    const count = async (method: 'Check' | 'CheckBulk', request: object, metadata: grpc.Metadata, n: number) => {
      let next = 0;
      const before = proxy.counter.count;
      const idle = aside();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next++ < n) {
            await new Promise<void>((resolve, reject) => permissions[method](request, metadata, (error) => (error ? reject(error) : resolve())));
          }
        }),
      );
      const own = aside() - idle;
      backgroundCommands += own;
      return Number(((proxy.counter.count - before - own) / n).toFixed(3));
    };
    const key = as(callerKey);
    const root = as(gatehouse.rootKey);
    // Warm-up: connections, scripts loaded (a first EVALSHA may be answered NOSCRIPT).
    await count('Check', single, key, 100);
    await count('CheckBulk', bulk, key, 10);
    backgroundCommands = 0;
    const perCheckWithKey = await count('Check', single, key, calls);
    const perCheckRootCaller = await count('Check', single, root, calls);
    const perBulk100WithKey = await count('CheckBulk', bulk, key, Math.ceil(calls / 10));
    return { calls, perCheckWithKey, perCheckRootCaller, perBulk100WithKey, backgroundCommands };
  } finally {
    client?.close();
    await gatehouse?.close();
    await proxy.close();
    // Leave the private prefix empty.
    const cleaner = RedisPermissionCache.connect(o.redisUrl, prefix);
    await cleaner.clear().finally(() => cleaner.close());
  }
}

// `node dist/bench/grpc.bench.js [--quick]` runs this bench alone: the targets, then round trips over a private redis-server (REDIS_URL wins when set).
if (require.main === module) {
  void (async () => {
    const quick = process.argv.includes('--quick');
    console.log(JSON.stringify(await benchGrpc({ quick })));
    const { startRedisServer } = await import('../test/support/redis-server');
    const redis = await startRedisServer();
    if (!redis) return console.log('no redis-server: round trips not counted');
    try {
      console.log(JSON.stringify(await benchGrpcRoundTrips({ quick, redisUrl: redis.url })));
    } finally {
      await redis.stop();
    }
  })();
}
