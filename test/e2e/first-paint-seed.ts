// Seeds first-paint.test.ts's SOPHON_HOME through the core: `node --import tsx first-paint-seed.ts HOME
// COUNT SERVICE...` adds COUNT API-key connections over the services in turn (untested), then sets the
// states the first paint must show. A child process under tsx, because the core's imports load under tsx
// and esbuild but not under Playwright's own loader (jsonc-parser's ESM build names its files without
// extensions).
import { openCoreInternals } from '../helpers/internals';

const [home, count, ...services] = process.argv.slice(2);
if (!home || !count || services.length === 0) throw new Error('usage: first-paint-seed.ts HOME COUNT SERVICE...');

const core = await openCoreInternals({ home });
try {
  const ids: string[] = [];
  for (let i = 0; i < Number(count); i++) {
    ids.push((await core.connections.add('default', { serviceId: services[i % services.length]!, label: `Key ${i}`, secret: `sk-first-paint-${i}-${'x'.repeat(32)}`, test: false })).connection.id);
  }
  // In the first group (Anthropic): "Key 1" needs re-auth, "Key 4" failed its last test, "Key 7" passed it.
  core.store.setState(ids[1]!, 'needs_reauth', 'The refresh token was revoked.');
  core.store.recordTest(ids[4]!, { status: 'rejected', message: 'HTTP 401', elapsedMs: 12, statusCode: 401 });
  core.store.recordTest(ids[7]!, { status: 'ok', message: 'HTTP 200', elapsedMs: 9, statusCode: 200 });
} finally {
  core.close();
}
