import { PRESET_NAMES, presetFile } from './presets';

/**
 * docs/presets.md, generated from the preset files so that the documentation cannot
 * drift from the data (a unit test compares the two; `npm run docs:presets` rewrites it).
 */
export function presetsMarkdown(): string {
  const out: string[] = [
    '# Presets',
    '',
    '<!-- Generated from libs/domain/src/presets/*.preset.json by `npm run docs:presets`. Do not edit by hand. -->',
    '',
    'Each account is created from a preset: its built-in roles (immutable, undeletable), its',
    "permission catalog, the names of Gatehouse's management operations in the product's own",
    'vocabulary, and its defaults. The seed tables that hold each preset to its product are in',
    '`libs/domain/src/presets/tables/`.',
    '',
  ];
  for (const name of PRESET_NAMES) {
    const f = presetFile(name);
    out.push(`## ${name}`, '', f.description, '', `Source: \`${f.source}\`. Default role: \`${f.defaultRole}\`.`);
    if (f.defaultTeam) out.push(`Default team: \`${f.defaultTeam}\`.`);
    if (f.adminTeam) out.push(`Global operations need team \`${f.adminTeam.team}\` and role ${f.adminTeam.roles.map((r) => `\`${r}\``).join(' or ')}.`);
    out.push('', '| role | grants |', '|---|---|');
    for (const r of f.roles) {
      const grants = r.grants.map((g) => `\`${g.permission}\`${g.condition === 'any' ? '' : ` (${g.condition})`}`).join(', ');
      const scopes = r.scopes && Object.keys(r.scopes).length > 0 ? `; scopes ${JSON.stringify(r.scopes)}` : '';
      out.push(`| \`${r.name}\` | ${grants || '—'}${scopes} |`);
    }
    out.push('', '| management operation | permission |', '|---|---|');
    for (const [op, permission] of Object.entries(f.operations)) out.push(`| ${op} | \`${permission}\` |`);
    const dims = Object.entries(f.catalog.scopeDimensions);
    out.push('', `Catalog: ${Object.entries(f.catalog.resourceTypes).map(([t, a]) => `\`${t}\` (${a.join(', ')})`).join('; ')}.`);
    if (dims.length > 0) out.push(`Scope dimensions: ${dims.map(([d, t]) => `\`${d}\` → ${t.join(', ')}`).join('; ')}.`);
    out.push('', 'Choices where the seed was silent:', '', ...f.choices.map((c) => `- ${c}`), '');
  }
  return out.join('\n');
}
