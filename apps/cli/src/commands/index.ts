import { VerbSpec } from '../verb';
import { accountVerbs } from './account';
import { accountLifecycleVerbs } from './account-lifecycle';
import { auditVerbs } from './audit';
import { catalogVerbs } from './catalog';
import { checkVerbs } from './check';
import { defaultsVerbs } from './defaults';
import { introspectVerbs } from './introspect';
import { inviteLinkVerbs } from './invite-link';
import { keyVerbs } from './key';
import { keyListVerbs } from './key-list';
import { lookupVerbs } from './lookup';
import { profileVerbs } from './profile';
import { projectionVerbs } from './projection';
import { resourceVerbs } from './resource';
import { roleVerbs } from './role';
import { serviceAccountVerbs } from './service-account';
import { teamVerbs } from './team';
import { userVerbs } from './user';
import { userLifecycleVerbs } from './user-lifecycle';

/**
 * Every verb, in the order `gatehouse --help` lists them. The verbs in
 * account-lifecycle, user-lifecycle, service-account, invite-link, key-list and
 * introspect call endpoints of issue 4, audit, projection and `check --as-of` those of
 * issue 7, resource and lookup those of issue 5; an older server answers them
 * ROUTE.NOT_FOUND.
 */
export const VERBS: readonly VerbSpec[] = [
  ...accountVerbs,
  ...accountLifecycleVerbs,
  ...userVerbs,
  ...userLifecycleVerbs,
  ...roleVerbs,
  ...catalogVerbs,
  ...defaultsVerbs,
  ...teamVerbs,
  ...keyVerbs,
  ...keyListVerbs,
  ...serviceAccountVerbs,
  ...inviteLinkVerbs,
  ...resourceVerbs,
  ...checkVerbs,
  ...lookupVerbs,
  ...introspectVerbs,
  ...auditVerbs,
  ...projectionVerbs,
  ...profileVerbs,
];
