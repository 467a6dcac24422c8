import { randomUUID } from 'node:crypto';
import { AccountEvent, accountToSnapshot, evolveAccount, initialAccountState, presetModel, systemClock } from '@gatehouse/domain';
import { InMemoryEventStore, NewEvent } from '@gatehouse/event-store';
import { CommandRunner } from '../commands/command-runner';
import { AccountSnapshots } from './account-snapshots';
import { AuditService } from './audit.service';

/** As-of answers through snapshots equal folding the whole history, at every kind of position. */
describe('AuditService snapshots', () => {
  const event = (type: AccountEvent['type'], data: unknown): NewEvent => ({
    id: randomUUID(),
    type,
    data,
    metadata: { actor: 'root', account: 'big', commandId: randomUUID(), correlationId: 'c', causationId: 'c', occurredAt: '2026-11-23T10:00:00.000Z', schemaVersion: 1 },
  });

  it('answers as of any position exactly as a full fold does, across snapshot boundaries', async () => {
    const store = new InMemoryEventStore();
    const all = history(7000);
    await append(store, all);
    const audit = new AuditService(store, systemClock, new CommandRunner(store, systemClock, { next: (p) => `${p}_x`, uuid: randomUUID }));
    for (const position of [1n, 2000n, 2001n, 3999n, 4000n, 6999n, 7000n, 2500n, 100n]) {
      const expected = all.slice(0, Number(position)).reduce(evolveAccount, initialAccountState());
      const { accountState } = await audit.stateAt('big', { position });
      expect({ position, state: accountToSnapshot(accountState) }).toEqual({ position, state: accountToSnapshot(expected) });
    }
    // The snapshots were left on the way.
    expect(audit.snapshots.stats('account-big').snapshots).toBe(3);
  });

  it('keeps snapshots current in the background: no as-of answer folds more than 2,000 events, however old the account', async () => {
    const store = new InMemoryEventStore();
    const all = history(9000);
    await append(store, all.slice(0, 5000));
    const audit = new AuditService(store, systemClock, new CommandRunner(store, systemClock, { next: (p) => `${p}_x`, uuid: randomUUID }));
    audit.snapshots.follow();
    try {
      expect(await audit.snapshots.followedTo(5000n)).toBe(true);
      expect(audit.snapshots.stats('account-big').snapshots).toBe(2);
      // Events appended later are followed too.
      await append(store, all.slice(5000));
      expect(await audit.snapshots.followedTo(9000n)).toBe(true);
      expect(audit.snapshots.stats('account-big').snapshots).toBe(4);

      const read = countReads(store);
      for (const position of [9000n, 1n, 8001n, 4000n, 3999n, 2000n, 6543n]) {
        read.events = 0;
        const expected = all.slice(0, Number(position)).reduce(evolveAccount, initialAccountState());
        const { accountState } = await audit.stateAt('big', { position });
        expect({ position, state: accountToSnapshot(accountState) }).toEqual({ position, state: accountToSnapshot(expected) });
        expect({ position, read: read.events <= 2000 }).toEqual({ position, read: true });
      }
    } finally {
      await audit.snapshots.stop();
    }
  });

  it('holds one account larger than the memory bound within it, thinning its snapshots, answers unchanged', async () => {
    const store = new InMemoryEventStore();
    const all = history(21_000);
    await append(store, all);
    const probe = new AccountSnapshots(store);
    probe.follow();
    expect(await probe.followedTo(21_000n)).toBe(true);
    const full = probe.stats('account-big');
    await probe.stop();
    expect(full.snapshots).toBe(10);
    // A bound of about a third of what ten snapshots take.
    const bound = Math.floor(full.chars / 3);
    const snapshots = new AccountSnapshots(store, 2000n, bound);
    snapshots.follow();
    try {
      expect(await snapshots.followedTo(21_000n)).toBe(true);
      const thinned = snapshots.stats('account-big');
      expect(thinned.chars).toBeLessThanOrEqual(bound);
      expect(thinned.snapshots).toBeGreaterThanOrEqual(2);
      const read = countReads(store);
      for (const position of [21_000n, 1n, 19_999n, 12_345n, 8000n, 2000n]) {
        read.events = 0;
        const expected = all.slice(0, Number(position)).reduce(evolveAccount, initialAccountState());
        expect({ position, state: accountToSnapshot(await snapshots.stateAt('account-big', position)) }).toEqual({ position, state: accountToSnapshot(expected) });
        // Still bounded: thinned twice at most here, so at most 4 × 2,000 events are folded.
        expect({ position, read: read.events <= 8000 }).toEqual({ position, read: true });
      }
    } finally {
      await snapshots.stop();
    }
  });

  it('makes a snapshot part by part, letting other work run between parts (no stall of the checks on a large account)', async () => {
    const store = new InMemoryEventStore();
    // 60 members, one snapshot every 100 events, 2 entries a part: each snapshot has ~65 parts.
    const all = members(60);
    while (all.length < 300) all.push({ type: 'TeamCreated', data: { accountId: 'big', team: `t${all.length}` } });
    await append(store, all);
    // One batch holds every event, handled in one call: made in one piece, all 3 snapshots
    // would appear within a single turn of the event loop. A callback run at every turn
    // sees how many there are.
    const snapshots = new AccountSnapshots(store, 100n, 1024 * 1024 * 1024, 2);
    const seen: number[] = [];
    let ticking = true;
    const tick = () => {
      seen.push(snapshots.stats('account-big').snapshots);
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    snapshots.follow();
    try {
      expect(await snapshots.followedTo(300n)).toBe(true);
    } finally {
      ticking = false;
      await snapshots.stop();
    }
    expect(snapshots.stats('account-big').snapshots).toBe(3);
    // Turns ran between the snapshots, and within each (one per part after the first: ~65).
    const between = seen.filter((n) => n === 1 || n === 2).length;
    expect(between).toBeGreaterThan(2 * 60);
    // And an as-of fold from a snapshot read part by part equals the fold from the start.
    const expected = all.slice(0, 250).reduce(evolveAccount, initialAccountState());
    expect(accountToSnapshot(await snapshots.stateAt('account-big', 250n))).toBe(accountToSnapshot(expected));
  });

  /** The account created with `count` users u0, u1, … */
  function members(count: number): AccountEvent[] {
    return [
      { type: 'AccountCreated', data: { accountId: 'big', model: presetModel('fireworks') } },
      ...Array.from({ length: count }, (_, i): AccountEvent => ({
        type: 'UserAdded',
        data: { accountId: 'big', userId: `u${i}`, email: `u${i}@x`, roles: ['user'], reason: 'seed_admin', generation: 1 },
      })),
    ];
  }

  /** 20 users, then their role toggled until the stream holds `length` events. */
  function history(length: number): AccountEvent[] {
    const all = members(20);
    for (let i = 0; all.length < length; i++) {
      const principal = { type: 'user' as const, id: `u${i % 20}` };
      all.push({ type: i % 2 === 0 ? 'RoleAssigned' : 'RoleUnassigned', data: { accountId: 'big', principal, role: 'contributor' } });
    }
    return all;
  }

  async function append(store: InMemoryEventStore, events: AccountEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await store.appendToStream('account-big', events.slice(i, i + 500).map((e) => event(e.type, e.data)), { expectedRevision: 'any' });
    }
  }

  /** Counts the events the store hands out through readStream from now on. */
  function countReads(store: InMemoryEventStore): { events: number } {
    const counter = { events: 0 };
    const readStream = store.readStream.bind(store);
    store.readStream = async (stream, options) => {
      const result = await readStream(stream, options);
      counter.events += result.events.length;
      return result;
    };
    return counter;
  }
});
