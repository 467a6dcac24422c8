import { randomUUID } from 'node:crypto';
import { DomainError, errors, systemClock, verifyChain } from '@gatehouse/domain';
import { EventStoreUnavailableError, ExpectedRevision, InMemoryEventStore, NewEvent } from '@gatehouse/event-store';
import { sha256Hex } from '../credentials/credentials';
import { CommandRunner, Fold, RememberedCommands, RequestContext } from './command-runner';
import type { RecordedEvent } from '@gatehouse/event-store';

/**
 * The runner on its own, over the in-memory store, with the store's answers under the
 * test's control: group commit, a rival writer slipping in between read and append, a
 * store that fails mid-group. Whatever happens, the stored events are the truth and the
 * runner's state is their fold.
 */
type Event = { type: 'Added' | 'Removed'; data: { item: string } };
type State = { items: string[] };
const fold: Fold<State, Event> = {
  initialState: () => ({ items: [] }),
  // Mutates, as the account fold does: a state folded ahead of the store is really changed.
  evolve: (state, e) => {
    if (e.type === 'Added' && !state.items.includes(e.data.item)) state.items.push(e.data.item);
    if (e.type === 'Removed') state.items = state.items.filter((x) => x !== e.data.item);
    return state;
  },
};
const add =
  (item: string) =>
  (state: State): Event[] => {
    if (item.startsWith('bad')) throw errors.conflict('TEST.REFUSED', `${item} is refused`);
    return state.items.includes(item) ? [] : [{ type: 'Added', data: { item } }];
  };

const request = (commandId: string = randomUUID(), commandHash = 'h'): RequestContext => ({ actor: { kind: 'root' }, commandId, commandHash, correlationId: 'c' });

/** The in-memory store, counting appends, with a hook that runs just before each append. */
class ControlledStore extends InMemoryEventStore {
  appends = 0;
  beforeAppend: ((stream: string) => Promise<void>) | null = null;
  override async appendToStream(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }) {
    const hook = this.beforeAppend;
    this.beforeAppend = null;
    if (hook) await hook(stream);
    this.appends++;
    return super.appendToStream(stream, events, options);
  }
}

function setup() {
  const store = new ControlledStore();
  const runner = new CommandRunner(store, systemClock, { next: (p) => `${p}_${randomUUID()}`, uuid: randomUUID });
  const run = (item: string, r = request()) => runner.run({ stream: 's-1', fold, account: 'a', request: r, decide: add(item), touches: [item] });
  const truth = async () => {
    const { events } = await store.readStream('s-1');
    const state = fold.initialState();
    for (const e of events) fold.evolve(state, e as unknown as Event);
    return { events, items: state.items };
  };
  return { store, runner, run, truth };
}

describe('CommandRunner', () => {
  it('decides queued commands one after the other and appends them together, each answered with its own events', async () => {
    const { store, run, truth, runner } = setup();
    await run('first');
    const appendsBefore = store.appends;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run(`item-${i}`)));
    expect(store.appends - appendsBefore).toBeLessThan(20);
    const { events, items } = await truth();
    expect(items).toEqual(['first', ...Array.from({ length: 20 }, (_, i) => `item-${i}`)]);
    results.forEach((r, i) => {
      expect(r.events.map((e) => e.data)).toEqual([{ item: `item-${i}` }]);
      expect(r.position).toBe(events[i + 1].position);
    });
    expect(verifyChain(sha256Hex, events)).toBeNull();
    expect((await runner.load('s-1', fold)).state.items).toEqual(items);
  });

  it('answers a refused or idle command of a group alone, and the others as usual', async () => {
    const { run, truth } = setup();
    await run('present');
    const [a, refused, idle, b] = await Promise.allSettled([run('a'), run('bad'), run('present'), run('b')]);
    expect(a.status === 'fulfilled' && a.value.events).toHaveLength(1);
    expect(refused.status === 'rejected' && (refused.reason as DomainError).code).toBe('TEST.REFUSED');
    expect(idle.status === 'fulfilled' && idle.value.events).toEqual([]);
    expect(b.status === 'fulfilled' && b.value.events).toHaveLength(1);
    // The idle command's revision token covers what was appended before it.
    if (idle.status === 'fulfilled' && a.status === 'fulfilled') expect(idle.value.position).toBe(a.value.position);
    expect((await truth()).items).toEqual(['present', 'a', 'b']);
  });

  it('a rival writer between read and append: re-reads, re-decides, loses nothing and doubles nothing', async () => {
    const { store, run, truth, runner } = setup();
    await run('first');
    // Another process appends the very item the group is about to add, and one more.
    store.beforeAppend = async (stream) => {
      const head = (await store.readStream(stream)).revision;
      const rival = (item: string): NewEvent => ({
        id: randomUUID(),
        type: 'Added',
        data: { item },
        metadata: { actor: 'root', account: 'a', commandId: randomUUID(), correlationId: 'c', causationId: 'c', occurredAt: new Date().toISOString(), schemaVersion: 1 },
      });
      await store.appendToStream(stream, [rival('item-1'), rival('rival')], { expectedRevision: head });
    };
    const results = await Promise.all(['item-0', 'item-1', 'item-2'].map((i) => run(i)));
    const { items } = await truth();
    expect(items).toEqual(['first', 'item-1', 'rival', 'item-0', 'item-2']);
    // item-1 was already there when the group was decided again: nothing to append.
    expect(results.map((r) => r.events.length)).toEqual([1, 0, 1]);
    expect((await runner.load('s-1', fold)).state.items).toEqual(items);
  });

  it('a store that fails the append: every command of the group refused as unavailable, the state still the fold of the store', async () => {
    const { store, run, truth, runner } = setup();
    await run('first');
    store.beforeAppend = async () => {
      throw new EventStoreUnavailableError('disk gone');
    };
    const results = await Promise.allSettled(['x', 'y', 'z'].map((i) => run(i)));
    for (const r of results) expect(r.status === 'rejected' && (r.reason as DomainError).code).toBe('EVENT_STORE.UNAVAILABLE');
    expect((await runner.load('s-1', fold)).state.items).toEqual((await truth()).items);
    expect((await run('x')).events).toHaveLength(1);
    expect((await truth()).items).toEqual(['first', 'x']);
  });

  it('serves reads from the last folded state while the store cannot be read, and refuses writes', async () => {
    const { store, run, runner } = setup();
    await run('first');
    const readStream = jest.spyOn(store, 'readStream').mockRejectedValue(new EventStoreUnavailableError('down'));
    expect((await runner.load('s-1', fold)).state.items).toEqual(['first']);
    await expect(run('second')).rejects.toMatchObject({ code: 'EVENT_STORE.UNAVAILABLE', category: 'unavailable' });
    // A stream this process never folded has nothing to answer from.
    await expect(runner.load('s-2', fold)).rejects.toMatchObject({ code: 'EVENT_STORE.UNAVAILABLE' });
    readStream.mockRestore();
    expect((await run('second')).events).toHaveLength(1);
  });

  it('the same command id queued twice: one append, the same answer twice; another payload under it is refused', async () => {
    const { run, truth } = setup();
    const r = request('same-id', 'payload-1');
    const [one, two, other] = await Promise.allSettled([run('item', r), run('item', r), run('other', request('same-id', 'payload-2'))]);
    expect(one.status === 'fulfilled' && two.status === 'fulfilled' && one.value.position === two.value.position).toBe(true);
    expect(two.status === 'fulfilled' && two.value.replayed).toBe(true);
    expect(other.status === 'rejected' && (other.reason as DomainError).code).toBe('IDEMPOTENCY.KEY_REUSED');
    expect((await truth()).events).toHaveLength(1);
  });

  describe('the idempotency window', () => {
    let revision = 0n;
    const event = (commandId: string): RecordedEvent =>
      ({ id: randomUUID(), type: 'Added', data: {}, streamId: 's', revision: revision++, position: revision, metadata: { commandId, commandHash: `h-${commandId}` } }) as unknown as RecordedEvent;

    it('is bounded in events as well as commands: a bulk command does not pin all it recorded', () => {
      const window = new RememberedCommands(100, 1_000);
      for (let c = 0; c < 5; c++) for (let i = 0; i < 400; i++) window.add(event(`bulk-${c}`));
      // 2,000 events recorded; the oldest commands went until at most 1,000 are left.
      expect(window.size).toEqual({ commands: 2, events: 800 });
      expect(window.get('bulk-2')).toBeUndefined();
      expect(window.get('bulk-4')?.events).toHaveLength(400);
      expect(window.get('bulk-4')?.hash).toBe('h-bulk-4');
    });

    it('keeps the newest command whole, however large', () => {
      const window = new RememberedCommands(100, 10);
      window.add(event('small'));
      for (let i = 0; i < 50; i++) window.add(event('huge'));
      expect(window.size).toEqual({ commands: 1, events: 50 });
      expect(window.get('huge')?.events).toHaveLength(50);
    });

    it('is bounded in commands', () => {
      const window = new RememberedCommands(3, 1_000);
      for (const id of ['a', 'b', 'c', 'd']) window.add(event(id));
      expect(window.size).toEqual({ commands: 3, events: 3 });
      expect(window.get('a')).toBeUndefined();
      expect(window.get('d')).toBeDefined();
    });
  });
});
