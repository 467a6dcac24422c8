import { AccessModel, Condition, CONDITIONS, Grant, isKnownPermission, Operation, RoleDefinition } from '../access/model';
import adaptive from './adaptive.preset.json';
import custom from './custom.preset.json';
import firefly from './firefly.preset.json';
import fireworks from './fireworks.preset.json';
import predibase from './predibase.preset.json';

/**
 * Presets are data files: built-in roles, grants, catalog and the names of Gatehouse's
 * management operations in the product's own vocabulary. `choices` lists where the
 * seed was silent and what we inferred.
 */
export interface PresetFile {
  name: string;
  source: string;
  description: string;
  defaultRole: string;
  adminRoles: string[];
  defaultTeam?: string;
  teams?: string[];
  adminTeam?: { team: string; roles: string[] };
  catalog: { resourceTypes: Record<string, string[]>; scopeDimensions: Record<string, string[]> };
  operations: Partial<Record<Operation, string>>;
  roles: { name: string; description: string; grants: { permission: string; condition: string }[]; scopes?: Record<string, string[]> }[];
  choices: string[];
}

export const PRESET_NAMES = ['fireworks', 'predibase', 'firefly', 'adaptive', 'custom'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const FILES: Record<PresetName, PresetFile> = { fireworks, predibase, firefly, adaptive, custom };

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** The access model an account created with this preset starts from. */
export function presetModel(name: PresetName): AccessModel {
  return toModel(FILES[name]);
}

export function presetFile(name: PresetName): PresetFile {
  return FILES[name];
}

/** Validates a preset file: a broken preset must fail loudly at load, not at a check. */
export function toModel(file: PresetFile): AccessModel {
  const catalog = { resourceTypes: { ...file.catalog.resourceTypes }, scopeDimensions: { ...file.catalog.scopeDimensions } };
  const roles: RoleDefinition[] = file.roles.map((r) => ({
    name: r.name,
    description: r.description,
    builtIn: true,
    grants: r.grants.map((g): Grant => {
      if (!(CONDITIONS as readonly string[]).includes(g.condition)) {
        throw new Error(`preset ${file.name}: role ${r.name}: unknown condition ${g.condition}`);
      }
      if (!isKnownPermission(catalog, g.permission)) {
        throw new Error(`preset ${file.name}: role ${r.name}: unknown permission ${g.permission}`);
      }
      return { permission: g.permission, condition: g.condition as Condition };
    }),
    scopes: r.scopes ?? {},
  }));
  const names = new Set(roles.map((r) => r.name));
  for (const role of [file.defaultRole, ...file.adminRoles, ...(file.adminTeam?.roles ?? [])]) {
    if (!names.has(role)) throw new Error(`preset ${file.name}: role ${role} is not defined`);
  }
  const teams = file.teams ?? [];
  for (const team of [file.defaultTeam, file.adminTeam?.team]) {
    if (team !== undefined && !teams.includes(team)) throw new Error(`preset ${file.name}: team ${team} is not in teams`);
  }
  for (const [dimension, types] of Object.entries(catalog.scopeDimensions)) {
    for (const t of types) {
      if (!catalog.resourceTypes[t]) throw new Error(`preset ${file.name}: scope dimension ${dimension} names unknown type ${t}`);
    }
  }
  for (const r of roles) {
    for (const dimension of Object.keys(r.scopes)) {
      if (!catalog.scopeDimensions[dimension]) throw new Error(`preset ${file.name}: role ${r.name}: unknown scope dimension ${dimension}`);
    }
  }
  for (const [op, permission] of Object.entries(file.operations)) {
    if (permission && !isKnownPermission(catalog, permission)) {
      throw new Error(`preset ${file.name}: operation ${op} names unknown permission ${permission}`);
    }
  }
  return {
    preset: file.name,
    catalog,
    roles,
    defaultRole: file.defaultRole,
    ...(file.defaultTeam ? { defaultTeam: file.defaultTeam } : {}),
    teams: [...teams],
    adminRoles: [...file.adminRoles],
    ...(file.adminTeam ? { adminTeam: { team: file.adminTeam.team, roles: [...file.adminTeam.roles] } } : {}),
    operations: { ...file.operations },
  };
}
