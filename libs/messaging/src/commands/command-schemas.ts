import { RESOURCE_ID_PARAM_PATTERN, RESOURCE_TYPE_PARAM_PATTERN, schemas, TEAM_PATTERN, USER_ID_PATTERN } from '@gatehouse/contracts';

/**
 * JSON Schemas of the commands accepted on `gatehouse.commands`, by type: the same
 * objects validate messages and document them (docs/asyncapi.yaml). Each type is one
 * row here and one row in the app's dispatch table (apps/gatehouse/src/messaging/command-table.ts).
 */
const userId = { type: 'string', pattern: USER_ID_PATTERN, description: 'The member, as returned by InviteUser (`result.userId`) or the HTTP API.' } as const;
const role = schemas.AssignRoleRequest.properties.role;
const team = { type: 'string', pattern: TEAM_PATTERN } as const;
const resourceType = { type: 'string', pattern: RESOURCE_TYPE_PARAM_PATTERN, description: 'A resource type of the account catalog.' } as const;
const resourceId = { type: 'string', pattern: RESOURCE_ID_PARAM_PATTERN } as const;

const command = <T extends string>(type: T, description: string, required: string[], properties: Record<string, unknown>) =>
  ({
    title: type,
    description,
    type: 'object',
    additionalProperties: false,
    required: ['type', ...required],
    properties: { type: { const: type }, ...properties },
  }) as const;

export const commandSchemas = {
  InviteUser: command(
    'InviteUser',
    'Invites a user by email (operation members.invite). The invitation token is not sent anywhere: the user signs in through your identity provider.',
    ['email'],
    { ...schemas.InviteUserRequest.properties },
  ),
  AssignRole: command('AssignRole', 'Gives a member a role (no escalation: the actor must hold what the role grants).', ['userId', 'role'], { userId, role }),
  UnassignRole: command('UnassignRole', "Takes a role from a member (never the account's last admin).", ['userId', 'role'], { userId, role }),
  DeactivateUser: command('DeactivateUser', 'Suspends a member: every check and every key of theirs denies until reactivated.', ['userId'], { userId }),
  ReactivateUser: command('ReactivateUser', 'Lifts a deactivation.', ['userId'], { userId }),
  ProvisionUser: command(
    'ProvisionUser',
    "An identity provider reports a login (operation members.provision): the first creates the member with the account's default role and team; each is recorded in the login history.",
    ['email'],
    { ...schemas.ProvisionUserRequest.properties },
  ),
  RemoveUser: command('RemoveUser', "Removes a member from the account; every check for them denies from that revision on.", ['userId'], { userId }),
  AddTeamMember: command('AddTeamMember', 'Adds a member to a team.', ['team', 'userId'], { team, userId }),
  RemoveTeamMember: command('RemoveTeamMember', 'Removes a member from a team.', ['team', 'userId'], { team, userId }),
  RegisterResource: command(
    'RegisterResource',
    'Registers a resource, or replaces its owner, team and tags (as PUT /v1/accounts/{account}/resources/{type}/{id}): `<type>:create` to register, `<type>:update` to change, or resources.manage.',
    ['resourceType', 'resourceId'],
    { resourceType, resourceId, ...schemas.PutResourceRequest.properties },
  ),
  TransferResource: command(
    'TransferResource',
    'Gives a registered resource a new owner (and optionally team): `<type>:update` on the resource as it is and as it will be, or resources.manage.',
    ['resourceType', 'resourceId', 'owner'],
    { resourceType, resourceId, ...schemas.TransferResourceRequest.properties },
  ),
  DeleteResource: command('DeleteResource', 'Deletes a registered resource: `<type>:delete` on it, or resources.manage.', ['resourceType', 'resourceId'], {
    resourceType,
    resourceId,
  }),
};

export type KafkaCommandType = keyof typeof commandSchemas;

/** Commands named by issue 6 that have no domain command yet (none left): they would be dead-lettered as COMMAND.UNKNOWN. */
export const PLANNED_COMMAND_TYPES: readonly string[] = [];
