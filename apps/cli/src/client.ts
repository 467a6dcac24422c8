import { ApiError, Problem, UnreachableError } from './errors';

export interface ClientOptions {
  server: string;
  apiKey?: string;
  timeoutMs: number;
}

type Query = Record<string, string | number | undefined>;

/** Builds a path, encoding every interpolated value: ids never change the route. */
export function route(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((path, part, i) => path + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

/**
 * The one way the CLI talks to Gatehouse: JSON in, JSON or problem+json out, a deadline
 * on every call. Never logs or echoes the API key.
 */
export class GatehouseClient {
  readonly server: string;

  constructor(private readonly options: ClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown, options: { auth?: boolean } = {}): Promise<T> {
    return this.request<T>('POST', path, { body, ...options });
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: { body?: unknown; query?: Query; auth?: boolean }): Promise<T> {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'user-agent': 'gatehouse-cli' };
    if (options.auth !== false && this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    let text: string;
    try {
      const signal = AbortSignal.timeout(this.options.timeoutMs);
      response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal });
      text = await response.text();
    } catch (error) {
      throw this.unreachable(error);
    }

    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok) {
      if (body === undefined) {
        throw new UnreachableError(`${this.server} answered ${method} ${path} with something that is not JSON`, 'check --server: is it a Gatehouse?');
      }
      return body as T;
    }
    throw new ApiError(asProblem(response.status, body, text));
  }

  private unreachable(error: unknown): UnreachableError {
    const hint = 'check --server (or GATEHOUSE_SERVER, or the profile)';
    if (error instanceof Error && error.name === 'TimeoutError') {
      return new UnreachableError(`Gatehouse at ${this.server} did not answer within ${this.options.timeoutMs / 1000} s`, `${hint}, or raise --timeout`);
    }
    const code = causeCode(error);
    if (code === 'ECONNREFUSED') return new UnreachableError(`cannot reach Gatehouse at ${this.server}: is it running?`, hint);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UnreachableError(`cannot reach Gatehouse at ${this.server}: unknown host`, hint);
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new UnreachableError(`cannot reach Gatehouse at ${this.server}: ${reason}`, hint);
  }
}

/** fetch hides the socket error in `cause`, sometimes inside an AggregateError (one per address tried). */
function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } } | undefined)?.cause;
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
}

function asProblem(status: number, body: unknown, text: string): Problem {
  if (body && typeof body === 'object' && typeof (body as Problem).code === 'string') return { ...(body as Problem), status };
  return { status, code: `HTTP.${status}`, detail: text.trim().slice(0, 200) || `HTTP ${status}` };
}
