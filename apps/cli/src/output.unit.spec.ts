import { formatCount, Output, progressBar, StreamingTable, table } from './output';

describe('output', () => {
  const capture = () => {
    let text = '';
    return { out: new Output({ write: (t: string) => (text += t) }, { write: () => undefined }, false), text: () => text };
  };

  it('a streamed table: one header, widths from the first batch, widened (never narrowed) later', () => {
    const { out, text } = capture();
    const t = new StreamingTable<[string, string]>(out, [
      { header: 'ID', value: (r) => r[0] },
      { header: 'NAME', value: (r) => r[1] },
    ]);
    t.add([['1', 'a']]);
    t.add([]);
    t.add([['22222', 'b'], ['3', 'c']]);
    t.end('nothing');
    expect(text()).toBe('ID  NAME\n1   a\n22222  b\n3      c\n');
    expect(t.count).toBe(3);
    // The same rows at once are the ordinary table.
    expect(table([['1', 'a']], [{ header: 'ID', value: (r) => r[0] }, { header: 'NAME', value: (r) => r[1] }])).toBe('ID  NAME\n1   a\n');
  });

  it('an empty streamed table prints the empty message only', () => {
    const { out, text } = capture();
    const t = new StreamingTable<string>(out, [{ header: 'X', value: (r) => r }]);
    t.end('no audit entries match');
    expect(text()).toBe('no audit entries match\n');
  });

  it('passes a streamed body through whole, even a character split across chunks', async () => {
    const { out, text } = capture();
    const bytes = Buffer.from('é,ü\n');
    await out.raw(bytes.subarray(0, 1));
    await out.raw(bytes.subarray(1));
    expect(text()).toBe('é,ü\n');
  });

  it('waits for drain when stdout is full', async () => {
    let drained: (() => void) | undefined;
    const writes: string[] = [];
    const out = new Output({ write: (t: string) => (writes.push(t), false), once: (_e, listener) => (drained = listener) }, { write: () => undefined }, false);
    let done = false;
    const pending = out.raw(Buffer.from('x')).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect([writes, done]).toEqual([['x'], false]);
    drained!();
    await pending;
    expect(done).toBe(true);
  });

  it('progress bars and counts', () => {
    expect(progressBar(0, 100, 10)).toBe('[..........]   0%');
    expect(progressBar(55, 100, 10)).toBe('[######....]  55%');
    expect(progressBar(100, 100, 10)).toBe('[##########] 100%');
    expect(progressBar(7, 0, 4)).toBe('[####] 100%');
    expect(progressBar(150, 100, 4)).toBe('[####] 100%');
    expect(formatCount(1234567.4)).toBe('1,234,567');
  });
});
