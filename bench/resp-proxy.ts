import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of Redis that counts the commands clients send (RESP
 * arrays), so round trips per check can be counted from outside the server process.
 * Redis's own INFO commandstats cannot tell: it also counts the commands that Lua
 * scripts run inside one EVALSHA.
 */
/**
 * What a Gatehouse server sends Redis on its own, whatever its requests: the health probe's
 * PING and the key-use flush's HSET (every 5 s), the projector watchdog's GET of the
 * checkpoint (every second; a check reads it only from an empty cache). Counted apart, so
 * that round trips per check count what a check costs.
 */
export const serverBackground = (name: string, key: string | undefined): boolean =>
  name === 'PING' || (name === 'HSET' && !!key?.endsWith(':keyuse')) || (name === 'GET' && !!key?.endsWith(':checkpoint'));

export class RespCounter {
  count = 0;
  private line = '';
  private skip = 0;
  private argsLeft = 0;
  /** The command being read: how many of its first bulk strings to keep (name, first argument), and those read. */
  private wanted = 0;
  private parts: string[] = [];
  private part = '';
  private capturing = false;

  /** @param seen told each command's name (upper case) and first argument (a key, mostly), once both are read. */
  constructor(private readonly seen?: (name: string, firstArg: string | undefined) => void) {}

  feed(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i);
        if (this.capturing) this.part += buf.toString('latin1', i, i + n);
        i += n;
        this.skip -= n;
        if (this.skip === 0 && this.capturing) {
          this.parts.push(this.part.slice(0, -2)); // without its CRLF
          this.part = '';
          this.capturing = false;
          if (this.parts.length === this.wanted) this.seen?.(this.parts[0].toUpperCase(), this.parts[1]);
        }
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl === -1) {
        this.line += buf.toString('latin1', i);
        return;
      }
      const line = (this.line + buf.toString('latin1', i, nl)).replace(/\r$/, '');
      this.line = '';
      i = nl + 1;
      if (this.argsLeft === 0) {
        if (line.startsWith('*')) {
          this.argsLeft = Number(line.slice(1));
          this.wanted = this.seen ? Math.min(2, this.argsLeft) : 0;
          this.parts = [];
        } else if (line.length > 0) {
          const words = line.split(' ');
          this.seen?.(words[0].toUpperCase(), words[1]); // an inline command
        }
        if (line.length > 0) this.count++; // an array command, or an inline one
      } else if (line.startsWith('$')) {
        this.skip = Number(line.slice(1)) + 2;
        this.argsLeft--;
        this.capturing = this.parts.length < this.wanted;
      }
    }
  }
}

export interface RespProxy {
  url: string;
  /** Every command sent through the proxy. */
  counter: RespCounter;
  /** Of those, the ones the `background` option picked out, by name. */
  background: Map<string, number>;
  close(): Promise<void>;
}

/**
 * @param options.background which commands are the server's own traffic rather than its
 * answers' (a health probe, a periodic flush): counted apart in `background` too.
 */
export async function startRespProxy(redisUrl: string, options: { background?: (name: string, firstArg: string | undefined) => boolean } = {}): Promise<RespProxy> {
  const upstream = new URL(redisUrl);
  const counter = new RespCounter();
  const background = new Map<string, number>();
  const seen = (name: string, firstArg: string | undefined) => {
    if (options.background?.(name, firstArg)) background.set(name, (background.get(name) ?? 0) + 1);
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const redis = createConnection({ host: upstream.hostname, port: Number(upstream.port || 6379) });
    sockets.add(client).add(redis);
    client.setNoDelay(true);
    redis.setNoDelay(true);
    // One parser per connection: commands never straddle two connections.
    const parser = new RespCounter(options.background ? seen : undefined);
    client.on('data', (chunk: Buffer) => {
      const before = parser.count;
      parser.feed(chunk);
      counter.count += parser.count - before;
      redis.write(chunk);
    });
    redis.pipe(client);
    const close = () => {
      client.destroy();
      redis.destroy();
      sockets.delete(client);
      sockets.delete(redis);
    };
    client.on('close', close).on('error', close);
    redis.on('close', close).on('error', close);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    counter,
    background,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
