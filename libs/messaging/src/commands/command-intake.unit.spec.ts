import { Actor, DomainError } from '@gatehouse/domain';
import { CommandIntake, IncomingMessage, InboundCommandContext, InboundCommandOutcome } from './command-intake';

type Execute = jest.Mock<Promise<InboundCommandOutcome>, [string, unknown, InboundCommandContext]>;
import { canonicalJson, commandHash, redactCredentials } from './command-message';
import { commandSchemas } from './command-schemas';

const KEY = 'gh_abcdefghij_' + 'S'.repeat(43);
const admin: Actor = { kind: 'principal', principal: { type: 'user', id: 'usr_adminaaaa' }, keyId: 'abcdefghij' };

function setup(execute: Execute = jest.fn(async (..._args: [string, unknown, InboundCommandContext]) => ({ revision: 42n, result: { userId: 'usr_bobbbbbbb' } }))) {
  const authenticate = jest.fn(async (credentials: string, _account: string): Promise<Actor> => {
    if (credentials !== KEY) throw new DomainError('AUTH.INVALID_CREDENTIALS', 'unauthenticated', 'the API key is not valid for this account');
    return admin;
  });
  const intake = new CommandIntake({
    table: { AssignRole: { schema: commandSchemas.AssignRole, execute } },
    authenticate,
    now: () => new Date('2030-01-01T00:00:00Z'),
    transientBackoffMs: 1,
  });
  return { intake, execute, authenticate };
}

let offset = 0;
function message(value: unknown, headers: Record<string, string> = {}): IncomingMessage {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { topic: 'gatehouse.commands', partition: 0, offset: String(offset++), key: Buffer.from('acme'), value: Buffer.from(text), headers };
}

const assign = (over: Record<string, unknown> = {}) => ({
  version: 1,
  commandId: 'hr-1',
  account: 'acme',
  credentials: KEY,
  command: { type: 'AssignRole', userId: 'usr_bobbbbbbb', role: 'admin' },
  ...over,
});

describe('CommandIntake', () => {
  it('executes a valid command with the HTTP-equivalent request context and answers ok', async () => {
    const { intake, execute } = setup();
    const decision = await intake.handle(message(assign(), { 'correlation-id': 'onboarding-7' }));
    expect(decision.status).toBe('ok');
    expect(decision.deadLetter).toBeUndefined();
    expect(decision.result).toEqual({
      key: 'acme',
      value: { version: 1, commandId: 'hr-1', account: 'acme', type: 'AssignRole', status: 'ok', revision: '42', result: { userId: 'usr_bobbbbbbb' } },
    });
    const [account, command, context] = execute.mock.calls[0];
    expect(account).toBe('acme');
    expect(command).toEqual({ type: 'AssignRole', userId: 'usr_bobbbbbbb', role: 'admin' });
    expect(context).toEqual({
      actor: admin,
      commandId: 'kafka:hr-1',
      commandHash: commandHash('acme', 'user:usr_adminaaaa', command),
      correlationId: 'onboarding-7',
    });
  });

  it('uses the command id as correlation id when no header carries one', async () => {
    const { intake, execute } = setup();
    await intake.handle(message(assign()));
    expect(execute.mock.calls[0][2].correlationId).toBe('hr-1');
  });

  it.each([
    ['not JSON', '{"version":1,', 'MESSAGE.MALFORMED_JSON', false],
    ['not an object', '[1,2]', 'MESSAGE.INVALID', false],
    ['another envelope version', assign({ version: 2 }), 'MESSAGE.UNSUPPORTED_VERSION', true],
    ['a missing command id', { ...assign(), commandId: undefined }, 'MESSAGE.INVALID', false],
    ['an unknown envelope field', assign({ extra: true }), 'MESSAGE.INVALID', true],
    ['an unknown command type', assign({ command: { type: 'DeleteEverything' } }), 'COMMAND.UNKNOWN', true],
    ['a command that fails its schema', assign({ command: { type: 'AssignRole', userId: 'bob', role: 'admin' } }), 'MESSAGE.INVALID', true],
    ['an unknown command field', assign({ command: { type: 'AssignRole', userId: 'usr_bobbbbbbb', role: 'admin', force: true } }), 'MESSAGE.INVALID', true],
    ['a wrong key', assign({ credentials: 'gh_abcdefghij_' + 'X'.repeat(43) }), 'AUTH.INVALID_CREDENTIALS', true],
  ])('dead-letters %s with a reason (and answers when it can tell whom)', async (_name, value, code, answered) => {
    const { intake, execute } = setup();
    const decision = await intake.handle(message(value));
    expect(decision.status).not.toBe('ok');
    expect(decision.deadLetter!.value.reason.code).toBe(code);
    expect(decision.deadLetter!.value.reason.message.length).toBeGreaterThan(5);
    expect(decision.deadLetter!.value.original).toMatchObject({ topic: 'gatehouse.commands', partition: 0, key: 'acme', encoding: 'utf8' });
    expect(decision.deadLetter!.value.original.payload).not.toContain('S'.repeat(43));
    expect(decision.deadLetter!.value.original.payload).not.toContain('X'.repeat(43));
    expect(Boolean(decision.result)).toBe(answered);
    if (answered) expect(decision.result!.value).toMatchObject({ commandId: 'hr-1', status: 'rejected', error: { code } });
    if (code !== 'AUTH.INVALID_CREDENTIALS') expect(execute).not.toHaveBeenCalled();
  });

  it('dead-letters an empty message and keeps a payload that is not UTF-8 byte for byte', async () => {
    const { intake } = setup();
    expect((await intake.handle({ ...message(''), value: null })).deadLetter!.value.reason.code).toBe('MESSAGE.EMPTY');
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
    const d = await intake.handle({ ...message(''), value: bytes });
    expect(d.deadLetter!.value.original).toMatchObject({ encoding: 'base64', payload: bytes.toString('base64') });
  });

  it('passes a refusal from the domain on with its code, as rejected, and does not retry it', async () => {
    const execute: Execute = jest.fn(async (..._args: [string, unknown, InboundCommandContext]) => {
      throw new DomainError('PERMISSION.DENIED', 'forbidden', 'not allowed: roles.assign (NO_GRANT)');
    });
    const { intake } = setup(execute);
    const d = await intake.handle(message(assign()));
    expect(d.status).toBe('rejected');
    expect(d.result!.value.error).toEqual({ code: 'PERMISSION.DENIED', message: 'not allowed: roles.assign (NO_GRANT)' });
    expect(d.deadLetter!.value.reason).toMatchObject({ code: 'PERMISSION.DENIED', retryable: false });
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('retries a transient failure, then succeeds', async () => {
    let calls = 0;
    const execute: Execute = jest.fn(async (..._args: [string, unknown, InboundCommandContext]) => {
      if (++calls < 3) throw new DomainError('EVENT_STORE.UNAVAILABLE', 'unavailable', 'the event store is unavailable: retry later');
      return { revision: 7n };
    });
    const { intake } = setup(execute);
    expect((await intake.handle(message(assign()))).status).toBe('ok');
    expect(execute).toHaveBeenCalledTimes(3);
  });

  it('gives up on a failure that persists, marking the dead letter retryable, and never throws', async () => {
    const execute: Execute = jest.fn(async (..._args: [string, unknown, InboundCommandContext]) => {
      throw new TypeError('boom');
    });
    const { intake } = setup(execute);
    const d = await intake.handle(message(assign()));
    expect(d.deadLetter!.value.reason).toMatchObject({ code: 'COMMAND.FAILED', message: 'boom', retryable: true });
    expect(execute).toHaveBeenCalledTimes(5);
  });
});

describe('command message helpers', () => {
  it('canonical JSON ignores key order, so the command hash does too', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(commandHash('acme', 'root', { type: 'X', a: 1, b: 2 })).toBe(commandHash('acme', 'root', { b: 2, a: 1, type: 'X' }));
    expect(commandHash('acme', 'root', { type: 'X' })).not.toBe(commandHash('acme', 'user:u', { type: 'X' }));
  });

  it('redacts the credentials field and anything shaped like a Gatehouse key or invitation token', () => {
    const text = `{"credentials":"my-root-key-with-\\"quotes\\"","note":"${KEY}","inv":"ghi_abcdefghij_${'t'.repeat(43)}"}`;
    const redacted = redactCredentials(text);
    expect(redacted).toBe('{"credentials":"[redacted]","note":"[redacted]","inv":"[redacted]"}');
  });
});
