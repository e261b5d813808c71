import { BUILTIN_SERVICES } from './builtin';

let builtinNames: Map<string, string> | undefined;

/**
 * The name the catalog gives each of these service ids, without building the catalog when they are
 * all built-in: listing connections needs only names, and parsing every built-in definition and
 * reading every connector file cost more than the rest of a `connect list`. A built-in id always
 * names the built-in service (loadCatalog refuses a connector that reuses one), and built-in
 * definitions are our own code, checked by the test suite, so their names are read as written. Any
 * other id loads the whole catalog: connector files are validated as always. An id that is in no
 * catalog has no name here.
 */
export async function serviceNames(connectorsDir: string, ids: Iterable<string>): Promise<Map<string, string>> {
  builtinNames ??= new Map(BUILTIN_SERVICES.map((s) => [s.id, s.name]));
  const names = new Map<string, string>();
  let connectors = false;
  for (const id of ids) {
    const name = builtinNames.get(id);
    if (name === undefined) connectors = true;
    else names.set(id, name);
  }
  if (connectors) {
    const { loadCatalog } = await import('./catalog');
    for (const { service, source } of (await loadCatalog(connectorsDir)).entries) {
      if (source.kind === 'connector') names.set(service.id, service.name);
    }
  }
  return names;
}
