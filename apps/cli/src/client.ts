import http from 'node:http';
import https from 'node:https';
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
 * on every call. Never logs or echoes the API key. node:http rather than fetch: loading
 * fetch costs each invocation about 0.2 s, more than the call itself.
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

  /** A PUT whose status matters too (201 created, 200 replaced). */
  async putWithStatus<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.exchange<T>('PUT', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: { body?: unknown; query?: Query; auth?: boolean }): Promise<T> {
    return (await this.exchange<T>(method, path, options)).body;
  }

  private async exchange<T>(method: string, path: string, options: { body?: unknown; query?: Query; auth?: boolean }): Promise<{ status: number; body: T }> {
    const url = this.url(path, options.query);
    const headers = this.headers('application/json, application/problem+json', options.auth);
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let response: { status: number; text: string };
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    try {
      response = await this.send(method, url, headers, options.body === undefined ? undefined : JSON.stringify(options.body), deadline);
    } catch (error) {
      throw this.unreachable(error, deadline.aborted);
    }
    const { status, text } = response;

    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status >= 200 && status < 300) {
      if (body === undefined) {
        throw new UnreachableError(`${this.server} answered ${method} ${path} with something that is not JSON`, 'check --server: is it a Gatehouse?');
      }
      return { status, body: body as T };
    }
    throw new ApiError(asProblem(status, body, text));
  }

  /**
   * A GET whose body is handed to `sink` chunk by chunk as it arrives (exports), so it is
   * never held whole in memory; the next chunk is read only once `sink` has taken this one.
   * The timeout bounds the wait for the answer and every silence of the server while
   * sending, not the whole transfer (nor the time `sink` takes: a paused pager is fine).
   */
  async download(path: string, query: Query, accept: string, sink: (chunk: Buffer) => void | Promise<void>): Promise<{ bytes: number; contentType?: string }> {
    const url = this.url(path, query);
    const headers = this.headers(`${accept}, application/problem+json`);
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method: 'GET', headers });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error('timed out'));
      }, this.options.timeoutMs);
    };
    arm();
    try {
      let response: http.IncomingMessage;
      try {
        response = await new Promise<http.IncomingMessage>((resolve, reject) => {
          request.on('response', resolve);
          request.on('error', reject);
          request.end();
        });
      } catch (error) {
        throw this.unreachable(error, timedOut);
      }
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of response as AsyncIterable<Buffer>) if ((size += chunk.length) <= 65_536) chunks.push(chunk);
        } catch (error) {
          throw this.unreachable(error, timedOut);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        throw new ApiError(asProblem(status, body, text));
      }

      let bytes = 0;
      let sinkFailure: { error: unknown } | undefined;
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          clearTimeout(timer);
          bytes += chunk.length;
          try {
            await sink(chunk);
          } catch (error) {
            sinkFailure = { error };
            break;
          }
          arm();
        }
      } catch (error) {
        throw this.cutShort(path, bytes, error, timedOut);
      }
      if (sinkFailure) {
        request.destroy();
        throw sinkFailure.error;
      }
      if (!response.complete) throw this.cutShort(path, bytes, undefined, timedOut);
      return { bytes, contentType: response.headers['content-type'] };
    } finally {
      clearTimeout(timer);
    }
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  }

  private headers(accept: string, auth?: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept, 'user-agent': 'gatehouse-cli' };
    if (auth !== false && this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** The answer started, then stopped before its end: what arrived is incomplete. */
  private cutShort(path: string, bytes: number, error: unknown, timedOut: boolean): UnreachableError {
    const why = timedOut ? `sent nothing for ${this.options.timeoutMs / 1000} s` : `closed the connection${error ? ` (${errorCode(error) ?? (error as Error).message})` : ''}`;
    return new UnreachableError(
      `Gatehouse at ${this.server} ${why} after ${bytes} bytes of ${path}: the output is incomplete`,
      timedOut ? 'retry, or raise --timeout' : "retry, and look at the server's logs",
    );
  }

  private send(method: string, url: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<{ status: number; text: string }> {
    const transport = url.protocol === 'https:' ? https : http;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const request = transport.request(url, { method, headers, signal }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  private unreachable(error: unknown, timedOut: boolean): UnreachableError {
    const hint = 'check --server (or GATEHOUSE_SERVER, or the profile)';
    if (timedOut) {
      return new UnreachableError(`Gatehouse at ${this.server} did not answer within ${this.options.timeoutMs / 1000} s`, `${hint}, or raise --timeout`);
    }
    const code = errorCode(error);
    if (code === 'ECONNREFUSED') return new UnreachableError(`cannot reach Gatehouse at ${this.server}: is it running?`, hint);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UnreachableError(`cannot reach Gatehouse at ${this.server}: unknown host`, hint);
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new UnreachableError(`cannot reach Gatehouse at ${this.server}: ${reason}`, hint);
  }
}

/** The socket error's code; a host with several addresses fails with an AggregateError of them. */
function errorCode(error: unknown): string | undefined {
  const e = error as { code?: string; errors?: { code?: string }[] } | undefined;
  return e?.code ?? e?.errors?.find((inner) => inner.code)?.code;
}

function asProblem(status: number, body: unknown, text: string): Problem {
  if (body && typeof body === 'object' && typeof (body as Problem).code === 'string') return { ...(body as Problem), status };
  return { status, code: `HTTP.${status}`, detail: text.trim().slice(0, 200) || `HTTP ${status}` };
}
