import { createServer } from 'node:net';
import { MessagingMetrics } from '../../apps/gatehouse/src/messaging/messaging-metrics';
import { ROOT_KEY } from '../support/gatehouse';
import { startKafkaGatehouse } from '../support/kafka-gatehouse';

/** The MessagingModule in an app, without a broker: off when unconfigured, harmless when Kafka is unreachable. */
describe('MessagingModule wiring (no broker needed)', () => {
  it('forRoot(null): nothing runs, metrics say Kafka is off', async () => {
    const gh = await startKafkaGatehouse({ brokers: ['127.0.0.1:9'], suffix: 'off', kafkaOff: true });
    try {
      const metrics = gh.app.get(MessagingMetrics);
      expect(await metrics.readiness()).toEqual({ enabled: false });
      expect(await metrics.prometheus()).toBe('');
      expect((await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'custom', admins: [] } })).status).toBe(201);
    } finally {
      await gh.stop();
    }
  });

  it('with the brokers unreachable: the service starts, serves, reports the relay behind, and stops promptly', async () => {
    const port = await closedPort();
    const started = Date.now();
    const gh = await startKafkaGatehouse({ brokers: [`127.0.0.1:${port}`], suffix: 'down' });
    expect(Date.now() - started).toBeLessThan(5000);
    try {
      const created = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'custom', admins: ['a@acme.test'] } });
      expect(created.status).toBe(201);
      await new Promise((r) => setTimeout(r, 300));
      const r = await gh.app.get(MessagingMetrics).readiness();
      expect(r).toMatchObject({ enabled: true, connection: expect.stringMatching(/^connecting/), relay: { status: 'stopped', checkpoint: '0' } });
      if (r.enabled && r.relay !== 'not run here') expect(r.relay.lag).toBeGreaterThan(0);
      const text = await gh.app.get(MessagingMetrics).prometheus();
      expect(text).toMatch(/^gatehouse_kafka_connected 0$/m);
      expect(text).toMatch(/^gatehouse_kafka_relay_lag [1-9]\d*$/m);
    } finally {
      const closing = Date.now();
      await gh.stop();
      expect(Date.now() - closing).toBeLessThan(5000);
    }
  }, 20_000);
});

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
