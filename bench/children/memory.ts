import { evaluate } from '@gatehouse/domain';
import { InProcessPermissionCache, projectEvent } from '@gatehouse/permission-cache';
import { RecordedEvent } from '@gatehouse/event-store';
import { ACCOUNT, cacheOps, generateDataset, LARGE, SMALL } from '../dataset';

/**
 * Run as `node --expose-gc memory.js <small|large>`: the heap the in-process cache holds
 * for the dataset's users, measured after full collections. Users arrive as the projector
 * delivers them (UserAdded rows parsed from JSON, then projected), so their strings are
 * the cache's own, as in a real server. Prints one JSON line.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const spec = process.argv[2] === 'large' ? LARGE : SMALL;
const d = generateDataset(spec, 20_000);
const cache = new InProcessPermissionCache();
const h0 = heap();
let position = 1n;
for (const ops of cacheOps(d)) {
  const rolesOnly = ops.filter((op) => op.op !== 'principal.put');
  if (rolesOnly.length > 0) cache.applySync(position++, rolesOnly);
}
const h1 = heap();
const rss1 = process.memoryUsage().rss;
let batch: RecordedEvent[] = [];
const flush = () => {
  const ops = batch.flatMap((e) => projectEvent(e));
  cache.applySync(position++, ops);
  batch = [];
};
d.users.forEach((u, i) => {
  const row = JSON.stringify({ accountId: ACCOUNT, userId: u.id, email: `${u.id}@bench.test`, roles: u.roles, teams: u.teams, reason: 'seed_admin', generation: 1 });
  batch.push({ id: `e${i}`, type: 'UserAdded', data: JSON.parse(row), metadata: {} as RecordedEvent['metadata'], streamId: `account-${ACCOUNT}`, revision: BigInt(i), position: BigInt(i) } as RecordedEvent);
  if (batch.length === 1000) flush();
});
if (batch.length > 0) flush();
const h2 = heap();
const rss2 = process.memoryUsage().rss;
// Then every check of the mix once: each principal's role list is compiled and its plans for the actions asked are kept.
const now = Date.now();
for (const c of d.checks) evaluate(cache.subjectSync(ACCOUNT, { principal: c.principal }).view, c.request, now);
const h3 = heap();
process.stdout.write(
  JSON.stringify({
    dataset: spec.name,
    users: d.users.length,
    roles: d.roles.length,
    rolesBytes: h1 - h0,
    usersBytes: h2 - h1,
    bytesPerUser: Math.round((h2 - h1) / d.users.length),
    memoAfterChecksBytes: h3 - h2,
    rssDeltaUsersBytes: rss2 - rss1,
  }) + '\n',
);
