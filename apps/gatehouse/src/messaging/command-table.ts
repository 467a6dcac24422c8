import { CommandBus } from '@nestjs/cqrs';
import { commandSchemas, InboundCommandContext, InboundCommandDefinition, InboundCommandOutcome, KafkaCommandType } from '@gatehouse/messaging';
import { AccountCommandResult, ExecuteAccountCommand, SimpleAccountCommand } from '../commands/account-command';
import { InviteUserCommand, InviteUserResult } from '../commands/invite-user';
import { memberView, MemberView } from '../commands/member-view';
import { ProvisionUserCommand } from '../commands/provision-user';
import { ExecuteResourceCommand, ResourceCommandResult } from '../commands/resources';

type Fields<T extends KafkaCommandType> = { type: T } & Record<string, unknown>;

/**
 * Commands accepted from Kafka: one row per type, validated by its schema in
 * @gatehouse/messaging and executed through the same CommandBus handlers as HTTP, so
 * authorization, idempotency and every rule are shared. Adding Deactivate/Reactivate,
 * ProvisionUser or the resource registry later is one schema and one row here.
 */
export function commandTable(bus: CommandBus): Record<KafkaCommandType, InboundCommandDefinition<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- each row narrows its own command
  /** A membership command answered with the member as it is afterwards (as the HTTP route does). */
  const member = <T extends KafkaCommandType>(type: T, toCommand: (c: Fields<T>) => SimpleAccountCommand): InboundCommandDefinition<Fields<T>> => ({
    schema: commandSchemas[type],
    async execute(account, command, context) {
      const c = command as Fields<T>;
      const result = await bus.execute<ExecuteAccountCommand, AccountCommandResult>(new ExecuteAccountCommand(account, toCommand(c), context));
      const view = memberView(result.state, c.userId as string);
      return outcome(result.revision, undefined, view ? { member: view } : undefined);
    },
  });

  /** A registry command answered with the resource as it is afterwards (as the HTTP routes do). */
  const resource = <T extends KafkaCommandType>(type: T, toCommand: (c: Fields<T>) => ExecuteResourceCommand['command']): InboundCommandDefinition<Fields<T>> => ({
    schema: commandSchemas[type],
    async execute(account, command, context) {
      const r = await bus.execute<ExecuteResourceCommand, ResourceCommandResult>(new ExecuteResourceCommand(account, toCommand(command as Fields<T>), context));
      return outcome(r.revision, undefined, { outcome: r.outcome, resource: r.resource });
    },
  });

  return {
    InviteUser: {
      schema: commandSchemas.InviteUser,
      async execute(account, command: Fields<'InviteUser'>, context: InboundCommandContext) {
        const input = { email: command.email as string, roles: (command.roles as string[] | undefined) ?? [] };
        const r = await bus.execute<InviteUserCommand, InviteUserResult>(new InviteUserCommand(account, input, context));
        // The invitation token is a secret: it never goes to Kafka, only its id.
        return outcome(r.revision, r.replayed, {
          userId: r.id,
          email: r.email,
          status: r.status,
          roles: r.roles,
          teams: r.teams,
          invitation: { id: r.invitation.id, expiresAt: r.invitation.expiresAt },
        });
      },
    },
    AssignRole: member('AssignRole', (c) => ({ type: 'AssignRole', userId: c.userId as string, role: c.role as string })),
    UnassignRole: member('UnassignRole', (c) => ({ type: 'UnassignRole', userId: c.userId as string, role: c.role as string })),
    DeactivateUser: member('DeactivateUser', (c) => ({ type: 'DeactivateUser', userId: c.userId as string })),
    ReactivateUser: member('ReactivateUser', (c) => ({ type: 'ReactivateUser', userId: c.userId as string })),
    ProvisionUser: {
      schema: commandSchemas.ProvisionUser,
      async execute(account, command: Fields<'ProvisionUser'>, context: InboundCommandContext) {
        const input = {
          email: command.email as string,
          ...(command.sourceAddress ? { sourceAddress: command.sourceAddress as string } : {}),
          ...(command.userAgent ? { userAgent: command.userAgent as string } : {}),
        };
        const { revision, created, ...view } = await bus.execute<ProvisionUserCommand, MemberView & { created: boolean; revision: bigint }>(
          new ProvisionUserCommand(account, input, context),
        );
        return outcome(revision, undefined, { userId: view.id, created, member: view });
      },
    },
    RemoveUser: member('RemoveUser', (c) => ({ type: 'RemoveUser', userId: c.userId as string })),
    AddTeamMember: member('AddTeamMember', (c) => ({ type: 'AddTeamMember', team: c.team as string, userId: c.userId as string })),
    RemoveTeamMember: member('RemoveTeamMember', (c) => ({ type: 'RemoveTeamMember', team: c.team as string, userId: c.userId as string })),
    RegisterResource: resource('RegisterResource', (c) => ({
      type: 'PutResource',
      resource: {
        type: c.resourceType as string,
        id: c.resourceId as string,
        ...(c.owner !== undefined ? { owner: c.owner as string } : {}),
        ...(c.team !== undefined ? { team: c.team as string } : {}),
        tags: (c.tags as Record<string, string[]> | undefined) ?? {},
      },
    })),
    TransferResource: resource('TransferResource', (c) => ({
      type: 'TransferResource',
      resourceType: c.resourceType as string,
      resourceId: c.resourceId as string,
      owner: c.owner as string,
      ...(c.team !== undefined ? { team: c.team as string | null } : {}),
    })),
    DeleteResource: resource('DeleteResource', (c) => ({ type: 'DeleteResource', resourceType: c.resourceType as string, resourceId: c.resourceId as string })),
  };
}

function outcome(revision: bigint, replayed: boolean | undefined, result?: Record<string, unknown>): InboundCommandOutcome {
  return { revision, ...(replayed ? { replayed } : {}), ...(result ? { result } : {}) };
}
