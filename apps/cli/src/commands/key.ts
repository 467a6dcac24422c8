import { OPAQUE_ID_PATTERN } from '@gatehouse/contracts';
import type { ApiKeyCreated, Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { parseGrant, requireUserId } from '../syntax';
import { Input, OptionSpec, timestamp, VerbSpec } from '../verb';
import { showCreatedKey, written } from '../views';

/** Options shared by user keys and service-account keys. */
export const keyOptions: Record<string, OptionSpec> = {
  name: { type: 'string', value: '<name>', help: 'a label for the key' },
  expires: { type: 'string', value: '<time>', help: 'expiry, e.g. 2026-12-31 or 2026-12-31T00:00:00Z' },
  restrict: {
    type: 'string',
    value: '<permission[@any|own|team]>',
    multiple: true,
    help: "the key may do only these (and only what its owner may): dataset:read, 'dataset:*@own'",
  },
};

export function keyBody(input: Input) {
  return {
    ...(input.has('name') ? { name: input.string('name') } : {}),
    ...(input.has('expires') ? { expiresAt: timestamp('expires', input.string('expires')) } : {}),
    ...(input.has('restrict') ? { restriction: input.strings('restrict').map((g) => parseGrant(g, 'restrict')) } : {}),
  };
}

/** A key id, or a whole key (`gh_<id>_<secret>`) from which the id is taken. */
function keyId(text: string): string {
  const whole = /^gh_([a-z2-7]+)_/.exec(text);
  const id = whole ? whole[1] : text;
  if (!new RegExp(OPAQUE_ID_PATTERN).test(id)) throw new UsageError(`"${text.slice(0, 24)}" is not a key id: it is the part between gh_ and the second _ of the key`);
  return id;
}

export const keyVerbs: VerbSpec[] = [
  {
    path: ['key', 'create'],
    summary: "create an API key for a user; the secret is printed once",
    args: ['<USER_ID>'],
    options: keyOptions,
    description: 'Users may create keys for themselves; creating one for someone else needs the\npermission to, and never gives the key more than the creator holds.',
    examples: [
      'gatehouse key create usr_abc123def456 --name laptop',
      "gatehouse key create usr_abc123def456 --expires 2026-12-31 --restrict dataset:read --restrict 'dataset:update@own'",
    ],
    async run(ctx) {
      const owner = requireUserId(ctx.input.arg('USER_ID'));
      const created = await ctx.client.post<ApiKeyCreated>(route`/v1/accounts/${ctx.account()}/users/${owner}/api-keys`, keyBody(ctx.input));
      showCreatedKey(ctx, created);
    },
  },
  {
    path: ['key', 'revoke'],
    summary: 'revoke an API key: every check with it is denied from then on',
    args: ['<KEY_ID>'],
    description: 'Prints the revision of the revocation: pass it to `gatehouse check --at-least`\nto see the revocation applied.',
    examples: ['gatehouse key revoke lmvyw5togejthvkj', 'REV=$(gatehouse key revoke lmvyw5togejthvkj --json | jq -r .revision)'],
    async run(ctx) {
      const id = keyId(ctx.input.arg('KEY_ID'));
      const revoked = await ctx.client.delete<{ id: string; status: string } & Written>(route`/v1/accounts/${ctx.account()}/api-keys/${id}`);
      written(ctx, revoked, `Revoked key ${revoked.id}`);
    },
  },
];
