import { connect, Socket } from 'node:net';
import { Latency, latencyOf } from '../measure';

/**
 * An open-loop load generator, run as its own small process (`node open-loop.js`):
 * requests leave at evenly spaced instants (`rate` per second), whatever the server is
 * doing, over a pool of keep-alive connections (a request never waits for an answer to
 * leave), each timed from its write to its answer's last byte. This is what "p99 at 50%
 * of the maximum rate" needs: autocannon's
 * `overallRate` gives each connection a budget per second and spends it back to back, so
 * its "half rate" is full speed for half of each second.
 *
 * Started by bench/load.ts (`openLoad`), the configuration on stdin. Its own process keeps the measurement away from the benchmark's large heap (whose GC
 * pauses would land in the figures) and costs little CPU: pre-rendered requests, a 1 ms
 * tick, responses parsed by Content-Length only (what Fastify sends).
 */
export interface OpenLoopConfig {
  url: string;
  requests: { method: string; path: string; headers?: Record<string, string>; body?: string }[];
  rate: number;
  seconds: number;
  /** Connections opened up front; more are opened when a request is due and none is free (up to 8×). */
  connections: number;
}

export interface OpenLoopResult {
  seconds: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** From each request's write to its response's last byte, 2xx only, ms. */
  latencyMs: Latency;
  /** Requests written more than 2 ms after they were due (the tick is 1 ms: more is the generator falling behind). */
  late: number;
  connectionsUsed: number;
  /** CPU of this process over the phase, in cores. */
  cpu: number;
}

interface Conn {
  socket: Socket;
  buffer: Buffer | null;
  /** When the requests written on this connection and not yet answered were written, oldest first. */
  inFlight: number[];
}

export function runOpenLoop(config: OpenLoopConfig): Promise<OpenLoopResult> {
  const { hostname, port } = new URL(config.url);
  const rendered = config.requests.map((r) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const headers = Object.entries(r.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const head = `${r.method} ${r.path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: keep-alive\r\n${headers}${body ? `content-length: ${body.length}\r\n` : ''}\r\n`;
    return body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);
  });
  const total = Math.max(1, Math.round(config.rate * config.seconds));
  const latencies = new Float64Array(total);
  const interval = 1000 / config.rate;
  const maxConnections = config.connections * 8;
  let count = 0;
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let late = 0;
  let answered = 0;
  const conns: Conn[] = [];
  let opened = 0;
  const idle: Conn[] = [];
  let t0 = 0;

  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    let finished = false;
    const cpu0 = process.cpuUsage();
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      for (const c of conns) c.socket.destroy();
      resolve({
        seconds: Number(seconds.toFixed(2)),
        sent,
        ok,
        non2xx,
        errors,
        latencyMs: latencyOf(latencies.subarray(0, count)),
        late,
        connectionsUsed: opened,
        cpu: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)),
      });
    };

    const onResponse = (c: Conn, status: number) => {
      const written = c.inFlight.shift()!;
      answered++;
      if (status >= 200 && status < 300) {
        ok++;
        latencies[count++] = performance.now() - written;
      } else non2xx++;
      if (c.inFlight.length === 0) idle.push(c);
      if (answered === total) finish();
    };

    /** Parses every complete response in the connection's buffer (status line, headers, Content-Length body). */
    const onData = (c: Conn, chunk: Buffer) => {
      let buf = c.buffer ? Buffer.concat([c.buffer, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.toString('latin1', 0, end);
        const status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!m) {
          errors++;
          c.socket.destroy(new Error(`a response without Content-Length: ${head.slice(0, 200)}`));
          return;
        }
        const size = end + 4 + Number(m[1]);
        if (buf.length < size) break;
        buf = buf.subarray(size);
        onResponse(c, status);
      }
      c.buffer = buf.length ? buf : null;
    };

    const open = (): Promise<Conn> =>
      new Promise((ready, fail) => {
        const socket = connect({ host: hostname, port: Number(port), noDelay: true });
        const c: Conn = { socket, buffer: null, inFlight: [] };
        socket.once('connect', () => ready(c));
        socket.on('error', fail); // after the connect, 'close' does the accounting
        socket.on('data', (chunk: Buffer) => onData(c, chunk));
        socket.on('close', () => {
          // Whatever was in flight on a closed connection is an error, never a sample.
          errors += c.inFlight.length;
          answered += c.inFlight.length;
          c.inFlight.length = 0;
          const i = idle.indexOf(c);
          if (i >= 0) idle.splice(i, 1);
          const j = conns.indexOf(c);
          if (j >= 0) conns.splice(j, 1);
          if (!finished && answered === total) finish();
        });
        conns.push(c);
        opened++;
      });

    const write = (c: Conn) => {
      c.inFlight.push(performance.now());
      c.socket.write(rendered[sent % rendered.length]);
      sent++;
    };

    // Requests handed to a connection still opening count as sent from the moment they were due.
    let opening = 0;
    const tick = () => {
      const now = performance.now();
      while (sent + opening < total && t0 + (sent + opening) * interval <= now) {
        if (now - (t0 + (sent + opening) * interval) > 2) late++;
        const c = idle.pop();
        if (c) write(c);
        else if (conns.length < maxConnections) {
          // None free: one more connection, as an open-loop client would.
          opening++;
          void open().then(
            (fresh) => {
              opening--;
              write(fresh);
            },
            () => {
              opening--;
              sent++;
              errors++;
              answered++;
            },
          );
        } else {
          // At the cap: pipeline on the connection with the fewest in flight.
          if (conns.length > 0) write(conns.reduce((a, b) => (b.inFlight.length < a.inFlight.length ? b : a)));
          else {
            sent++;
            errors++;
            answered++;
          }
        }
      }
      if (sent + opening >= total && timer) {
        clearInterval(timer);
        timer = null;
        // Give the last answers up to 10 s.
        setTimeout(finish, 10_000).unref();
      }
    };

    Promise.all(Array.from({ length: config.connections }, open)).then((first) => {
      idle.push(...first);
      t0 = performance.now();
      timer = setInterval(tick, 1);
    }, reject);
  });
}

if (require.main === module) {
  // The configuration comes on stdin (a thousand request bodies exceed what argv holds).
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c: string) => (input += c));
  process.stdin.on('end', () => void main(JSON.parse(input) as OpenLoopConfig));
}

function main(config: OpenLoopConfig): Promise<void> {
  return runOpenLoop(config).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
