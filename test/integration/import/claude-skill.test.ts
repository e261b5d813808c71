import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { claudeAccount, claudeCredentials, cliStores, fakeToken, writeStore } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';

const HOUR = 3600_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// The skill reports what it was handed without printing it (output is masked anyway): its hash.
const REPORT = `import { createHash } from 'node:crypto';
const v = process.env.SOPHON_CREDENTIAL_CLAUDE_SUBSCRIPTION ?? '';
console.log(JSON.stringify({ sha256: createHash('sha256').update(v).digest('hex'), broker: 'SOPHON_BROKER_TOKEN' in process.env }));`;

async function skill(root: string, id: string, access: 'proxy' | 'injected'): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  const manifest = { id, name: id, tools: [{ name: 'run', command: ['node', 'report.mjs'] }], credentials: [{ service: 'claude-subscription', access }] };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'report.mjs'), REPORT);
  return dir;
}

describe('an imported Claude Code login and skills', async () => {
  const stores = await cliStores();
  const { home, cleanup } = await tempHome();
  const skills = await mkdtemp(join(tmpdir(), 'sophon-skills-'));
  afterAll(async () => {
    await cleanup();
    await stores.cleanup();
    await rm(skills, { recursive: true, force: true });
  });
  const accessToken = fakeToken('sk-ant-oat01-');
  await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken, refreshToken: fakeToken('sk-ant-ort01-'), expiresAt: Date.now() + HOUR, scopes: ['user:inference'], subscriptionType: 'pro' }));
  await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-9', 'grace@example.com'));
  const run = (args: string[]) => sophon(args, { home, env: stores.env });

  test('is handed, linked and current, to a skill that runs `claude` (injected), and never through the proxy', async () => {
    const imported = json<{ imported: { connectionId: string }[] }>(await run(['connect', 'import', '--all', '--from', 'claude', '--json']));
    assert.equal(imported.imported.length, 1);
    const id = imported.imported[0]!.connectionId;

    const injected = await run(['skill', 'run', await skill(skills, 'claude-runner', 'injected'), '--tool', 'run']);
    assert.equal(injected.code, 0, injected.stderr);
    assert.deepEqual(JSON.parse(injected.stdout), { sha256: sha256(accessToken), broker: false });

    const proxied = await run(['skill', 'run', await skill(skills, 'claude-proxy', 'proxy'), '--tool', 'run']);
    assert.notEqual(proxied.code, 0);
    assert.equal(proxied.stdout, '', 'the skill never ran');
    assert.match(proxied.stderr, /only in Claude Code itself/);

    const audit = json<{ rows: { skill: string | null; action: string; outcome: string; connectionId: string | null }[] }>(await run(['audit', '--json']));
    assert.ok(audit.rows.some((r) => r.skill === 'claude-runner' && r.action === 'use' && r.outcome === 'ok' && r.connectionId === id));
    assert.ok(audit.rows.some((r) => r.skill === 'claude-proxy' && r.outcome === 'denied' && r.connectionId === id));
    for (const r of [imported, injected, proxied, audit]) assert.ok(!JSON.stringify(r).includes(accessToken));
  });
});
