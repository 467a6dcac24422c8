import { EVENT_SCHEMA_VERSION, GatehouseEvent, GatehouseEventType } from '@gatehouse/domain';
import { RecordedEvent } from '@gatehouse/event-store';

/**
 * What the relay sends to Kafka for one stored event: key = account (so each account's
 * events share a partition and stay in order), value = a versioned JSON envelope of the
 * event WITHOUT secrets, headers for routing and dedup without parsing the value.
 */
export interface EventMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Version of the envelope below (the event's own data is versioned by `schemaVersion`). */
export const EVENT_ENVELOPE_VERSION = 1;

export interface PublishedEvent {
  version: typeof EVENT_ENVELOPE_VERSION;
  /** Unique per event: consumers dedupe on it (delivery is at least once). */
  eventId: string;
  type: GatehouseEventType;
  /** Version of `data`'s shape for this type. */
  schemaVersion: number;
  account: string;
  stream: string;
  /** 0-based index of the event in its stream, as a decimal string. */
  streamRevision: string;
  /** Global store position: the same revision token the HTTP API returns. */
  revision: string;
  occurredAt: string;
  actor: string;
  actorKeyId?: string;
  commandId: string;
  correlationId: string;
  causationId: string;
  data: unknown;
}

/**
 * Why an event is not published. Identity events (`identity-<digest>` streams) are the
 * internal claim of an email for one global user id: they belong to no account (so they
 * have no partition key that orders them with anything), carry an email, and everything
 * they say reaches Kafka anyway in the account event that follows (UserAdded/UserInvited
 * hold the same userId and email). An event type this build does not know is held back
 * too: nobody has vouched that it carries no secret.
 */
export type SkipReason = 'identity_stream' | 'unknown_type';

export type EventMessageOrSkip = { message: EventMessage } | { skip: SkipReason };

/**
 * The event's data as published: an explicit decision per event type, so a new event
 * type does not compile until someone has said what of it may leave the service.
 * Secrets today: the SHA-256 of the secret of an API key, an invitation token and an
 * invite link.
 * (A hash of a 256-bit secret cannot be reversed, but it is still a credential verifier:
 * anyone holding it can check a guessed or leaked key offline. It stays inside.)
 */
export function publicEventData(event: GatehouseEvent): unknown {
  switch (event.type) {
    case 'ApiKeyCreated': {
      const { secretHash: _secret, ...rest } = event.data;
      return rest;
    }
    case 'UserInvited': {
      const { invitation, ...rest } = event.data;
      return { ...rest, invitation: { id: invitation.id, expiresAt: invitation.expiresAt } };
    }
    case 'InviteLinkCreated': {
      const { secretHash: _secret, ...rest } = event.data;
      return rest;
    }
    case 'AccountCreated':
    case 'UserAdded':
    case 'InvitationAccepted':
    case 'RoleAssigned':
    case 'RoleUnassigned':
    case 'UserRemoved':
    case 'RoleCreated':
    case 'RoleUpdated':
    case 'RoleDeleted':
    case 'CatalogExtended':
    case 'TeamCreated':
    case 'TeamDeleted':
    case 'TeamMemberAdded':
    case 'TeamMemberRemoved':
    case 'AccountDefaultsChanged':
    case 'ApiKeyRevoked':
    case 'UserDeactivated':
    case 'UserReactivated':
    case 'UserProfileUpdated':
    case 'InviteLinkRevoked':
    case 'ServiceAccountCreated':
    case 'ServiceAccountDeleted':
    case 'AccountDeleted':
    case 'LoginRecorded':
    case 'UserIdentityRegistered':
    case 'ResourceRegistered':
    case 'ResourceUpdated':
    case 'ResourceTransferred':
    case 'ResourceDeleted':
      return event.data;
    default:
      return assertNever(event);
  }
}

// A Record over the union: adding an event type is a compile error here until it is listed.
const KNOWN: Record<GatehouseEventType, true> = {
  AccountCreated: true,
  UserAdded: true,
  UserInvited: true,
  InvitationAccepted: true,
  RoleAssigned: true,
  RoleUnassigned: true,
  UserRemoved: true,
  RoleCreated: true,
  RoleUpdated: true,
  RoleDeleted: true,
  CatalogExtended: true,
  TeamCreated: true,
  TeamDeleted: true,
  TeamMemberAdded: true,
  TeamMemberRemoved: true,
  AccountDefaultsChanged: true,
  ApiKeyCreated: true,
  ApiKeyRevoked: true,
  UserDeactivated: true,
  UserReactivated: true,
  UserProfileUpdated: true,
  InviteLinkCreated: true,
  InviteLinkRevoked: true,
  ServiceAccountCreated: true,
  ResourceRegistered: true,
  ResourceUpdated: true,
  ResourceTransferred: true,
  ResourceDeleted: true,
  ServiceAccountDeleted: true,
  AccountDeleted: true,
  LoginRecorded: true,
  UserIdentityRegistered: true,
};
export const EVENT_TYPES = Object.keys(KNOWN) as GatehouseEventType[];
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

export const isIdentityStream = (stream: string): boolean => stream.startsWith('identity-');

/** The Kafka message for a stored event, or why it is not published. */
export function toEventMessage(event: RecordedEvent): EventMessageOrSkip {
  if (isIdentityStream(event.streamId)) return { skip: 'identity_stream' };
  if (!KNOWN_TYPES.has(event.type)) return { skip: 'unknown_type' };
  const m = event.metadata;
  const schemaVersion = m.schemaVersion ?? EVENT_SCHEMA_VERSION;
  const published: PublishedEvent = {
    version: EVENT_ENVELOPE_VERSION,
    eventId: event.id,
    type: event.type as GatehouseEventType,
    schemaVersion,
    account: m.account,
    stream: event.streamId,
    streamRevision: event.revision.toString(),
    revision: event.position.toString(),
    occurredAt: m.occurredAt,
    actor: m.actor,
    ...(m.actorKeyId ? { actorKeyId: m.actorKeyId } : {}),
    commandId: m.commandId,
    correlationId: m.correlationId,
    causationId: m.causationId,
    data: publicEventData({ type: event.type, data: event.data } as GatehouseEvent),
  };
  return {
    message: {
      key: m.account,
      value: JSON.stringify(published),
      headers: {
        type: event.type,
        'event-id': event.id,
        revision: event.position.toString(),
        'schema-version': String(schemaVersion),
        'content-type': 'application/json',
      },
    },
  };
}

function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
