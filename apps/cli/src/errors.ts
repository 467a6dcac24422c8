/**
 * Exit codes are part of the CLI's interface: scripts branch on them.
 *   0 ok (and `check`: allowed)     3 not authenticated or forbidden (401/403)
 *   1 refused by the server (other 4xx; `check`: denied)
 *   2 usage error                   4 not found (404)
 *   5 server unreachable, timed out, or failing (5xx)
 */
export const EXIT = {
  ok: 0,
  refused: 1,
  denied: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  unavailable: 5,
} as const;

/** Bad arguments: printed with the verb's usage, exit 2. */
export class UsageError extends Error {}

/** An RFC 9457 problem as the server sends it; `code` is what we branch on. */
export interface Problem {
  status: number;
  code: string;
  detail?: string;
  title?: string;
  errors?: { pointer?: string; message?: string }[];
  [extension: string]: unknown;
}

/** The server answered, and said no. */
export class ApiError extends Error {
  /** Extra lines a command adds (e.g. what it rolled back). */
  readonly notes: string[] = [];

  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }

  get exitCode(): number {
    const s = this.problem.status;
    if (s === 401 || s === 403) return EXIT.auth;
    if (s === 404) return EXIT.notFound;
    if (s >= 500) return EXIT.unavailable;
    return EXIT.refused;
  }
}

/** No answer at all: connection refused, DNS, timeout, or a body that is not Gatehouse's. */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** What to do next, per stable error code. `account` is the one the call used. */
export function hintFor(problem: Problem, account: string | undefined): string | undefined {
  switch (problem.code) {
    case 'AUTH.MISSING_CREDENTIALS':
      return 'pass --api-key, set GATEHOUSE_API_KEY, or save one with `gatehouse profile set <name> --api-key …` and use --profile';
    case 'AUTH.INVALID_CREDENTIALS':
    case 'AUTH.MALFORMED_CREDENTIALS':
      return `the API key is unknown, revoked or expired, or belongs to another account than ${account ?? 'this one'}: check --api-key and --account`;
    case 'PERMISSION.DENIED':
      if (problem.reason === 'ROOT_ONLY') return 'only the platform root key may do this: pass it with --api-key';
      if (problem.reason === 'OPERATION_NOT_IN_PRESET') return "the account's preset gives this operation to no role: only the platform root key may do it";
      return "the key's principal lacks this permission: ask an account admin, or see what it may do with `gatehouse check … --explain`";
    case 'ACCOUNT.NOT_FOUND':
      return `there is no account ${account ? `"${account}" ` : ''}on this server: check --account (or GATEHOUSE_ACCOUNT, or the profile)`;
    case 'ACCOUNT.DELETED':
      return 'the account was deleted; nothing in it can change any more';
    case 'USER.NOT_FOUND':
      return '`gatehouse user list` shows the users of the account and their ids (usr_…)';
    case 'ROLE.NOT_FOUND':
      return '`gatehouse role list` shows the roles of the account';
    case 'TEAM.NOT_FOUND':
      return '`gatehouse team list` shows the teams of the account';
    case 'API_KEY.NOT_FOUND':
      return 'pass the key id: the part between `gh_` and the second `_` of the key';
    case 'SERVICE_ACCOUNT.NOT_FOUND':
      return '`gatehouse service-account list` shows the service accounts';
    case 'INVITE_LINK.NOT_FOUND':
      return '`gatehouse invite-link list` shows the invite links';
    case 'INVITATION.INVALID':
    case 'INVITATION.EXPIRED':
      return 'ask an admin for a new invitation (`gatehouse user create --email …`), and check --account';
    case 'ADMIN.LAST_ADMIN':
      return 'the account must keep an active admin: make another member admin first (`gatehouse user add-role <USER_ID> admin`)';
    case 'ROLE.IN_USE':
      return 'unassign the role from its holders first (`gatehouse user remove-role <USER_ID> <ROLE>`)';
    case 'ROLE.BUILT_IN':
      return 'built-in roles cannot change: create a custom role (`gatehouse role create`)';
    case 'RESOURCE.NOT_FOUND':
      return '`gatehouse lookup resources user:<USER_ID> <TYPE>:read` lists the registered resources a member may read; `gatehouse resource put <TYPE> <ID>` registers one';
    case 'RESOURCE.OWNER_NOT_FOUND':
      return 'the owner must be a member of the account: `gatehouse user list` and `gatehouse service-account list` show the ids';
    case 'LOOKUP.INVALID_CURSOR':
    case 'LOOKUP.CURSOR_MISMATCH':
      return 'pass --cursor exactly as the previous page printed it, with the same principal (or resource) and action; or use --all';
    case 'LOOKUP.RESOURCE_TYPE_MISMATCH':
    case 'LOOKUP.INVALID_ACTION':
      return 'the action names the resource type: deployment/dep-1 goes with deployment:read';
    case 'PERMISSION.UNKNOWN':
    case 'CATALOG.UNKNOWN_TYPE':
    case 'RESOURCE.UNKNOWN_TYPE':
    case 'SCOPE.UNKNOWN_DIMENSION':
      return '`gatehouse catalog get` lists what the account knows; `gatehouse catalog extend` adds to it';
    case 'USER.ALREADY_MEMBER':
      return '`gatehouse user list` shows the existing member';
    case 'TEAM.NOT_EMPTY':
      return 'remove its members first (`gatehouse team remove-member <team> <USER_ID>`)';
    case 'AUDIT.INVALID_AS_OF':
      return '--as-of takes a revision (a number a write printed, e.g. 42) or a time such as 2026-11-03T10:00:00Z';
    case 'PRINCIPAL.NOT_FOUND':
      return '`gatehouse audit replay --target <id> --order asc` shows when it joined and left';
    case 'CONSISTENCY.NOT_YET_APPLIED':
      return 'the permission cache has not reached that revision yet: retry in a moment';
    case 'EVENT_STORE.UNAVAILABLE':
      return "the server's event store is down: retry later, and look at the server's /readyz and logs";
    case 'CONCURRENCY.CONFLICT':
      return 'another change raced this one: retry';
    case 'ROUTE.NOT_FOUND':
    case 'ROUTE.METHOD_NOT_ALLOWED':
      return 'this server does not have that endpoint: it may be older than this CLI';
    case 'REQUEST.INVALID_BODY':
    case 'REQUEST.INVALID_PARAMETER':
      return 'see the verb\'s --help for the expected arguments';
    default:
      return problem.status >= 500 ? "the server failed: retry, and look at the server's logs" : undefined;
  }
}
