import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/**
 * A private Apache Kafka 3.9.1 broker for the Kafka suites: one KRaft node
 * (tools/kafka/start.sh) on free 127.0.0.1 ports with its own temp directory, started by
 * the suite that needs it and stopped by its PID. KAFKA_BROKERS points the suites at an
 * existing cluster instead (then the outage test, which must stop the broker, is skipped).
 */
export interface KafkaBrokerHandle {
  brokers: string[];
  /** False for KAFKA_BROKERS: it cannot be stopped and started by the tests. */
  controllable: boolean;
  pid: number | null;
  /** How long the last start took, from spawning the JVM to the admin client describing the cluster. */
  startMs: number;
  /** Stops the broker (SIGKILL by default: an outage, not a goodbye); the data directory stays. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports and data directory. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

const ROOT = resolve(__dirname, '../..');
const START_SCRIPT = join(ROOT, 'tools/kafka/start.sh');
const FETCH_SCRIPT = join(ROOT, 'tools/kafka/fetch.sh');
const LIB = join(ROOT, '.cache/kafka/lib');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * KAFKA_BROKERS wins when set. Otherwise starts a broker, fetching the jars first if
 * needed (about 25 s once, with Maven). Without java or mvn: throws under CI=true (a
 * suite that silently skips silently rots), else returns null and the caller warns.
 */
export async function startKafkaBroker(): Promise<KafkaBrokerHandle | null> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    const brokers = external.split(',').map((b) => b.trim());
    const started = Date.now();
    await waitForCluster(brokers, null, () => '');
    return { brokers, controllable: false, pid: null, startMs: Date.now() - started, stop: notControllable, start: notControllable, destroy: async () => undefined };
  }
  const missing = missingTools();
  if (missing) {
    if (process.env.CI === 'true') throw new Error(`cannot start the test Kafka broker: ${missing}, and KAFKA_BROKERS is unset`);
    warnKafkaSuitesSkipped('the Kafka suites', `${missing} (set KAFKA_BROKERS or install Java 17 and Maven)`);
    return null;
  }
  if (!jarsPresent()) fetchJars();
  const [port, controllerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-kafka-'));
  return new LocalBroker(port, controllerPort, dir).launch();
}

class LocalBroker implements KafkaBrokerHandle {
  readonly controllable = true;
  readonly brokers: string[];
  pid: number | null = null;
  startMs = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    private readonly port: number,
    private readonly controllerPort: number,
    private readonly dir: string,
  ) {
    this.brokers = [`127.0.0.1:${port}`];
  }

  async launch(): Promise<this> {
    await this.start();
    return this;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('the test broker is already running');
    const started = Date.now();
    const child = spawn('bash', [START_SCRIPT], {
      env: { ...process.env, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort), KAFKA_DATA_DIR: this.dir, KAFKA_LIB: LIB },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pid = child.pid ?? null; // the script execs the JVM: this is the broker's PID
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-8000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((r) => child.once('exit', () => r()));
    process.once('exit', this.killOnExit);
    try {
      await waitForCluster(this.brokers, child, () => this.output + this.serverLog());
    } catch (error) {
      await this.stop('SIGKILL');
      throw error;
    }
    this.startMs = Date.now() - started;
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    process.removeListener('exit', this.killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(escalate);
    }
    this.child = null;
    this.pid = null;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serverLog(): string {
    const file = join(this.dir, 'logs/server.log');
    return existsSync(file) ? `\n--- server.log (tail) ---\n${readFileSync(file, 'utf8').slice(-4000)}` : '';
  }
}

/** Ready when an admin client can describe the cluster. */
async function waitForCluster(brokers: string[], child: ChildProcess | null, output: () => string): Promise<void> {
  const kafka = new Kafka({ brokers, clientId: 'gatehouse-test-probe', logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`the Kafka broker exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${output()}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
    } catch (error) {
      last = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Kafka at ${brokers.join(',')} not ready within ${READY_TIMEOUT_MS} ms (${String(last)}):\n${output()}`);
}

function missingTools(): string | null {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) return 'java is not installed';
  if (jarsPresent()) return null;
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore' });
  if (mvn.error || mvn.status !== 0) return `the Kafka jars are not in ${LIB} and mvn is not installed to fetch them`;
  return null;
}

function jarsPresent(): boolean {
  return existsSync(join(LIB, 'kafka_2.13-3.9.1.jar'));
}

function fetchJars(): void {
  const started = Date.now();
  const r = spawnSync('bash', [FETCH_SCRIPT], { env: { ...process.env, KAFKA_LIB: LIB }, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`fetching the Kafka jars failed (tools/kafka/fetch.sh):\n${r.stdout}\n${r.stderr}`);
  console.log(`Kafka jars fetched into ${LIB} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function notControllable(): Promise<never> {
  throw new Error('KAFKA_BROKERS names an external cluster: the tests cannot stop or start it');
}

export function warnKafkaSuitesSkipped(what: string, why: string): void {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! ${what} did NOT run: ${why}.\n!! Passing tests here say nothing about Kafka.\n${bar}\n`);
}

/**
 * Whether the Kafka suites can run here, decided when the file loads (jest needs
 * `describe` or `describe.skip` then): KAFKA_BROKERS, or java plus the jars or mvn.
 * Under CI=true a missing broker is an error; elsewhere a loud warning and a skip.
 *
 *   (kafkaOrSkip('Kafka relay') ? describe : describe.skip)('…', () => { … });
 */
export function kafkaOrSkip(suiteName: string): boolean {
  if (process.env.KAFKA_BROKERS) return true;
  const missing = missingTools();
  if (!missing) return true;
  if (process.env.CI === 'true') throw new Error(`${suiteName}: ${missing} and KAFKA_BROKERS is unset; the Kafka suites must run under CI`);
  warnKafkaSuitesSkipped(suiteName, `${missing} (set KAFKA_BROKERS, or install Java 17 and Maven)`);
  return false;
}
