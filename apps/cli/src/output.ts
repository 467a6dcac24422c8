/** All the CLI's formatting: aligned tables and label/value blocks for people, JSON for scripts. */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export interface Writer {
  write(text: string): void;
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
  return grid.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
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

  /** Warnings and diagnostics go to stderr, so stdout stays parseable. */
  warn(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }
}
