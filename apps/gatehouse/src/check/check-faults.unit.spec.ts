import { Clock, DomainError } from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { CacheOp, InProcessPermissionCache, PermissionCacheUnavailableError, ResourceRef, SubjectRef, SubjectsRead } from '@gatehouse/permission-cache';
import { Authenticator, KeyCredential } from '../auth/authenticator';
import { KeyLookup } from '../auth/key-lookup';
import { KeyUsage } from '../auth/key-usage';
import { RootKey } from '../auth/root-key';
import { Config } from '../config/config';
import { mintCredential, parseCredential } from '../credentials/credentials';
import { ProjectionProgress } from '../projector/projection-progress';
import { BulkCheckItem, CheckAnswer, CheckInput, CheckOptions, CheckService } from './check.service';

/**
 * Fail closed (issue 9): a fault at any step of the check path (the read of the caller's
 * key and the subjects, the store's head, the catch-up and `atLeast` waits, evaluation)
 * ends in a denial or a refusal with a stable code, never in an allow. Each case first
 * shows the same check allowed without the fault, so a fault that changed nothing
 * would fail the test too.
 */
const ACME = 'acme';
const NOW = Date.parse('2030-01-01T00:00:00Z');
const alice = { type: 'user' as const, id: 'alice' };
const callerKey = mintCredential('gh', 'callerkeyaaaa');
const aliceKey = mintCredential('gh', 'alicekeyaaaaa');
const parsed = (token: string): KeyCredential => {
  const p = parseCredential(token)!;
  return { kind: 'key', keyId: p.id, secretHash: p.secretHash };
};
const history: CacheOp[] = [
  { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
  { op: 'role.put', account: ACME, role: { name: 'reader', grants: { 'dataset:read': ['any'] }, scopes: {} } },
  { op: 'principal.put', account: ACME, principal: { ...alice, status: 'active', roles: ['reader'], teams: [] } },
  { op: 'principal.put', account: ACME, principal: { type: 'user', id: 'caller', status: 'active', roles: [], teams: [] } },
  { op: 'key.put', account: ACME, key: { id: callerKey.id, status: 'active', owner: { type: 'user', id: 'caller' }, secretHash: callerKey.secretHash } },
  { op: 'key.put', account: ACME, key: { id: aliceKey.id, status: 'active', owner: alice, secretHash: aliceKey.secretHash } },
];

type Fault =
  | 'first read fails'
  | 'read after waiting fails'
  | 'checkpoint read fails'
  | 'store head fails while the cache is empty'
  | 'evaluation throws'
  | 'atLeast wait times out'
  | 'cache lost its data';

/**
 * The in-process cache with one fault switched on; the rest behaves. `sync` false hides its
 * synchronous read, so the check path takes its promise road, as over Redis.
 */
class FaultyCache extends InProcessPermissionCache {
  fault: Fault | null = null;
  private reads = 0;

  constructor(sync: boolean) {
    super();
    if (!sync) Object.defineProperty(this, 'subjectsSync', { value: undefined });
  }

  override subjectsSync(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []): SubjectsRead {
    return this.faulted(account, refs, resources);
  }

  override async subjects(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []): Promise<SubjectsRead> {
    return this.faulted(account, refs, resources);
  }

  private faulted(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[]): SubjectsRead {
    this.reads++;
    if (this.fault === 'first read fails' && this.reads === 1) throw new PermissionCacheUnavailableError('connection refused');
    if (this.fault === 'read after waiting fails' && this.reads > 1) throw new PermissionCacheUnavailableError('connection reset');
    const read = super.subjectsSync(account, refs, resources);
    // The projector moves on right after the first read, so a wait for revision 11 ends at once and a second read follows.
    if (this.fault === 'read after waiting fails') this.applySync(11n, []);
    if (this.fault !== 'evaluation throws') return read;
    // Every subject but the caller's key: any property the evaluator touches throws.
    const subjects = read.subjects.map((s, i) => (i === 0 && refs.length > 1 ? s : { ...s, view: new Proxy(s.view, { get: () => { throw new TypeError('evaluator defect'); } }) }));
    return { ...read, subjects };
  }
  override async checkpoint(): Promise<bigint | null> {
    if (this.fault === 'checkpoint read fails') throw new PermissionCacheUnavailableError('timed out');
    return super.checkpoint();
  }
}

function service(fault: Fault | null, sync = true) {
  const cache = new FaultyCache(sync);
  cache.applySync(10n, history);
  if (fault === 'cache lost its data' || fault === 'store head fails while the cache is empty') void cache.clear();
  cache.fault = fault;
  const store = {
    headPosition: async () => {
      if (fault === 'store head fails while the cache is empty') throw new Error('store down');
      // Ahead of the cache when asked for a wait, so that the catch-up path runs too.
      return fault === 'read after waiting fails' || fault === 'checkpoint read fails' ? 11n : 10n;
    },
  } as unknown as EventStore;
  const config = { consistencyTimeoutMs: 30 } as Config;
  const progress = new ProjectionProgress(cache);
  const keys = new KeyLookup(cache, store, config, progress);
  const clock: Clock = { now: () => new Date(NOW) };
  const authenticator = new Authenticator(RootKey.fromKey('r'.repeat(40)), keys, new KeyUsage(cache, clock), clock);
  return { checks: new CheckService(cache, clock, config, progress, keys, authenticator), cache };
}

/** Each way into the check path, with the principal it asks about allowed. */
const paths: [string, (checks: CheckService, atLeast?: string) => Promise<CheckAnswer[]>][] = [
  ['root caller, principal by id', async (c, atLeast) => [await c.check(ACME, input({ principal: alice }, atLeast))]],
  ['key caller, principal by id', async (c, atLeast) => [await c.check(ACME, input({ principal: alice }, atLeast), asCaller(callerKey.token))]],
  ['key caller, principal by key', async (c, atLeast) => [await c.check(ACME, input({ principal: { apiKey: aliceKey.token } }, atLeast), asCaller(callerKey.token))]],
  ['key caller whose key is unknown', async (c, atLeast) => [await c.check(ACME, input({ principal: alice }, atLeast), asCaller(mintCredential('gh', 'unknownkeyaaa').token))]],
  ['batch by a key caller', async (c, atLeast) => (await c.checkBulk(ACME, [item({ principal: alice }), item({ principal: { apiKey: aliceKey.token } })], atLeast ? { atLeast } : undefined, asCaller(callerKey.token))).results.map(answerOf)],
];

function input(p: Pick<CheckInput, 'principal'>, atLeast?: string): CheckInput {
  return { ...item(p), ...(atLeast ? { consistency: { atLeast } } : {}) };
}
function item(p: Pick<CheckInput, 'principal'>): BulkCheckItem {
  return { principal: p.principal, action: 'dataset:read', resource: { type: 'dataset', id: 'ds-1' } };
}
const asCaller = (token: string): CheckOptions => ({ caller: parsed(token) });
const answerOf = (r: { answer: CheckAnswer } | { error: unknown }): CheckAnswer => {
  if ('error' in r) throw r.error;
  return r.answer;
};

/** Allowed, denied or refused (with the error's code): the only three outcomes a check has. */
async function outcome(run: () => Promise<CheckAnswer[]>): Promise<string> {
  try {
    const answers = await run();
    return answers.some((a) => a.allowed) ? 'ALLOWED' : `denied ${answers.map((a) => a.reason).join(',')}`;
  } catch (error) {
    if (error instanceof DomainError) return `refused ${error.code}`;
    return `failed ${error instanceof Error ? error.message : String(error)}`;
  }
}

// Both roads: the in-process cache's synchronous read (CheckService.answer without a
// promise) and the promise road every other cache takes.
describe.each([
  ['synchronous read', true],
  ['promise road', false],
])('the check path fails closed (%s)', (_road, sync) => {
  it.each(paths)('without a fault, %s is allowed (an unknown caller key: 401), the baseline the faults must change', async (name, run) => {
    expect(await outcome(() => run(service(null, sync).checks))).toBe(name === 'key caller whose key is unknown' ? 'refused AUTH.INVALID_CREDENTIALS' : 'ALLOWED');
    expect(await outcome(() => run(service(null, sync).checks, '10'))).toBe(name === 'key caller whose key is unknown' ? 'refused AUTH.INVALID_CREDENTIALS' : 'ALLOWED');
  });

  // [fault, the check's atLeast, what every path answers, what the caller with an unknown key gets instead]
  const cases: [Fault, string | undefined, string, string][] = [
    ['first read fails', undefined, 'refused PERMISSION_CACHE.UNAVAILABLE', 'refused PERMISSION_CACHE.UNAVAILABLE'],
    ['read after waiting fails', '11', 'refused PERMISSION_CACHE.UNAVAILABLE', 'refused PERMISSION_CACHE.UNAVAILABLE'],
    ['checkpoint read fails', '11', 'refused PERMISSION_CACHE.UNAVAILABLE', 'refused PERMISSION_CACHE.UNAVAILABLE'],
    ['evaluation throws', undefined, 'denied NO_GRANT', 'refused AUTH.INVALID_CREDENTIALS'],
    // An unknown caller is refused before any wait for a revision.
    ['atLeast wait times out', '11', 'refused CONSISTENCY.NOT_YET_APPLIED', 'refused AUTH.INVALID_CREDENTIALS'],
    ['cache lost its data', undefined, 'refused PERMISSION_CACHE.NOT_READY', 'refused PERMISSION_CACHE.NOT_READY'],
    ['store head fails while the cache is empty', undefined, 'refused PERMISSION_CACHE.NOT_READY', 'refused PERMISSION_CACHE.NOT_READY'],
  ];
  describe.each(cases)('%s', (fault, atLeast, expected, unknownCaller) => {
    it.each(paths)('%s: denied or refused, never allowed', async (name, run) => {
      const result = await outcome(() => run(service(fault, sync).checks, atLeast));
      expect(result).not.toBe('ALLOWED');
      const want = name === 'key caller whose key is unknown' ? unknownCaller : expected;
      expect(result).toBe(name.startsWith('batch') && want.startsWith('denied') ? `${want},${want.slice('denied '.length)}` : want);
    });
  });
});

describe('CheckService.answer', () => {
  it('answers synchronously from the in-process cache, as check() does', async () => {
    const { checks } = service(null);
    const sync = checks.answer(ACME, input({ principal: alice }), asCaller(callerKey.token));
    expect(sync).not.toBeInstanceOf(Promise);
    expect(sync).toEqual(await checks.check(ACME, input({ principal: alice }), asCaller(callerKey.token)));
    expect((sync as CheckAnswer).allowed).toBe(true);
  });

  it('takes the promise road when the read needs a wait, and for a cache without a synchronous read', async () => {
    // Behind atLeast: waits (and times out here).
    const behind = service(null).checks.answer(ACME, input({ principal: alice }, '11'));
    expect(behind).toBeInstanceOf(Promise);
    await expect(behind).rejects.toMatchObject({ code: 'CONSISTENCY.NOT_YET_APPLIED' });
    // A caller key the cache does not hold (yet): the catch-up wait.
    const unknown = service(null).checks.answer(ACME, input({ principal: alice }), asCaller(mintCredential('gh', 'unknownkeyaaa').token));
    expect(unknown).toBeInstanceOf(Promise);
    await expect(unknown).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
    const overRedis = service(null, false).checks.answer(ACME, input({ principal: alice }));
    expect(overRedis).toBeInstanceOf(Promise);
    expect((await overRedis).allowed).toBe(true);
  });

  it('throws at once for a caller key whose secret is wrong (check() rejects with the same)', async () => {
    const { checks } = service(null);
    const forged: CheckOptions = { caller: { ...parsed(callerKey.token), secretHash: parsed(aliceKey.token).secretHash } };
    expect(() => checks.answer(ACME, input({ principal: alice }), forged)).toThrow(expect.objectContaining({ code: 'AUTH.INVALID_CREDENTIALS' }));
    await expect(checks.check(ACME, input({ principal: alice }), forged)).rejects.toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS' });
  });
});
