import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of Redis that counts the commands clients send (RESP
 * arrays), so round trips per check can be counted from outside the server process.
 * Redis's own INFO commandstats cannot tell: it also counts the commands that Lua
 * scripts run inside one EVALSHA.
 */
export class RespCounter {
  count = 0;
  private line = '';
  private skip = 0;
  private argsLeft = 0;

  feed(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i);
        i += n;
        this.skip -= n;
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
        if (line.startsWith('*')) this.argsLeft = Number(line.slice(1));
        if (line.length > 0) this.count++; // an array command, or an inline one
      } else if (line.startsWith('$')) {
        this.skip = Number(line.slice(1)) + 2;
        this.argsLeft--;
      }
    }
  }
}

export interface RespProxy {
  url: string;
  counter: RespCounter;
  close(): Promise<void>;
}

export async function startRespProxy(redisUrl: string): Promise<RespProxy> {
  const upstream = new URL(redisUrl);
  const counter = new RespCounter();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const redis = createConnection({ host: upstream.hostname, port: Number(upstream.port || 6379) });
    sockets.add(client).add(redis);
    client.setNoDelay(true);
    redis.setNoDelay(true);
    // One parser per connection: commands never straddle two connections.
    const parser = new RespCounter();
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
