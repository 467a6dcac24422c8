import { resourcePaths } from './resources';
import { ID_PATTERN, OPAQUE_ID_PATTERN, ROLE_PATTERN, schemas, SERVICE_ACCOUNT_ID_PATTERN, TEAM_PATTERN, USER_ID_PATTERN } from './schemas';

/**
 * The OpenAPI 3.1 document served at /docs-json, assembled from the same schemas the
 * server validates with. Every route the server has is listed here; a test holds the
 * two together, and schemathesis (test/hostile/schemathesis.sh) holds every answer to it.
 */
const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const problemResponse = { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } };
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problemResponse]));
/** Path parameters carry the patterns the server checks (a mismatch is 400 REQUEST.INVALID_PARAMETER). */
const pathParam = (name: string, pattern: string) => ({ name, in: 'path', required: true, schema: { type: 'string', pattern } });
const account = pathParam('account', ID_PATTERN);
const userId = pathParam('userId', USER_ID_PATTERN);
const roleParam = pathParam('role', ROLE_PATTERN);
const saParam = pathParam('id', SERVICE_ACCOUNT_ID_PATTERN);
const teamParam = pathParam('team', TEAM_PATTERN);
const keyIdParam = pathParam('keyId', OPAQUE_ID_PATTERN);
const linkIdParam = pathParam('linkId', OPAQUE_ID_PATTERN);
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Retrying with the same key returns the first result and appends nothing.',
  schema: { type: 'string', maxLength: 255 },
};
const writeResult = (description: string) => ({ description, ...json({ type: 'object', properties: { revision: { type: 'string' } } }) });

const document = {
  openapi: '3.1.0',
  info: {
    title: 'Gatehouse',
    version: '0.1.0',
    description:
      'Event-sourced access control: accounts, users, roles and API keys. Every write answers with a revision token; pass it as `consistency.atLeast` to a check for read-your-writes.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Gatehouse API key, or the platform root key.' } },
    schemas,
  },
  security: [{ bearer: [] }],
  paths: {
    ...resourcePaths(account, idempotencyKey),
    '/v1/accounts': {
      post: {
        summary: 'Create an account from a preset (platform root key only)',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(ref('CreateAccountRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 409) },
      },
    },
    '/v1/accounts/{account}/users': {
      get: {
        summary: 'List members',
        parameters: [account],
        responses: { '200': { description: 'Members', ...json({ type: 'object', properties: { items: { type: 'array', items: ref('Member') } } }) }, ...problems(400, 401, 403, 404) },
      },
      post: {
        summary: 'Invite a user (InviteUser); the invitation token is shown once',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('InviteUserRequest')) },
        responses: { '201': writeResult('Invited'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/users/{userId}': {
      get: { summary: 'Get a member', parameters: [account, userId], responses: { '200': { description: 'Member', ...json(ref('Member')) }, ...problems(400, 401, 403, 404) } },
      patch: {
        summary: "Update a member's profile (UpdateUserProfile): themselves, or with members.update",
        parameters: [account, userId, idempotencyKey],
        requestBody: { required: true, ...json(ref('UpdateProfileRequest')) },
        responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404) },
      },
      delete: { summary: 'Remove a member (RemoveUser)', parameters: [account, userId, idempotencyKey], responses: { '200': writeResult('Removed'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/users/{userId}/roles': {
      post: {
        summary: 'Assign a role (AssignRole)',
        parameters: [account, userId, idempotencyKey],
        requestBody: { required: true, ...json(ref('AssignRoleRequest')) },
        responses: { '200': writeResult('Member with roles'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/users/{userId}/roles/{role}': {
      delete: {
        summary: 'Unassign a role (UnassignRole)',
        parameters: [account, userId, roleParam, idempotencyKey],
        responses: { '200': writeResult('Member with roles'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/users/{userId}/api-keys': {
      post: {
        summary: "Create an API key for a user (CreateApiKey); the secret is shown once",
        parameters: [account, userId, idempotencyKey],
        requestBody: { required: false, ...json(ref('CreateApiKeyRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/api-keys/{keyId}': {
      delete: {
        summary: 'Revoke an API key (RevokeApiKey)',
        parameters: [account, keyIdParam, idempotencyKey],
        responses: { '200': writeResult('Revoked'), ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/invitations/accept': {
      post: {
        summary: 'Accept an invitation with its token (no API key needed)',
        security: [],
        parameters: [account],
        requestBody: { required: true, ...json(ref('AcceptInvitationRequest')) },
        responses: { '200': writeResult('Accepted'), ...problems(400, 404, 409) },
      },
    },
    '/v1/accounts/{account}/check': {
      post: {
        summary: 'Check a permission',
        parameters: [account],
        requestBody: { required: true, ...json(ref('CheckRequest')) },
        responses: { '200': { description: 'Decision', ...json(ref('CheckResponse')) }, ...problems(400, 401, 503) },
      },
    },
    '/v1/accounts/{account}/checks': {
      post: {
        summary: 'Check up to 1,000 permissions at once; each item is answered (or refused) on its own',
        parameters: [account],
        requestBody: {
          required: true,
          // The envelope is validated whole, each item on its own (so the schema's items are loose): documented item by item here.
          ...json({ allOf: [ref('CheckBulkRequest')], properties: { checks: { type: 'array', items: ref('CheckBulkItem') } } }),
        },
        responses: { '200': { description: 'One result per check, in order', ...json(ref('CheckBulkResponse')) }, ...problems(400, 401, 503) },
      },
    },
    '/v1/accounts/{account}/roles': {
      get: { summary: 'List roles (built-in and custom)', parameters: [account], responses: { '200': { description: 'Roles' }, ...problems(400, 401, 403, 404) } },
      post: {
        summary: 'Create a custom role (CreateRole); no escalation: the caller must hold every grant',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('CreateRoleRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/roles/{role}': {
      get: { summary: 'Get a role', parameters: [account, roleParam], responses: { '200': { description: 'Role' }, ...problems(400, 401, 403, 404) } },
      put: {
        summary: 'Update a custom role (UpdateRole); built-in roles are immutable',
        parameters: [account, roleParam, idempotencyKey],
        requestBody: { required: true, ...json(ref('UpdateRoleRequest')) },
        responses: { '200': writeResult('Updated'), ...problems(400, 401, 403, 404, 409) },
      },
      delete: {
        summary: 'Delete a custom role (DeleteRole); refused while any member holds it',
        parameters: [account, roleParam, idempotencyKey],
        responses: { '200': writeResult('Deleted'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/catalog': {
      get: { summary: "The account's permission catalog, defaults and management-operation names", parameters: [account], responses: { '200': { description: 'Catalog' }, ...problems(400, 401, 403, 404) } },
      post: {
        summary: 'Add resource types, actions or scope dimensions (ExtendCatalog)',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('ExtendCatalogRequest')) },
        responses: { '200': writeResult('Extended'), ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/defaults': {
      put: {
        summary: 'Change the default role and team of new members (ChangeAccountDefaults)',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('ChangeDefaultsRequest')) },
        responses: { '200': writeResult('Changed'), ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/teams': {
      get: { summary: 'List teams and their members', parameters: [account], responses: { '200': { description: 'Teams' }, ...problems(400, 401, 403, 404) } },
      post: {
        summary: 'Create a team (CreateTeam)',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('CreateTeamRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/teams/{team}': {
      delete: { summary: 'Delete an empty team (DeleteTeam)', parameters: [account, teamParam, idempotencyKey], responses: { '200': writeResult('Deleted'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/teams/{team}/members/{userId}': {
      put: { summary: 'Add a member to a team (AddTeamMember)', parameters: [account, teamParam, userId, idempotencyKey], responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404) } },
      delete: {
        summary: 'Remove a member from a team (RemoveTeamMember)',
        parameters: [account, teamParam, userId, idempotencyKey],
        responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}': {
      delete: { summary: 'Delete the account (DeleteAccount): every check in it denies, every key stops', parameters: [account, idempotencyKey], responses: { '200': writeResult('Deleted'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/users/{userId}/deactivate': {
      post: { summary: 'Deactivate a member (DeactivateUser): they and their keys are denied at once', parameters: [account, userId, idempotencyKey], responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/users/{userId}/reactivate': {
      post: { summary: 'Reactivate a member (ReactivateUser)', parameters: [account, userId, idempotencyKey], responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/users/{userId}/logins': {
      get: {
        summary: "A member's login history, newest first",
        parameters: [account, userId, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'Logins' }, ...problems(400, 401, 403, 404) },
      },
      post: {
        summary: 'Record a login (RecordLogin)',
        parameters: [account, userId, idempotencyKey],
        requestBody: { required: true, ...json(ref('RecordLoginRequest')) },
        responses: { '201': writeResult('Recorded'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/sso/login': {
      post: {
        summary: 'An identity provider reports a login (ProvisionUser): the first one creates the member with the default role and team',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('ProvisionUserRequest')) },
        responses: { '200': writeResult('Member'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/invite-links': {
      get: { summary: 'List invite links (never their tokens)', parameters: [account], responses: { '200': { description: 'Links' }, ...problems(400, 401, 403, 404) } },
      post: {
        summary: 'Create an invite link (CreateInviteLink); the token is shown once',
        parameters: [account, idempotencyKey],
        requestBody: { required: false, ...json(ref('CreateInviteLinkRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/invite-links/{linkId}': {
      delete: { summary: 'Revoke an invite link (RevokeInviteLink)', parameters: [account, linkIdParam, idempotencyKey], responses: { '200': writeResult('Revoked'), ...problems(400, 401, 403, 404) } },
    },
    '/v1/accounts/{account}/invite-links/join': {
      post: {
        summary: 'Join through an invite link (JoinViaInviteLink): the link token is the credential',
        security: [],
        parameters: [account],
        requestBody: { required: true, ...json(ref('JoinInviteLinkRequest')) },
        responses: { '201': writeResult('Member'), ...problems(400, 404, 409) },
      },
    },
    '/v1/accounts/{account}/service-accounts': {
      get: { summary: 'List service accounts', parameters: [account], responses: { '200': { description: 'Service accounts' }, ...problems(400, 401, 403, 404) } },
      post: {
        summary: 'Create a service account (CreateServiceAccount)',
        parameters: [account, idempotencyKey],
        requestBody: { required: true, ...json(ref('CreateServiceAccountRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/service-accounts/{id}': {
      delete: { summary: 'Delete a service account (DeleteServiceAccount); its keys stop working', parameters: [account, saParam, idempotencyKey], responses: { '200': writeResult('Deleted'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/service-accounts/{id}/roles': {
      post: {
        summary: 'Assign a role to a service account',
        parameters: [account, saParam, idempotencyKey],
        requestBody: { required: true, ...json(ref('AssignRoleRequest')) },
        responses: { '200': writeResult('Service account'), ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/service-accounts/{id}/roles/{role}': {
      delete: { summary: 'Unassign a role from a service account', parameters: [account, saParam, roleParam, idempotencyKey], responses: { '200': writeResult('Service account'), ...problems(400, 401, 403, 404, 409) } },
    },
    '/v1/accounts/{account}/service-accounts/{id}/api-keys': {
      post: {
        summary: 'Create a service-account key (CreateApiKey); the secret is shown once',
        parameters: [account, saParam, idempotencyKey],
        requestBody: { required: false, ...json(ref('CreateApiKeyRequest')) },
        responses: { '201': writeResult('Created'), ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/api-keys': {
      get: {
        summary: 'List API keys the caller may see (its own; others where it may revoke them), with last-used times; never secrets',
        parameters: [account, { name: 'owner', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'Keys' }, ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/me/accounts': {
      get: { summary: 'The accounts the calling user belongs to', responses: { '200': { description: 'Accounts' }, ...problems(400, 401) } },
    },
    '/v1/introspect': {
      post: {
        summary: "For gateways: a key's principal, account, status and effective roles (root, or a caller of the key's account)",
        requestBody: { required: true, ...json(ref('IntrospectRequest')) },
        responses: { '200': { description: 'Introspection ({active: false} for unknown keys)' }, ...problems(400, 401) },
      },
    },
    '/v1/accounts/{account}/audit': {
      get: {
        summary: "The account's audit log: who did what to whom, when, through which key, with which correlation id",
        parameters: [
          account,
          ...['actor', 'target', 'type', 'from', 'to', 'fromRevision', 'toRevision', 'cursor'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          { name: 'order', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: { '200': { description: 'A page of entries and the next cursor' }, ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/audit/export': {
      get: {
        summary: 'Export the audit log as JSON lines or CSV, streamed',
        parameters: [account, { name: 'format', in: 'query', schema: { type: 'string', enum: ['jsonl', 'csv'] } }],
        responses: { '200': { description: 'application/x-ndjson or text/csv' }, ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/audit/verify': {
      get: { summary: "Walk the account's hash chains; report the first broken event", parameters: [account], responses: { '200': { description: 'Verification' }, ...problems(401, 403, 404) } },
    },
    '/v1/accounts/{account}/audit/check': {
      post: {
        summary: 'A check answered from history, as of a revision or a time',
        parameters: [account],
        requestBody: { required: true, ...json(ref('AsOfCheckRequest')) },
        responses: { '200': { description: 'Decision', ...json(ref('CheckResponse')) }, ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/accounts/{account}/audit/principals/{type}/{id}': {
      get: {
        summary: "A principal's effective roles, grants and teams as of a revision or time",
        parameters: [account, pathParam('type', '^(user|service_account)$'), pathParam('id', '^[A-Za-z0-9_-]{1,128}$'), { name: 'asOf', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'Effective access' }, ...problems(400, 401, 403, 404) },
      },
    },
    '/v1/admin/projection': {
      get: { summary: 'Projection status: checkpoint vs head, and the latest rebuild (root key only)', responses: { '200': { description: 'Status' }, ...problems(401, 403) } },
    },
    '/v1/admin/projection/rebuild': {
      post: { summary: 'Rebuild the permission cache from position zero (root key only)', responses: { '202': { description: 'Started' }, ...problems(401, 403) } },
    },
    '/docs': { get: { summary: 'API explorer (HTML)', security: [], responses: { '200': { description: 'HTML page' } } } },
    '/docs-json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics: projection lag, Kafka relay and consumer lag', security: [], responses: { '200': { description: 'text/plain' } } } },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
    '/readyz': { get: { summary: 'Readiness: store, cache and projector', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
  },
} as const;

type Operation = { parameters?: readonly { in: string; name: string }[]; requestBody?: unknown; security?: readonly unknown[]; responses: Record<string, unknown> };

/**
 * Answers any operation may give besides its own, added once here rather than on every
 * route: 400 for a malformed path parameter; 401, 429 (too many failed authentications
 * from one address) and 503 (the permission cache cannot authenticate the key now: retry)
 * wherever a key is needed; 413 and 415 wherever a body is read; 409 (idempotency key
 * reused, account deleted) and 503 (event store unavailable, retry) on every write. Only
 * documented answers pass the schemathesis run (test/hostile/schemathesis.sh).
 */
function withCommonProblems<T extends { paths: Record<string, Record<string, Operation>> }>(doc: T): T {
  const copy = JSON.parse(JSON.stringify(doc)) as T;
  for (const operations of Object.values(copy.paths)) {
    for (const op of Object.values(operations)) {
      const statuses: number[] = [];
      const params = op.parameters ?? [];
      if (params.some((p) => p.in === 'path')) statuses.push(400);
      if (!op.security || op.security.length > 0) statuses.push(401, 429, 503);
      if (op.requestBody) statuses.push(400, 413, 415);
      if (params.some((p) => p.name === 'Idempotency-Key')) statuses.push(409, 503);
      for (const status of statuses) op.responses[String(status)] ??= problemResponse;
    }
  }
  return copy;
}

export const openApiDocument = withCommonProblems(document);
