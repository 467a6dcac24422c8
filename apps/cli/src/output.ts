import { StringDecoder } from 'node:string_decoder';

/** All the CLI's formatting: aligned tables and label/value blocks for people, JSON for scripts. */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** stdout or stderr: process.stdout and process.stderr in the binary, strings in unit tests. */
export interface Writer {
  /** false: the pipe is full, wait for 'drain' before writing more. */
  write(text: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A cell as text: lists joined with commas, nothing shown as "-". */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(',');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/\s+/g, ' ');
}

/** Columns padded to their widest cell, two spaces apart, the last one unpadded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const grid = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cell(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i].length)));
  return grid.map((line) => aligned(line, widths)).join('\n') + '\n';
}

function aligned(line: readonly string[], widths: readonly number[]): string {
  return line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]))).join('  ').trimEnd();
}

/**
 * A table printed batch by batch as the rows arrive (`audit replay --all`), never held
 * whole: the header and the first batch set the widths; a later, wider cell widens its
 * column from then on (earlier lines are already printed).
 */
export class StreamingTable<T> {
  private widths: number[] | null = null;
  count = 0;

  constructor(
    private readonly out: Output,
    private readonly columns: readonly Column<T>[],
  ) {}

  add(rows: readonly T[]): void {
    if (rows.length === 0) return;
    const grid = rows.map((row) => this.columns.map((c) => cell(c.value(row))));
    const lines: string[][] = this.widths ? grid : [this.columns.map((c) => c.header), ...grid];
    const widths = this.columns.map((_, i) => Math.max(this.widths?.[i] ?? 0, ...lines.map((line) => line[i].length)));
    this.widths = widths;
    this.count += rows.length;
    this.out.print(lines.map((line) => aligned(line, widths)).join('\n'));
  }

  /** Prints `empty` when no row came. */
  end(empty: string): void {
    if (this.count === 0) this.out.print(empty);
  }
}

const count = new Intl.NumberFormat('en-US');
/** 12345 → "12,345". */
export const formatCount = (n: number) => count.format(Math.round(n));

/** `[##########..........]  50%` at the given width of the bar. */
export function progressBar(done: number, total: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/** `label  value` lines, labels aligned; undefined values are left out. */
export function fields(pairs: readonly (readonly [string, unknown])[]): string {
  const shown = pairs.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${cell(value)}`).join('\n') + '\n';
}

export class Output {
  constructor(
    private readonly stdout: Writer,
    private readonly stderr: Writer,
    readonly json: boolean,
  ) {}

  /** The server's answer, verbatim, for scripts. */
  data(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  print(text = ''): void {
    this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    this.print(rows.length === 0 ? empty : table(rows, columns));
  }

  fields(pairs: readonly (readonly [string, unknown])[]): void {
    this.print(fields(pairs));
  }

  /** One value on one line (JSON Lines), for output that streams. */
  line(value: unknown): void {
    this.stdout.write(JSON.stringify(value) + '\n');
  }

  private decoder?: StringDecoder;

  /** Part of a streamed body, passed on as it comes; waits while stdout's pipe is full. */
  async raw(chunk: Buffer): Promise<void> {
    const text = (this.decoder ??= new StringDecoder('utf8')).write(chunk);
    if (text !== '' && this.stdout.write(text) === false && this.stdout.once) {
      await new Promise<void>((resolve) => this.stdout.once!('drain', resolve));
    }
  }

  /** Whether stderr is a terminal (so a progress bar may redraw itself), and its width. */
  get terminal(): { columns: number } | null {
    return this.stderr.isTTY ? { columns: this.stderr.columns || 80 } : null;
  }

  /** Progress and other notes for people, on stderr; written as given (no newline added). */
  note(text: string): void {
    this.stderr.write(text);
  }

  /** Warnings and diagnostics go to stderr, so stdout stays parseable. */
  warn(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }
}
