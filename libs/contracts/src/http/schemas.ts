/**
 * JSON Schemas of the HTTP API: the same objects validate requests (Ajv, unknown
 * fields refused) and document them (OpenAPI at /docs-json), so the two cannot drift.
 */

export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const OPAQUE_ID_PATTERN = '^[a-z2-7]{8,64}$';
export const USER_ID_PATTERN = '^usr_[a-z2-7]{8,64}$';
export const SERVICE_ACCOUNT_ID_PATTERN = '^sa_[a-z2-7]{8,64}$';
export const ROLE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const TEAM_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const NAME_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
export const PERMISSION_PATTERN = '^(\\*|[a-z*][a-z0-9_*]{0,63}:[a-z*][a-z0-9_*]{0,63})$';

const email = { type: 'string', format: 'email', maxLength: 254 } as const;
const role = { type: 'string', pattern: ROLE_PATTERN } as const;
const revision = { type: 'string', pattern: '^[0-9]{1,20}$', description: 'Revision token: the store position of the write.' } as const;
const grant = {
  type: 'object',
  additionalProperties: false,
  required: ['permission'],
  properties: {
    permission: { type: 'string', pattern: PERMISSION_PATTERN },
    condition: { type: 'string', enum: ['any', 'own', 'team'], default: 'any' },
  },
} as const;

const scopes = {
  type: 'object',
  maxProperties: 32,
  propertyNames: { pattern: NAME_PATTERN },
  additionalProperties: { type: 'array', maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 256 } },
  description: 'Per scope dimension, the tag values the role may see; empty or missing = unrestricted.',
} as const;

/** The parts of a check, shared by CheckRequest, the items of CheckBulkRequest and AsOfCheckRequest. */
const checkPrincipal = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'id'],
      properties: { type: { type: 'string', enum: ['user', 'service_account'] }, id: { type: 'string', minLength: 1, maxLength: 128 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['apiKey'],
      properties: { apiKey: { type: 'string', minLength: 1, maxLength: 512 } },
    },
  ],
} as const;
const checkAction = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}:[a-z][a-z0-9_]{0,63}$' } as const;
const checkResource = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', maxLength: 64 },
    id: { type: 'string', maxLength: 256 },
    owner: { type: 'string', maxLength: 128 },
    team: { type: 'string', maxLength: 128 },
    tags: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 256 } },
    },
  },
} as const;

import { resourceSchemas } from './resources';

/** The most checks one batch may hold (POST …/checks, gRPC CheckBulk). */
export const MAX_BULK_CHECKS = 1000;

export const schemas = {
  ...resourceSchemas,
  CreateAccountRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'preset'],
    properties: {
      id: { type: 'string', pattern: ID_PATTERN, description: 'Account id: lower-case letters, digits and dashes.' },
      preset: { type: 'string', enum: ['fireworks', 'predibase', 'firefly', 'adaptive', 'custom'], description: 'The access model the account starts with.' },
      admins: { type: 'array', maxItems: 100, items: email, default: [], description: 'Seed admins: active members with the admin role.' },
      defaultRole: { ...role, description: "Overrides the preset's role for new members." },
      defaultTeam: { type: 'string', pattern: TEAM_PATTERN, description: 'Team new members join; created with the account.' },
    },
  },
  InviteUserRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email'],
    properties: {
      email,
      roles: { type: 'array', maxItems: 50, items: role, description: "Defaults to the account's default role." },
    },
  },
  AcceptInvitationRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
  },
  AssignRoleRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['role'],
    properties: { role },
  },
  CreateApiKeyRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', maxLength: 128 },
      expiresAt: { type: 'string', format: 'date-time' },
      restriction: { type: 'array', minItems: 1, maxItems: 200, items: grant, description: 'A restricted key may do only these (and what its owner may).' },
    },
  },
  CreateRoleRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'grants'],
    properties: {
      name: role,
      description: { type: 'string', maxLength: 512, default: '' },
      grants: { type: 'array', maxItems: 500, items: grant },
      scopes: { ...scopes, default: {} },
    },
  },
  UpdateRoleRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      description: { type: 'string', maxLength: 512 },
      grants: { type: 'array', maxItems: 500, items: grant },
      scopes,
    },
  },
  ExtendCatalogRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      resourceTypes: {
        type: 'object',
        maxProperties: 100,
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', pattern: NAME_PATTERN } },
        default: {},
      },
      scopeDimensions: {
        type: 'object',
        maxProperties: 32,
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { type: 'array', maxItems: 100, items: { type: 'string', pattern: NAME_PATTERN } },
        default: {},
      },
    },
  },
  CreateTeamRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', pattern: TEAM_PATTERN } },
  },
  ChangeDefaultsRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['defaultRole'],
    properties: {
      defaultRole: role,
      defaultTeam: { anyOf: [{ type: 'string', pattern: TEAM_PATTERN }, { type: 'null' }] },
    },
  },
  ProvisionUserRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email'],
    properties: { email, sourceAddress: { type: 'string', maxLength: 64 }, userAgent: { type: 'string', maxLength: 512 } },
  },
  RecordLoginRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['method'],
    properties: {
      method: { type: 'string', enum: ['password', 'sso', 'api_key'] },
      sourceAddress: { type: 'string', maxLength: 64 },
      userAgent: { type: 'string', maxLength: 512 },
    },
  },
  UpdateProfileRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['displayName'],
    properties: { displayName: { type: 'string', minLength: 1, maxLength: 128 } },
  },
  CreateInviteLinkRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      roles: { type: 'array', maxItems: 50, items: role, description: "Defaults to the account's default role." },
      expiresAt: { type: 'string', format: 'date-time', description: 'Defaults to the invitation lifetime.' },
      maxUses: { type: 'integer', minimum: 1, maximum: 1000000 },
    },
  },
  JoinInviteLinkRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['token', 'email'],
    properties: { token: { type: 'string', minLength: 1, maxLength: 512 }, email },
  },
  CreateServiceAccountRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, roles: { type: 'array', maxItems: 50, items: role, default: [] } },
  },
  IntrospectRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['apiKey'],
    properties: { apiKey: { type: 'string', minLength: 1, maxLength: 512 } },
  },
  AsOfCheckRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['principal', 'action', 'asOf'],
    properties: {
      principal: checkPrincipal,
      action: checkAction,
      resource: checkResource,
      asOf: { type: 'string', minLength: 1, maxLength: 40, description: 'A revision (digits) or an ISO-8601 time.' },
    },
  },
  CheckRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['principal', 'action'],
    properties: {
      principal: checkPrincipal,
      action: checkAction,
      resource: checkResource,
      consistency: {
        type: 'object',
        additionalProperties: false,
        properties: { atLeast: revision },
      },
    },
  },
  CheckResponse: {
    type: 'object',
    required: ['allowed', 'reason', 'message', 'revision'],
    properties: {
      allowed: { type: 'boolean' },
      reason: { type: 'string', description: 'GRANTED, or why not: NO_GRANT, NOT_OWNER, NOT_IN_TEAM, OUT_OF_SCOPE, KEY_REVOKED, …' },
      message: { type: 'string' },
      matched: {
        type: 'object',
        properties: { role: { type: 'string' }, grant: { type: 'string' }, condition: { type: 'string' } },
      },
      revision,
    },
  },
  CheckBulkItem: {
    type: 'object',
    additionalProperties: false,
    required: ['principal', 'action'],
    description: 'One check of a batch: a CheckRequest without consistency, which the batch gives once.',
    properties: { principal: checkPrincipal, action: checkAction, resource: checkResource },
  },
  CheckBulkRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['checks'],
    properties: {
      checks: {
        type: 'array',
        maxItems: MAX_BULK_CHECKS,
        // Items are validated one by one against CheckBulkItem, so a malformed item gets its own error result.
        items: { type: 'object' },
        description: `Up to ${MAX_BULK_CHECKS} CheckBulkItem objects, answered independently and in order (more: 400 CHECK.TOO_MANY_ITEMS).`,
      },
      consistency: { type: 'object', additionalProperties: false, properties: { atLeast: revision }, description: 'Applies to every check of the batch.' },
    },
  },
  CheckBulkResponse: {
    type: 'object',
    required: ['results', 'revision'],
    properties: {
      results: {
        type: 'array',
        description: 'One per check, in request order: a CheckResponse, or {error: Problem} for an item that could not be answered.',
        items: {
          oneOf: [
            { $ref: '#/components/schemas/CheckResponse' },
            { type: 'object', required: ['error'], properties: { error: { $ref: '#/components/schemas/Problem' } } },
          ],
        },
      },
      revision: { ...revision, description: 'A revision every answer of the batch reflects at least (the lowest of theirs).' },
    },
  },
  Member: {
    type: 'object',
    required: ['id', 'type', 'status', 'roles', 'teams'],
    properties: {
      id: { type: 'string' },
      type: { type: 'string', enum: ['user', 'service_account'] },
      email: { type: 'string' },
      status: { type: 'string', enum: ['invited', 'active', 'deactivated', 'removed'] },
      roles: { type: 'array', items: { type: 'string' } },
      teams: { type: 'array', items: { type: 'string' } },
      revision,
    },
  },
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', description: 'Stable error code, e.g. USER.NOT_FOUND. Clients branch on this.' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: { type: 'array', items: { type: 'object' } },
    },
  },
} as const;

export type SchemaName = keyof typeof schemas;
