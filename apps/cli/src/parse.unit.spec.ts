import { UsageError } from './errors';
import { locate, parseVerb } from './parse';
import { VerbSpec } from './verb';

const verb = (path: string[], rest: Partial<VerbSpec> = {}): VerbSpec => ({ path, summary: '', examples: [], run: async () => 0, ...rest });
const verbs = [
  verb(['user', 'create']),
  verb(['user', 'get'], { args: ['<USER_ID>'] }),
  verb(['service-account', 'delete'], { args: ['<ID>'] }),
  verb(['service-account', 'key', 'create'], { args: ['<ID>'] }),
  verb(['check'], { args: ['<principal>', '<action>', '[<resource>]'] }),
];

describe('locate: the verb path and the rest', () => {
  it.each([
    [['user', 'get', 'usr_x'], ['user', 'get'], ['usr_x']],
    [['--server', 'http://h', '--json', 'user', 'get', 'usr_x'], ['user', 'get'], ['--server', 'http://h', '--json', 'usr_x']],
    [['--account=acme', 'user', 'create', '--email', 'create'], ['user', 'create'], ['--account=acme', '--email', 'create']],
    [['service-account', 'key', 'create', 'sa1'], ['service-account', 'key', 'create'], ['sa1']],
    // a positional equal to a deeper verb word stays a positional once the path stopped
    [['service-account', 'delete', 'key'], ['service-account', 'delete'], ['key']],
    [['check', 'user:u', 'user:read'], ['check'], ['user:u', 'user:read']],
    [['user', 'frob'], ['user'], ['frob']],
    [['frob', 'user'], [], ['frob', 'user']],
    [['user', 'get', '--', '--weird'], ['user', 'get'], ['--', '--weird']],
  ])('%j', (argv, path, rest) => {
    expect(locate(argv, verbs)).toEqual({ path, rest });
  });
});

describe('parseVerb', () => {
  const create = verb(['user', 'create'], {
    options: {
      email: { type: 'string', required: true, help: '' },
      role: { type: 'string', multiple: true, help: '' },
      dry: { type: 'boolean', help: '' },
    },
  });
  const check = verbs[4];
  const usage = (v: VerbSpec, rest: string[]) => {
    try {
      parseVerb(v, rest);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error('expected a usage error');
  };

  it('reads options, repeated options and global flags in any order', () => {
    const { input, flags } = parseVerb(create, ['--role', 'a', '--email=x@y.z', '--json', '--role=b', '--server', 'http://s', '--api-key', 'k']);
    expect(input.string('email')).toBe('x@y.z');
    expect(input.strings('role')).toEqual(['a', 'b']);
    expect(input.flag('dry')).toBe(false);
    expect(input.has('dry')).toBe(false);
    expect(flags).toEqual({ server: 'http://s', apiKey: 'k', account: undefined, profile: undefined, timeout: undefined, json: true });
  });

  it('names positionals, optional ones included', () => {
    expect(parseVerb(check, ['user:u', 'a:b']).input.optionalArg('resource')).toBeUndefined();
    const { input } = parseVerb(check, ['user:u', 'a:b', 'dataset/d']);
    expect([input.arg('principal'), input.arg('action'), input.optionalArg('resource')]).toEqual(['user:u', 'a:b', 'dataset/d']);
  });

  it.each([
    [[], '--email is required'],
    [['--email'], '--email needs a value'],
    [['--email', 'a@b.c', '--nope'], 'unknown option --nope'],
    [['--email', 'a@b.c', '--dry=yes'], '--dry takes no value'],
    [['--email', 'a@b.c', 'extra'], 'unexpected argument "extra"'],
    [['--email', '-x'], '--email needs a value (write --email=<value> for a value that starts with "-")'],
  ])('user create %j → %s', (rest, message) => {
    expect(usage(create, rest)).toBe(message);
  });

  it('reports every missing positional', () => {
    expect(usage(check, [])).toBe('missing principal and action');
  });
});
