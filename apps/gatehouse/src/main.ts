import { Logger } from '@nestjs/common';
import { buildInfrastructure, createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { GrpcServer } from './grpc/grpc-server';
import { loadKafkaConfig } from './messaging/kafka.config';

async function main(): Promise<void> {
  const config = loadConfig();
  const kafka = loadKafkaConfig();
  const infra = { ...(await buildInfrastructure(config)), kafka };
  const app = await createApp(infra);
  await app.listen({ port: config.port, host: config.host });
  // gRPC (PermissionService, health, reflection) on its own port, wherever the API runs.
  const grpcPort = config.roles.api ? await app.get(GrpcServer).listen(config.grpcHost, config.grpcPort) : null;
  // Close cleanly on a stop signal: subscriptions end, the SQLite file is closed, then exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const logger = new Logger('Gatehouse');
  const store = config.eventStoreConnectionString ? 'EventStoreDB' : `SQLite file ${config.dataDir}/events.sqlite`;
  const cache = config.redisUrl ? 'Redis' : 'in-process';
  logger.log(`listening on ${url} (event store: ${store}; permission cache: ${cache}); API docs at ${url}/docs`);
  if (grpcPort !== null) logger.log(`gRPC on ${config.grpcHost}:${grpcPort} (gatehouse.v1.PermissionService, health, reflection)`);
  if (infra.generatedRootKey) {
    // Printed once, on the first start of a new data directory; only its digest is stored.
    process.stdout.write(
      `\n  Platform root key (shown once, keep it safe):\n\n    ${infra.generatedRootKey}\n\n` +
        `  Use it as: curl -H "Authorization: Bearer <root key>" ${url}/v1/accounts ...\n` +
        `  Set GATEHOUSE_ROOT_KEY to choose your own instead.\n\n`,
    );
  } else if (!config.rootKey) {
    logger.log(`root key: the one printed at this data directory's first start (or set GATEHOUSE_ROOT_KEY)`);
  } else {
    logger.log('root key: from GATEHOUSE_ROOT_KEY');
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`gatehouse: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gatehouse: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
