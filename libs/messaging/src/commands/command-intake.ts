import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Actor, actorLabel, DomainError, ErrorCategory } from '@gatehouse/domain';
import {
  COMMAND_ID_PATTERN,
  COMMAND_MESSAGE_VERSION,
  CommandEnvelope,
  CommandError,
  commandEnvelopeSchema,
  commandHash,
  CommandResultMessage,
  DeadLetterMessage,
  redactCredentials,
} from './command-message';
import { ID_PATTERN } from '@gatehouse/contracts';

/** The ids a command runs under: the same RequestContext an HTTP request builds. */
export interface InboundCommandContext {
  actor: Actor;
  commandId: string;
  commandHash: string;
  correlationId: string;
}

export interface InboundCommandOutcome {
  revision: bigint;
  replayed?: boolean;
  /** Published on the results topic: no secrets here. */
  result?: Record<string, unknown>;
}

/** One row of the dispatch table: how a command type is validated and executed. */
export interface InboundCommandDefinition<C = Record<string, unknown>> {
  /** JSON Schema of the `command` object, `type` included. */
  schema: Record<string, unknown>;
  execute(account: string, command: C & { type: string }, context: InboundCommandContext): Promise<InboundCommandOutcome>;
}

export type InboundCommandTable = Readonly<Record<string, InboundCommandDefinition<any>>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- each row types its own command

/** A consumed record, independent of the Kafka client. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface OutgoingRecord<T> {
  key: string | null;
  value: T;
}

/** What to send for one consumed message: a result, a dead letter, or both (a refusal). */
export interface IntakeDecision {
  result?: OutgoingRecord<CommandResultMessage>;
  deadLetter?: OutgoingRecord<DeadLetterMessage>;
  status: 'ok' | 'rejected' | 'invalid';
}

export interface CommandIntakeOptions {
  table: InboundCommandTable;
  /** The HTTP authenticator: `Bearer <credentials>` for this account, or a DomainError. */
  authenticate(credentials: string, account: string): Promise<Actor>;
  now?: () => Date;
  /** Attempts for failures that may pass (store unavailable, lost races, bugs); then the dead-letter topic. */
  transientAttempts?: number;
  transientBackoffMs?: number;
  /** Command ids from Kafka live in their own namespace: HTTP ids are UUIDs or `idem:<sha>`. */
  commandIdPrefix?: string;
}

/** Categories worth another attempt: the same command may well succeed a moment later. */
const TRANSIENT: ReadonlySet<ErrorCategory> = new Set(['concurrency', 'unavailable', 'not_ready', 'rate_limited']);

const HEADER_VALUE = /^[\x21-\x7e]{1,255}$/;

/**
 * Turns one message from `gatehouse.commands` into what to answer, executing the command
 * when it is valid and authorized. It never throws for anything about the message: a
 * poison message becomes a dead letter and its partition moves on.
 *
 * Steps: JSON → envelope version → envelope schema → command type in the table → the
 * type's schema → authenticate (as HTTP) → execute through the command bus with
 * `kafka:<commandId>` as the command id (the runner answers a redelivery with the first
 * result and appends nothing).
 */
export class CommandIntake {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly envelope: ValidateFunction;
  private readonly commands = new Map<string, { validate: ValidateFunction; definition: InboundCommandDefinition<any> }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly now: () => Date;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly prefix: string;

  constructor(private readonly options: CommandIntakeOptions) {
    addFormats(this.ajv);
    this.envelope = this.ajv.compile(commandEnvelopeSchema);
    for (const [type, definition] of Object.entries(options.table)) {
      this.commands.set(type, { validate: this.ajv.compile(definition.schema), definition });
    }
    this.now = options.now ?? (() => new Date());
    this.attempts = options.transientAttempts ?? 5;
    this.backoffMs = options.transientBackoffMs ?? 200;
    this.prefix = options.commandIdPrefix ?? 'kafka:';
  }

  get commandTypes(): string[] {
    return [...this.commands.keys()];
  }

  async handle(message: IncomingMessage): Promise<IntakeDecision> {
    try {
      return await this.decide(message);
    } catch (error) {
      // Unreachable by design; if it happens, the message must still not block its partition.
      return this.invalid(message, {}, { code: 'COMMAND.INTERNAL_ERROR', message: errorMessage(error) }, true);
    }
  }

  private async decide(message: IncomingMessage): Promise<IntakeDecision> {
    if (!message.value || message.value.length === 0) {
      return this.invalid(message, {}, { code: 'MESSAGE.EMPTY', message: 'the message has no value' });
    }
    const text = message.value.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return this.invalid(message, {}, { code: 'MESSAGE.MALFORMED_JSON', message: `the value is not JSON: ${errorMessage(error)}` });
    }
    const ids = identify(parsed);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return this.invalid(message, ids, { code: 'MESSAGE.INVALID', message: 'the value must be a JSON object' });
    }
    const version = (parsed as { version?: unknown }).version;
    if (typeof version === 'number' && version !== COMMAND_MESSAGE_VERSION) {
      return this.invalid(message, ids, {
        code: 'MESSAGE.UNSUPPORTED_VERSION',
        message: `envelope version ${version} is not supported (this Gatehouse reads version ${COMMAND_MESSAGE_VERSION})`,
      });
    }
    if (!this.envelope(parsed)) return this.invalid(message, ids, schemaError('', this.envelope.errors));
    const envelope = parsed as CommandEnvelope;
    const entry = this.commands.get(envelope.command.type);
    if (!entry) {
      return this.invalid(message, ids, {
        code: 'COMMAND.UNKNOWN',
        message: `unknown command type "${envelope.command.type}"`,
        details: { known: this.commandTypes },
      });
    }
    if (!entry.validate(envelope.command)) return this.invalid(message, ids, schemaError('/command', entry.validate.errors));

    const correlationId = header(message, 'correlation-id') ?? header(message, 'x-correlation-id') ?? envelope.commandId;
    try {
      const outcome = await this.withRetries(async () => {
        const actor = await this.options.authenticate(envelope.credentials, envelope.account);
        return entry.definition.execute(envelope.account, envelope.command, {
          actor,
          commandId: `${this.prefix}${envelope.commandId}`,
          commandHash: commandHash(envelope.account, actorLabel(actor), envelope.command),
          correlationId,
        });
      });
      return {
        status: 'ok',
        result: {
          key: envelope.account,
          value: {
            version: COMMAND_MESSAGE_VERSION,
            commandId: envelope.commandId,
            account: envelope.account,
            type: envelope.command.type,
            status: 'ok',
            revision: outcome.revision.toString(),
            ...(outcome.replayed ? { replayed: true } : {}),
            ...(outcome.result ? { result: outcome.result } : {}),
          },
        },
      };
    } catch (error) {
      const refusal: CommandError =
        error instanceof DomainError
          ? { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) }
          : { code: 'COMMAND.FAILED', message: errorMessage(error) };
      const retryable = !(error instanceof DomainError) || TRANSIENT.has(error.category);
      return this.invalid(message, { ...ids, type: envelope.command.type }, refusal, retryable, 'rejected');
    }
  }

  private async withRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const transient = !(error instanceof DomainError) || TRANSIENT.has(error.category);
        if (!transient || attempt >= this.attempts) throw error;
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** A refusal: a dead letter always, and a result too when the sender can be told (its command id and account are readable). */
  private invalid(
    message: IncomingMessage,
    ids: { commandId?: string; account?: string; type?: string },
    error: CommandError,
    retryable = false,
    status: 'rejected' | 'invalid' = 'invalid',
  ): IntakeDecision {
    const key = message.key ? message.key.toString('utf8') : null;
    const decision: IntakeDecision = {
      status,
      deadLetter: {
        key,
        value: {
          version: COMMAND_MESSAGE_VERSION,
          reason: { ...error, retryable },
          ...(ids.commandId ? { commandId: ids.commandId } : {}),
          ...(ids.account ? { account: ids.account } : {}),
          original: {
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key,
            headers: message.headers,
            ...originalPayload(message.value),
          },
          deadLetteredAt: this.now().toISOString(),
        },
      },
    };
    if (ids.commandId && ids.account) {
      decision.result = {
        key: ids.account,
        value: {
          version: COMMAND_MESSAGE_VERSION,
          commandId: ids.commandId,
          account: ids.account,
          ...(ids.type ? { type: ids.type } : {}),
          status: 'rejected',
          error: { code: error.code, message: error.message },
        },
      };
    }
    return decision;
  }
}

/** The command id and account of a message, when they are there and well-formed (to answer even an invalid one). */
function identify(parsed: unknown): { commandId?: string; account?: string } {
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { commandId, account } = parsed as Record<string, unknown>;
  return {
    ...(typeof commandId === 'string' && new RegExp(COMMAND_ID_PATTERN).test(commandId) ? { commandId } : {}),
    ...(typeof account === 'string' && new RegExp(ID_PATTERN).test(account) ? { account } : {}),
  };
}

function originalPayload(value: Buffer | null): { payload: string | null; encoding: 'utf8' | 'base64' } {
  if (value === null) return { payload: null, encoding: 'utf8' };
  const text = value.toString('utf8');
  // Not valid UTF-8: keep the bytes (base64) rather than a lossy decoding.
  if (!Buffer.from(text, 'utf8').equals(value)) return { payload: value.toString('base64'), encoding: 'base64' };
  return { payload: redactCredentials(text), encoding: 'utf8' };
}

function schemaError(base: string, errors: ErrorObject[] | null | undefined): CommandError {
  const list = errors ?? [];
  const first = list[0];
  let message = 'the message does not match its schema';
  if (first) {
    const where = `${base}${first.instancePath}` || '/';
    message =
      first.keyword === 'additionalProperties'
        ? `unknown field "${String((first.params as { additionalProperty: string }).additionalProperty)}" at ${where}`
        : `${where} ${first.message ?? 'is invalid'}`;
  }
  return {
    code: 'MESSAGE.INVALID',
    message,
    details: { errors: list.slice(0, 10).map((e) => ({ pointer: `#${base}${e.instancePath}`, message: e.message })) },
  };
}

function header(message: IncomingMessage, name: string): string | undefined {
  const value = message.headers[name];
  return value !== undefined && HEADER_VALUE.test(value) ? value : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
