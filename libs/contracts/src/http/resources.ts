/**
 * Schemas and paths of the resource registry and the lookup APIs (issue 5), merged into
 * `schemas` and the OpenAPI document. Kept apart from schemas.ts so that file stays
 * about accounts, members and checks; the same objects validate and document.
 */

const TEAM = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const NAME = '^[a-z][a-z0-9_]{0,63}$';
export const RESOURCE_TYPE_PARAM_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
/** Mirrors RESOURCE_ID_PATTERN in the domain: printable ASCII without / ? # % or spaces. */
export const RESOURCE_ID_PARAM_PATTERN = '^[A-Za-z0-9_.:@=+~-]{1,128}$';
/** The most items one lookup page may hold. */
export const MAX_LOOKUP_PAGE = 1000;

const revision = { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Revision token: a store position.' } as const;
const consistency = {
  type: 'object',
  additionalProperties: false,
  properties: { atLeast: { ...revision, description: 'Wait (bounded) until the cache has applied this revision.' } },
} as const;
const tags = {
  type: 'object',
  maxProperties: 32,
  propertyNames: { pattern: NAME },
  additionalProperties: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 256 } },
  description: 'Per scope dimension, the tag values the resource carries (access scopes compare against these).',
} as const;
const owner = { type: 'string', minLength: 1, maxLength: 128, description: 'Principal id of the owner (`own` grants).' } as const;
const action = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}:[a-z][a-z0-9_]{0,63}$' } as const;
const limit = { type: 'integer', minimum: 1, maximum: MAX_LOOKUP_PAGE, default: 100, description: 'Page size.' } as const;
const cursor = { type: 'string', minLength: 1, maxLength: 1024, description: 'The `nextCursor` of the previous page (opaque).' } as const;
const principalRef = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'id'],
  properties: { type: { type: 'string', enum: ['user', 'service_account'] }, id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export const resourceSchemas = {
  PutResourceRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { owner, team: { type: 'string', pattern: TEAM }, tags },
    description: 'Registers the resource, or replaces its owner, team and tags (omitted = none).',
  },
  TransferResourceRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['owner'],
    properties: {
      owner,
      team: { anyOf: [{ type: 'string', pattern: TEAM }, { type: 'null' }], description: 'New team; null leaves the team; omitted keeps it.' },
    },
  },
  Resource: {
    type: 'object',
    required: ['type', 'id', 'tags'],
    properties: {
      type: { type: 'string' },
      id: { type: 'string' },
      owner: { type: 'string' },
      team: { type: 'string' },
      tags: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
      revision,
    },
  },
  LookupResourcesRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['principal', 'action'],
    properties: { principal: principalRef, action, limit, cursor, consistency },
    description: 'Which registered resources of the action\'s type may this principal act on with this action.',
  },
  LookupResourcesResponse: {
    type: 'object',
    required: ['resources', 'nextCursor', 'revision'],
    properties: {
      resources: { type: 'array', items: { $ref: '#/components/schemas/Resource' } },
      nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'Null on the last page. A page may be short and still have a next one.' },
      revision,
    },
  },
  LookupSubjectsRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['resource', 'action'],
    properties: {
      resource: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: { type: { type: 'string', pattern: RESOURCE_TYPE_PARAM_PATTERN }, id: { type: 'string', minLength: 1, maxLength: 256 }, owner, team: { type: 'string', maxLength: 128 }, tags },
        description: 'A registered resource by id (type defaults to the action\'s); inline attributes override the registered ones.',
      },
      action,
      limit,
      cursor,
      consistency,
    },
  },
  LookupSubjectsResponse: {
    type: 'object',
    required: ['subjects', 'nextCursor', 'revision'],
    properties: {
      subjects: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type', 'id'],
          properties: {
            type: { type: 'string', enum: ['user', 'service_account'] },
            id: { type: 'string' },
            matched: { type: 'object', properties: { role: { type: 'string' }, grant: { type: 'string' }, condition: { type: 'string' } } },
          },
        },
      },
      nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      revision,
    },
  },
} as const;

type SchemaRefName = keyof typeof resourceSchemas | 'Problem';
const ref = (name: SchemaRefName) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const problemResponse = { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } };
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problemResponse]));
const pathParam = (name: string, pattern: string) => ({ name, in: 'path', required: true, schema: { type: 'string', pattern } });

type Param = { name: string; in: string; [k: string]: unknown };
export function resourcePaths(account: Param, idempotencyKey: Param) {
  const type = pathParam('type', RESOURCE_TYPE_PARAM_PATTERN);
  const id = pathParam('id', RESOURCE_ID_PARAM_PATTERN);
  const resource = { description: 'Resource', ...json(ref('Resource')) };
  return {
    '/v1/accounts/{account}/resources/{type}/{id}': {
      get: { summary: 'Get a registered resource', parameters: [account, type, id], responses: { '200': resource, ...problems(400, 401, 403, 404) } },
      put: {
        summary: 'Register a resource, or replace its owner, team and tags (RegisterResource / UpdateResource)',
        parameters: [account, type, id, idempotencyKey],
        requestBody: { required: true, ...json(ref('PutResourceRequest')) },
        responses: { '200': { description: 'Updated', ...json(ref('Resource')) }, '201': { description: 'Registered', ...json(ref('Resource')) }, ...problems(400, 401, 403, 404, 409) },
      },
      delete: {
        summary: 'Delete a registered resource (DeleteResource)',
        parameters: [account, type, id, idempotencyKey],
        responses: { '200': { description: 'Deleted', ...json({ type: 'object', properties: { revision } }) }, ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/resources/{type}/{id}/transfer': {
      post: {
        summary: 'Transfer a resource to another owner (TransferResource)',
        parameters: [account, type, id, idempotencyKey],
        requestBody: { required: true, ...json(ref('TransferResourceRequest')) },
        responses: { '200': resource, ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/lookup/resources': {
      post: {
        summary: 'LookupResources: the registered resources a principal may act on with an action, paged',
        parameters: [account],
        requestBody: { required: true, ...json(ref('LookupResourcesRequest')) },
        responses: { '200': { description: 'A page', ...json(ref('LookupResourcesResponse')) }, ...problems(400, 401, 403, 404, 409) },
      },
    },
    '/v1/accounts/{account}/lookup/subjects': {
      post: {
        summary: 'LookupSubjects: the principals that may act on a resource with an action, paged',
        parameters: [account],
        requestBody: { required: true, ...json(ref('LookupSubjectsRequest')) },
        responses: { '200': { description: 'A page', ...json(ref('LookupSubjectsResponse')) }, ...problems(400, 401, 403, 404, 409) },
      },
    },
  };
}
