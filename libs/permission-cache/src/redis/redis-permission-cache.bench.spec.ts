import { evaluate, PrincipalRef, presetModel } from '@gatehouse/domain';
import { RecordedEvent } from '@gatehouse/event-store';
import { redisUrlOrSkip, uniqueRedisPrefix } from '../../../../test/support/redis';
import { InProcessPermissionCache } from '../in-process/in-process-permission-cache';
import { PermissionCache, SubjectRef } from '../permission-cache.port';
import { projectEvent } from '../projection';
import { History } from '../testing/permission-cache.contract';
import { RedisPermissionCache } from './redis-permission-cache';

/**
 * Opt-in measurements (GATEHOUSE_BENCH=1): a rebuild from ~50,000 projected events in
 * batches of 500, then 10,000 sequential subject() reads. Prints figures, asserts only
 * that the hot path stays at one round trip per read.
 *
 *   GATEHOUSE_BENCH=1 npx jest redis-permission-cache.bench --selectProjects int
 */
const enabled = process.env.GATEHOUSE_BENCH === '1';
const url = enabled ? redisUrlOrSkip('RedisPermissionCache benchmark') : null;

const ACCOUNTS = 250;
const USERS = 60;
const KEYS = 25;
const BATCH = 500;
const READS = 10_000;

type Step = (h: History) => void;

/** 200 events per account, accounts interleaved as concurrent traffic would interleave them. */
function syntheticHistory(): { events: RecordedEvent[]; subjects: [string, SubjectRef][] } {
  const model = presetModel('fireworks');
  const roles = ['user', 'contributor', 'inference-user'];
  const perAccount: Step[][] = [];
  const subjects: [string, SubjectRef][] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const accountId = `acct-${a}`;
    const user = (u: number): PrincipalRef => ({ type: 'user', id: `u${u}` });
    const steps: Step[] = [(h) => h.add('AccountCreated', { accountId, model })];
    for (let u = 0; u < USERS; u++) {
      steps.push((h) =>
        h.add('UserInvited', {
          accountId,
          userId: `u${u}`,
          email: `u${u}@${accountId}.example`,
          roles: [roles[u % 3]],
          invitation: { id: `inv-${u}`, secretHash: `h${u}`, expiresAt: '2030-01-01T00:00:00.000Z' },
        }),
      );
      subjects.push([accountId, { principal: user(u) }]);
    }
    for (let u = 0; u < 50; u++) steps.push((h) => h.add('InvitationAccepted', { accountId, userId: `u${u}`, invitationId: `inv-${u}` }));
    for (let u = 0; u < 40; u++) steps.push((h) => h.add('RoleAssigned', { accountId, principal: user(u), role: roles[(u + 1) % 3] }));
    for (let u = 0; u < 15; u++) steps.push((h) => h.add('RoleUnassigned', { accountId, principal: user(u), role: roles[u % 3] }));
    for (let k = 0; k < KEYS; k++) {
      steps.push((h) => h.add('ApiKeyCreated', { accountId, keyId: `${accountId}-k${k}`, owner: user(k), name: `k${k}`, secretHash: `s${k}` }));
      subjects.push([accountId, { keyId: `${accountId}-k${k}` }]);
    }
    for (let k = 0; k < 5; k++) steps.push((h) => h.add('ApiKeyRevoked', { accountId, keyId: `${accountId}-k${k}`, owner: user(k) }));
    for (let u = 56; u < 60; u++) steps.push((h) => h.add('UserRemoved', { accountId, userId: `u${u}` }));
    perAccount.push(steps);
  }
  const history = new History();
  const longest = Math.max(...perAccount.map((s) => s.length));
  for (let i = 0; i < longest; i++) for (const steps of perAccount) steps[i]?.(history);
  return { events: history.events, subjects };
}

async function rebuild(cache: PermissionCache, events: RecordedEvent[]) {
  await cache.clear();
  const batches = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const slice = events.slice(i, i + BATCH);
    batches.push({ position: slice[slice.length - 1].position, ops: slice.flatMap(projectEvent) });
  }
  const ops = batches.reduce((n, b) => n + b.ops.length, 0);
  const start = process.hrtime.bigint();
  for (const b of batches) await cache.apply(b.position, b.ops);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, ops, eventsPerSecond: Math.round(events.length / (ms / 1000)) };
}

async function readLatencies(cache: PermissionCache, subjects: [string, SubjectRef][]) {
  const micros: number[] = [];
  let allowed = 0;
  // Deterministic spread over every subject; a warm-up pass first so JIT and scripts are settled.
  for (let i = 0; i < 1000; i++) await cache.subject(...subjects[(i * 7919) % subjects.length]);
  for (let i = 0; i < READS; i++) {
    const [account, ref] = subjects[(i * 7919) % subjects.length];
    const t = process.hrtime.bigint();
    const s = await cache.subject(account, ref);
    micros.push(Number(process.hrtime.bigint() - t) / 1000);
    if (evaluate(s.view, { action: 'dataset:read' }, 0).allowed) allowed++;
  }
  micros.sort((x, y) => x - y);
  const at = (q: number) => micros[Math.min(micros.length - 1, Math.floor(q * micros.length))].toFixed(1);
  return { p50: at(0.5), p99: at(0.99), max: micros[micros.length - 1].toFixed(1), allowed };
}

describe('RedisPermissionCache benchmark', () => {
  jest.setTimeout(300_000);

  it('rebuilds from ~50,000 events and answers 10,000 reads', async () => {
    const { events, subjects } = syntheticHistory();
    const redis = RedisPermissionCache.connect(url!, uniqueRedisPrefix('permission-cache-bench'));
    const local = new InProcessPermissionCache();
    try {
      const r = await rebuild(redis, events);
      const l = await rebuild(local, events);
      const before = redis.roundTrips;
      const rl = await readLatencies(redis, subjects);
      expect(redis.roundTrips - before).toBe(READS + 1000);
      const ll = await readLatencies(local, subjects);
      expect(rl.allowed).toBe(ll.allowed);
      expect(await redis.checkpoint()).toBe(events[events.length - 1].position);
      console.info(
        [
          `events ${events.length} (${r.ops} cache ops) in batches of ${BATCH}; ${subjects.length} distinct subjects`,
          `redis      apply: ${r.ms.toFixed(0)} ms = ${r.eventsPerSecond} events/s; subject() µs p50 ${rl.p50} p99 ${rl.p99} max ${rl.max}`,
          `in-process apply: ${l.ms.toFixed(0)} ms = ${l.eventsPerSecond} events/s; subject() µs p50 ${ll.p50} p99 ${ll.p99} max ${ll.max}`,
        ].join('\n'),
      );
    } finally {
      await redis.clear();
      await redis.close();
    }
  });
});
