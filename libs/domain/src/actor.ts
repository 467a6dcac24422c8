import { Condition, PrincipalRef } from './access/model';

/**
 * Who sends a command. `root` is the platform root key, the only side door; an
 * `anonymous` actor holds a credential of its own (an invitation token) instead of a key.
 */
export type Actor =
  | { kind: 'root' }
  | { kind: 'anonymous' }
  | {
      kind: 'principal';
      principal: PrincipalRef;
      /** The API key used, if any. */
      keyId?: string;
      /** A restricted key narrows its owner's grants to these. */
      restriction?: Record<string, Condition[]>;
    };

export function actorLabel(actor: Actor): string {
  if (actor.kind !== 'principal') return actor.kind;
  return `${actor.principal.type}:${actor.principal.id}`;
}
