import { commandEnvelopeSchema, COMMAND_ID_PATTERN } from './commands/command-message';
import { commandSchemas, PLANNED_COMMAND_TYPES } from './commands/command-schemas';
import { EVENT_TYPES } from './event-message';

/**
 * docs/asyncapi.yaml, generated from the objects the code validates and publishes with,
 * so the document cannot drift from the wire (a unit test compares the two; regenerate
 * with `GATEHOUSE_UPDATE_ASYNCAPI=1 npx jest --selectProjects unit libs/messaging/src/asyncapi`).
 */
export function asyncApiDocument(): Record<string, unknown> {
  const ref = (path: string) => ({ $ref: path });
  const accountKey = { bindings: { kafka: { key: { type: 'string', description: 'The account id: each account keeps its order within one partition.' } } } };
  const { $id: _id, title: _title, ...envelope } = commandEnvelopeSchema;
  const published = EVENT_TYPES.filter((t) => t !== 'UserIdentityRegistered');
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Gatehouse on Kafka',
      version: '1',
      description:
        'Every event Gatehouse stores goes out on the events topic (at least once: dedupe by eventId); provisioning commands come in on the commands topic and are answered on the results topic; what cannot be executed goes to the dead-letter topic with its reason. Topic names are the defaults (GATEHOUSE_EVENTS_TOPIC, GATEHOUSE_COMMANDS_TOPIC, GATEHOUSE_COMMAND_RESULTS_TOPIC, GATEHOUSE_COMMANDS_DLQ_TOPIC).',
    },
    defaultContentType: 'application/json',
    channels: {
      events: {
        address: 'gatehouse.events',
        description:
          'Every stored event, in store order per account, published by a checkpointed relay after the event is committed. Not published: `identity-*` claims (UserIdentityRegistered: no account, and the account event that follows carries the same user id and email) and event types unknown to the publishing build.',
        messages: { event: ref('#/components/messages/Event') },
      },
      commands: {
        address: 'gatehouse.commands',
        description:
          'Provisioning commands (consumer group `gatehouse-commands`). Use the account as the message key to keep an account\'s commands in order. The payload carries a credential: restrict who may read this topic.',
        messages: { command: ref('#/components/messages/Command') },
      },
      commandResults: {
        address: 'gatehouse.command-results',
        description: 'One answer per command whose id and account were readable, including rejected ones. A redelivered command is answered again with its first result (`replayed`).',
        messages: { result: ref('#/components/messages/CommandResult') },
      },
      commandsDeadLetter: {
        address: 'gatehouse.commands.dlq',
        description: 'Commands that were malformed, unknown, unauthorized or refused, with the reason and the original payload (credentials redacted).',
        messages: { deadLetter: ref('#/components/messages/DeadLetter') },
      },
    },
    operations: {
      publishEvents: { action: 'send', channel: ref('#/channels/events'), summary: 'Gatehouse publishes every event.' },
      consumeCommands: { action: 'receive', channel: ref('#/channels/commands'), summary: 'Gatehouse executes provisioning commands, once per command id.' },
      publishResults: { action: 'send', channel: ref('#/channels/commandResults'), summary: 'Gatehouse answers each command.' },
      publishDeadLetters: { action: 'send', channel: ref('#/channels/commandsDeadLetter'), summary: 'Gatehouse sets aside what it could not execute.' },
    },
    components: {
      messages: {
        Event: {
          name: 'Event',
          title: 'A Gatehouse event',
          contentType: 'application/json',
          headers: {
            type: 'object',
            properties: {
              type: { type: 'string', description: 'The event type (same as payload.type).' },
              'event-id': { type: 'string', format: 'uuid', description: 'Unique per event: dedupe on it.' },
              revision: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Global store position (the revision token of the HTTP API).' },
              'schema-version': { type: 'string', description: "Version of the event data's shape." },
              'content-type': { const: 'application/json' },
            },
          },
          payload: ref('#/components/schemas/Event'),
          ...accountKey,
        },
        Command: { name: 'Command', title: 'A provisioning command', contentType: 'application/json', payload: ref('#/components/schemas/Command'), ...accountKey },
        CommandResult: { name: 'CommandResult', title: 'The answer to a command', contentType: 'application/json', payload: ref('#/components/schemas/CommandResult'), ...accountKey },
        DeadLetter: {
          name: 'DeadLetter',
          title: 'A command that was not executed',
          contentType: 'application/json',
          headers: { type: 'object', properties: { reason: { type: 'string', description: 'reason.code, for filtering without parsing.' } } },
          payload: ref('#/components/schemas/DeadLetter'),
        },
      },
      schemas: {
        Event: {
          type: 'object',
          required: ['version', 'eventId', 'type', 'schemaVersion', 'account', 'stream', 'streamRevision', 'revision', 'occurredAt', 'actor', 'commandId', 'correlationId', 'causationId', 'data'],
          properties: {
            version: { const: 1, description: 'Envelope version.' },
            eventId: { type: 'string', format: 'uuid' },
            type: { type: 'string', enum: published },
            schemaVersion: { type: 'integer', minimum: 1 },
            account: { type: 'string' },
            stream: { type: 'string', description: '`account-<id>`, `apikey-<keyId>` or `logins-<account>-<userId>`.' },
            streamRevision: { type: 'string', pattern: '^[0-9]{1,20}$', description: '0-based index of the event in its stream.' },
            revision: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Global store position.' },
            occurredAt: { type: 'string', format: 'date-time' },
            actor: { type: 'string', description: '`root`, `user:<id>`, `service_account:<id>`, `anonymous` or `system`.' },
            actorKeyId: { type: 'string', description: 'The API key the actor used (its id, never the key).' },
            commandId: { type: 'string', description: 'Commands from Kafka appear as `kafka:<commandId>`.' },
            correlationId: { type: 'string' },
            causationId: { type: 'string' },
            data: {
              type: 'object',
              description:
                "The event's data as stored (libs/domain/src/*/…events.ts), minus secrets: ApiKeyCreated without `secretHash`, UserInvited with `invitation: {id, expiresAt}` only, InviteLinkCreated without `secretHash`.",
            },
          },
        },
        Command: {
          ...envelope,
          properties: {
            ...envelope.properties,
            command: { oneOf: Object.keys(commandSchemas).map((t) => ref(`#/components/schemas/${t}`)) },
          },
          description:
            PLANNED_COMMAND_TYPES.length > 0
              ? `${commandEnvelopeSchema.description} Not available yet (dead-lettered as COMMAND.UNKNOWN): ${PLANNED_COMMAND_TYPES.join(', ')}.`
              : commandEnvelopeSchema.description,
        },
        ...commandSchemas,
        CommandResult: {
          type: 'object',
          required: ['version', 'commandId', 'account', 'status'],
          properties: {
            version: { const: 1 },
            commandId: { type: 'string', pattern: COMMAND_ID_PATTERN },
            account: { type: 'string' },
            type: { type: 'string' },
            status: { enum: ['ok', 'rejected'] },
            revision: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Pass as `consistency.atLeast` to a check to see the change.' },
            replayed: { type: 'boolean', description: 'The command id had been executed before: nothing new happened.' },
            result: { type: 'object', description: 'What the command produced, without secrets: InviteUser and ProvisionUser give `userId`; membership commands give `member`.' },
            error: ref('#/components/schemas/Error'),
          },
        },
        DeadLetter: {
          type: 'object',
          required: ['version', 'reason', 'original', 'deadLetteredAt'],
          properties: {
            version: { const: 1 },
            reason: {
              allOf: [ref('#/components/schemas/Error')],
              properties: { retryable: { type: 'boolean', description: 'True for failures that may pass on a replay (store unavailable, lost races).' } },
            },
            commandId: { type: 'string' },
            account: { type: 'string' },
            original: {
              type: 'object',
              required: ['topic', 'partition', 'offset', 'key', 'headers', 'payload', 'encoding'],
              properties: {
                topic: { type: 'string' },
                partition: { type: 'integer' },
                offset: { type: 'string' },
                key: { type: ['string', 'null'] },
                headers: { type: 'object', additionalProperties: { type: 'string' } },
                payload: { type: ['string', 'null'], description: 'As received, with the credentials value (and anything shaped like a Gatehouse key) replaced by `[redacted]`.' },
                encoding: { enum: ['utf8', 'base64'], description: 'base64 when the payload was not valid UTF-8.' },
              },
            },
            deadLetteredAt: { type: 'string', format: 'date-time' },
          },
        },
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: {
              type: 'string',
              description:
                'Stable code: MESSAGE.EMPTY, MESSAGE.MALFORMED_JSON, MESSAGE.INVALID, MESSAGE.UNSUPPORTED_VERSION, COMMAND.UNKNOWN, COMMAND.FAILED, or any code of the HTTP API (AUTH.INVALID_CREDENTIALS, PERMISSION.DENIED, USER.NOT_FOUND, ADMIN.LAST_ADMIN, IDEMPOTENCY.KEY_REUSED, …).',
            },
            message: { type: 'string' },
            details: { type: 'object' },
          },
        },
      },
    },
  };
}

/** A small YAML writer for plain data (objects, arrays, strings, numbers, booleans, null). */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value
      .map((item) => {
        const inner = toYaml(item, indent + 2);
        // A block item starts on the dash's line; its other lines are already indented past it.
        return isBlock(item) ? `${pad}- ${inner.slice(1).trimStart()}` : `${pad}- ${inner}`;
      })
      .join('\n')
      .replace(/^/, '\n');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `\n${entries
      .map(([k, v]) => {
        const inner = toYaml(v, indent + 2);
        return `${pad}${key(k)}:${inner.startsWith('\n') ? inner : ` ${inner}`}`;
      })
      .join('\n')}`;
  }
  return scalar(value);
}

function isBlock(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$.-]*$/.test(k) ? k : JSON.stringify(k);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') {
    const plain = /^[A-Za-z][A-Za-z0-9 _.,()/-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(v) && !v.endsWith(' ');
    return plain ? v : JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  throw new Error(`cannot write ${typeof v} as YAML`);
}

export function asyncApiYaml(): string {
  return `# Generated from libs/messaging/src/asyncapi.ts; do not edit by hand.\n${toYaml(asyncApiDocument()).trimStart()}\n`;
}
