import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

describe('connector files and a no-auth local service through the CLI', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);

  test('connector new writes a commented template that validates; a broken one is named by field (exit 7)', async () => {
    const made = await sophon(['connector', 'new', 'acme'], { home });
    assert.equal(made.code, 0, made.stderr);
    const file = join(home, 'connectors', 'acme.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(await readFile(file, 'utf8'), /^\/\/ Sophon connector/);
    assert.equal((await sophon(['connector', 'new', 'acme'], { home })).code, 2, 'never overwrites without --force');
    const ok = await sophon(['connector', 'validate', file, '--json'], { home });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<{ ok: boolean }>(ok).ok, true);

    await writeFile(file, (await readFile(file, 'utf8')).replace('"allowedHosts": ["api.example.com"]', '"allowedHosts": ["other.example.com"]'));
    const bad = await sophon(['connector', 'validate', file], { home });
    assert.equal(bad.code, 7);
    assert.match(bad.stderr, /allowedHosts/);
    const listed = await sophon(['connect', 'list', '--available', '--json'], { home });
    assert.equal(listed.code, 0, 'a bad connector never hides the catalog');
    const { services, problems } = json<{ services: { id: string }[]; problems: { file: string }[] }>(listed);
    assert.ok(services.some((s) => s.id === 'github') && !services.some((s) => s.id === 'acme'));
    assert.equal(problems[0]?.file, file);
  });

  test('Ollama: no secret, a local base URL, tested for real', async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/api/version' && !req.headers.authorization ? 200 : 404, { 'content-type': 'application/json' }).end('{"version":"0.9.0"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await sophon(['connect', 'add', 'ollama', '--field', `baseUrl=http://127.0.0.1:${port}`, '--json'], { home });
      assert.equal(r.code, 0, r.stderr);
      const { connection, test: t } = json<{ connection: Connection; test: { status: string } }>(r);
      assert.equal(t.status, 'ok');
      assert.equal(connection.authMethod, 'none');
      assert.equal(connection.fields.baseUrl, `http://127.0.0.1:${port}`);
    } finally {
      server.close();
    }
  });
});
