/**
 * The parts of the server's answers the CLI reads to print tables. `--json` prints the
 * answers whole, so fields added by the server reach scripts without a CLI change.
 */

export interface Written {
  revision: string;
}

export interface Member {
  id: string;
  type?: 'user' | 'service_account';
  email?: string;
  name?: string;
  status: string;
  roles: string[];
  teams?: string[];
}

export interface Grant {
  permission: string;
  condition?: string;
}

export interface Role {
  name: string;
  description: string;
  builtIn: boolean;
  grants: Grant[];
  scopes: Record<string, string[]>;
}

export interface ApiKeyCreated extends Written {
  id: string;
  key?: string;
  owner: { type: string; id: string };
  name?: string;
  expiresAt?: string;
  restricted?: boolean;
}

export interface CheckAnswer {
  allowed: boolean;
  reason: string;
  message: string;
  matched?: { role?: string; grant?: string; condition?: string };
  revision: string;
}

export interface List<T> {
  items: T[];
  revision?: string;
  /** Paged lists: pass it back as --cursor for the next page. */
  nextCursor?: string | null;
}
