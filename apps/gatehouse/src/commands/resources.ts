import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  accountStream,
  decideResource,
  evolveResource,
  initialResourceState,
  ResourceCommand,
  ResourceEvent,
  ResourceRecord,
  ResourceState,
  resourceStream,
} from '@gatehouse/domain';
import { CommandRunner, Fold, RequestContext } from './command-runner';
import { accountFold } from './folds';

export const resourceFold: Fold<ResourceState, ResourceEvent> = { initialState: initialResourceState, evolve: evolveResource };

/** RegisterResource / UpdateResource (PUT), TransferResource, DeleteResource: one handler, the decider holds the rules. */
export class ExecuteResourceCommand {
  constructor(
    readonly account: string,
    readonly command: ResourceCommand,
    readonly request: RequestContext,
  ) {}
}

export interface ResourceCommandResult {
  /** The resource after the command (null once deleted). */
  resource: ResourceRecord | null;
  /** What the command did: `registered`, `updated`, `transferred`, `deleted` or `unchanged`. */
  outcome: 'registered' | 'updated' | 'transferred' | 'deleted' | 'unchanged';
  revision: bigint;
}

const OUTCOME: Record<ResourceEvent['type'], ResourceCommandResult['outcome']> = {
  ResourceRegistered: 'registered',
  ResourceUpdated: 'updated',
  ResourceTransferred: 'transferred',
  ResourceDeleted: 'deleted',
};

@CommandHandler(ExecuteResourceCommand)
export class ExecuteResourceCommandHandler implements ICommandHandler<ExecuteResourceCommand, ResourceCommandResult> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, command, request }: ExecuteResourceCommand): Promise<ResourceCommandResult> {
    const { type, id } = command.type === 'PutResource' ? command.resource : { type: command.resourceType, id: command.resourceId };
    // The account is read first (roles, teams, catalog), then the resource's own stream is
    // decided and appended under its expected revision. A role change racing this write is
    // ordered before or after it in the global log; either way the writer held the grant
    // when it read.
    const { state: accountState } = await this.runner.load(accountStream(account), accountFold);
    const result = await this.runner.run({
      stream: resourceStream(account, type, id),
      fold: resourceFold,
      account,
      request,
      decide: (state) => decideResource(command, state, accountState, { actor: request.actor, now: this.runner.now() }),
    });
    const last = result.events[result.events.length - 1];
    return {
      resource: result.state.status === 'registered' ? result.state.record : null,
      outcome: last ? OUTCOME[last.type as ResourceEvent['type']] : 'unchanged',
      revision: result.position,
    };
  }
}
