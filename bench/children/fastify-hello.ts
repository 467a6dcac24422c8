import Fastify from 'fastify';

/**
 * The ceiling of HTTP on this machine: the same Fastify version Gatehouse runs on, with
 * no Nest, no validation, no auth. It parses the same JSON body a check sends (any JSON
 * API pays for that) and answers a small JSON object.
 */
async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/hello', async () => ({ hello: 'world' }));
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  process.stdout.write('ready\n');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
}

void main();
