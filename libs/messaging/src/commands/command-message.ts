import { createHash } from 'node:crypto';
import { ID_PATTERN } from '@gatehouse/contracts';

/**
 * The wire format of `gatehouse.commands` and of the answers Gatehouse sends back. Each
 * message is a versioned JSON envelope; `command` is validated by the schema of its
 * type (see the dispatch table), so adding a command type touches only that table.
 */
export const COMMAND_MESSAGE_VERSION = 1;

/** Producer-chosen, unique per command; a redelivery carries the same one. */
export const COMMAND_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

export const commandEnvelopeSchema = {
  $id: 'gatehouse.commands/v1',
  title: 'CommandMessage',
  description: 'A provisioning command for Gatehouse, authorized exactly like the same call over HTTP.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'commandId', 'account', 'credentials', 'command'],
  properties: {
    version: { const: COMMAND_MESSAGE_VERSION, description: 'Envelope version.' },
    commandId: {
      type: 'string',
      pattern: COMMAND_ID_PATTERN,
      description: 'Idempotency: a command id seen before is answered with its first result and executes nothing.',
    },
    account: { type: 'string', pattern: ID_PATTERN, description: 'The account the command acts in.' },
    credentials: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description: 'The acting principal: an API key of this account, or the platform root key (as in `Authorization: Bearer`).',
    },
    command: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', minLength: 1, maxLength: 64 } },
      description: 'The command; `type` selects its schema.',
    },
  },
} as const;

export interface CommandEnvelope {
  version: typeof COMMAND_MESSAGE_VERSION;
  commandId: string;
  account: string;
  credentials: string;
  command: { type: string } & Record<string, unknown>;
}

export interface CommandError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** On `gatehouse.command-results`, key = account. */
export interface CommandResultMessage {
  version: typeof COMMAND_MESSAGE_VERSION;
  commandId: string;
  account: string;
  /** The command's type when it was readable. */
  type?: string;
  status: 'ok' | 'rejected';
  /** Revision token of the command's last event (pass it as `consistency.atLeast` to see the change). */
  revision?: string;
  /** What the command produced, without secrets (e.g. the invited user's id). */
  result?: Record<string, unknown>;
  /** True when the same command id had been executed before: nothing new happened. */
  replayed?: boolean;
  error?: CommandError;
}

/** On `gatehouse.commands.dlq`, key = the original key. */
export interface DeadLetterMessage {
  version: typeof COMMAND_MESSAGE_VERSION;
  reason: CommandError & { retryable: boolean };
  commandId?: string;
  account?: string;
  original: {
    topic: string;
    partition: number;
    offset: string;
    key: string | null;
    headers: Record<string, string>;
    /**
     * The payload as received, except that the `credentials` value (and anything else that
     * looks like a Gatehouse key or invitation token) is replaced by `[redacted]`: a
     * dead-letter topic is read by operators and kept for long, and must not hold keys.
     */
    payload: string | null;
    encoding: 'utf8' | 'base64';
  };
  deadLetteredAt: string;
}

/**
 * Fingerprint of a command for the runner's idempotency check: the same command id with
 * a different payload (or from a different principal, or for another account) is
 * refused with IDEMPOTENCY.KEY_REUSED instead of returning someone else's result.
 */
export function commandHash(account: string, actor: string, command: unknown): string {
  return createHash('sha256').update(canonicalJson({ account, actor, command })).digest('hex');
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const CREDENTIALS_FIELD = /("credentials"\s*:\s*")((?:[^"\\]|\\.)*)(")/g;
const TOKEN_LIKE = /\bghi?_[a-z2-7]{8,64}_[A-Za-z0-9_-]{20,128}/g;

/** Removes credentials from a payload before it is copied anywhere (dead-letter topic, logs). */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS_FIELD, '$1[redacted]$3').replace(TOKEN_LIKE, '[redacted]');
}
