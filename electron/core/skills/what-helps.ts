import { familyOf, type CatalogEntry, type ServiceDefinition } from '../catalog/schema';

/**
 * What `sophon connect import --from X` imports logins as (electron/core/import/sources): CLIs only,
 * whose logins a person may hold without knowing Sophon can use them.
 */
const IMPORTED_AS: Record<string, string[]> = {
  gh: ['github-pat', 'github-enterprise'],
  claude: ['claude-subscription'],
  openai: ['codex-chatgpt', 'openai'],
};

/** The services whose connections satisfy a manifest that names `service`: its family, in catalog order. */
export function familyMembers(entries: readonly CatalogEntry[], service: ServiceDefinition): ServiceDefinition[] {
  const family = familyOf(service);
  const members = entries.map((e) => e.service).filter((s) => familyOf(s) === family);
  return members.length ? members : [service];
}

/**
 * For an error about a missing connection: the services that would satisfy it and the commands that
 * can give the person one (adding any of them, importing a CLI login that becomes one). Never
 * `connect reauth`, which cannot create a connection.
 */
export function whatHelps(entries: readonly CatalogEntry[], service: ServiceDefinition): string {
  const members = familyMembers(entries, service);
  const ids = new Set(members.map((s) => s.id));
  const commands = [
    ...members.map((s) => `\`sophon connect add ${s.id}\``),
    ...Object.entries(IMPORTED_AS)
      .filter(([, produced]) => produced.some((id) => ids.has(id)))
      .map(([from]) => `\`sophon connect import --from ${from}\``),
  ];
  const list = commands.length <= 1 ? commands.join('') : `${commands.slice(0, -1).join(', ')} or ${commands.at(-1)!}`;
  return `connect ${members.length > 1 ? `any one of ${members.map((s) => s.id).join(', ')}` : 'it'} with ${list}`;
}
