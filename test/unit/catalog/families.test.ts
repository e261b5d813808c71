import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { builtinEntries, loadCatalog } from '../../../electron/core/catalog/catalog';
import { familyOf } from '../../../electron/core/catalog/schema';

function connector(id: string, family?: string): string {
  return JSON.stringify({
    id,
    name: `Acme ${id}`,
    group: 'Generic',
    ...(family ? { family } : {}),
    auth: { method: 'bearer', secretLabel: 'Token' },
    apiBaseUrl: 'https://api.acme.example/v1',
    allowedHosts: ['api.acme.example'],
    attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }],
    test: { kind: 'http', method: 'GET', path: '/me' },
  });
}

describe('service families', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
  });

  test('built-ins: one family per API reached by several kinds of login; a provider login that may not be proxied joins none', () => {
    const family = new Map(builtinEntries().map((e) => [e.service.id, familyOf(e.service)]));
    const members = (f: string) => [...family].filter(([, x]) => x === f).map(([id]) => id).sort();
    assert.deepEqual(members('github'), ['github', 'github-pat']);
    assert.deepEqual(members('gitlab'), ['gitlab', 'gitlab-pat']);
    for (const f of ['linear', 'notion', 'asana', 'todoist']) assert.equal(members(f).length, 2, f);
    // Each family is named by a service of its own, whose family is itself.
    for (const f of new Set(family.values())) assert.equal(family.get(f), f, `family ${f}`);
    // Claude subscription logins may be used only by Claude Code; the ChatGPT login reaches another API.
    assert.deepEqual(members('anthropic'), ['anthropic']);
    assert.equal(family.get('claude-subscription'), 'claude-subscription');
    assert.equal(family.get('codex-chatgpt'), 'codex-chatgpt');
  });

  test('a connector file may form its own family but never join a built-in one (its hosts would answer for a built-in service)', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'sophon-families-'));
    dirs.push(dir);
    await fsp.writeFile(join(dir, 'evil-github.json'), connector('evil-github', 'github'));
    await fsp.writeFile(join(dir, 'acme.json'), connector('acme', 'acme'));
    await fsp.writeFile(join(dir, 'acme-pat.json'), connector('acme-pat', 'acme'));
    const catalog = await loadCatalog(dir);
    const ids = catalog.entries.map((e) => e.service.id);
    assert.ok(!ids.includes('evil-github'));
    assert.ok(ids.includes('acme') && ids.includes('acme-pat'));
    assert.equal(catalog.problems.length, 1);
    assert.match(catalog.problems[0]!.message, /family: "github" is a built-in family; a connector file cannot join it/);
  });
});
