import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { claudeAccount, claudeCredentials, cliStores, codexApiKeyAuth, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const HOUR = 3600_000;

interface Report {
  sources: { source: string; status: string; messages: string[] }[];
  logins: { key: string; source: string; account: string | null; host: string | null; plan: string | null; expiresAt: string | null; expired: boolean; importedAs: string | null; mode: string; serviceId: string }[];
  imported: { key: string; connectionId: string; mode: string }[];
  skipped: { key: string; reason: string }[];
  dryRun: boolean;
  hint?: string | null;
}

describe('sophon connect import', async () => {
  const stores = await cliStores();
  const { home, cleanup } = await tempHome();
  afterAll(async () => {
    await cleanup();
    await stores.cleanup();
  });
  const claudeFile = join(stores.claudeDir, '.credentials.json');
  const ghFile = join(stores.ghDir, 'hosts.yml');
  const codexFile = join(stores.codexHome, 'auth.json');
  await writeStore(claudeFile, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), refreshToken: fakeToken('sk-ant-ort01-'), expiresAt: Date.now() - HOUR, scopes: ['user:inference'], subscriptionType: 'max' }));
  await writeStore(join(stores.home, '.claude.json'), claudeAccount('acc-1', 'ada@example.com'));
  await writeStore(ghFile, ghHostsOld({ 'github.com': { user: 'octocat', token: fakeToken('gho_') } }));
  await writeStore(codexFile, codexApiKeyAuth(fakeToken('sk-proj-')));
  const env = { ...stores.env, GH_TOKEN: fakeToken('ghp_env') };
  const run = (args: string[]) => sophon(args, { home, env });
  const before = await Promise.all([claudeFile, ghFile, codexFile].map(async (f) => ({ f, data: await readFile(f), mtime: (await stat(f)).mtimeMs })));

  test('without a terminal and without --all it lists what it found and says how to import', async () => {
    const r = await run(['connect', 'import']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SOURCE\s+ACCOUNT\s+HOST\s+SERVICE\s+PLAN \/ SCOPES\s+EXPIRES\s+MODE\s+IMPORTED/);
    assert.match(r.stdout, /Claude Code\s+ada@example\.com\s+-\s+claude-subscription\s+max \/ user:inference\s+\S+ \S+ \(expired\)\s+linked\s+no/);
    assert.match(r.stdout, /GitHub CLI \(gh\)\s+octocat\s+github\.com\s+github-pat/);
    assert.match(r.stdout, /environment variable \$GH_TOKEN/);
    assert.match(r.stdout, /note: Claude Code: .*only in Claude Code itself/);
    assert.match(r.stderr, /Nothing was imported: run `sophon connect import --all`/);
    const list = json<{ connections: unknown[] }>(await run(['connect', 'list', '--json']));
    assert.deepEqual(list.connections, []);
  });

  test('--dry-run --all lists only; --from limits the sources; a bad --from is a usage error', async () => {
    const dry = json<Report>(await run(['connect', 'import', '--dry-run', '--all', '--json']));
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.imported, []);
    assert.equal('hint' in dry, false, 'no advice for people in --json');
    assert.deepEqual(dry.sources.map((s) => s.source), ['gh', 'claude', 'codex', 'openai-file', 'env']);
    const openai = json<Report>(await run(['connect', 'import', '--from', 'openai', '--json']));
    assert.deepEqual(openai.sources.map((s) => [s.source, s.status]), [['codex', 'ok'], ['openai-file', 'missing']]);
    assert.deepEqual(openai.logins.map((l) => [l.key, l.serviceId]), [[`codex:${stores.codexHome}:api-key`, 'openai']]);
    const bad = await run(['connect', 'import', '--from', 'chatgpt']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /from/);
  });

  test('two processes importing at once still import each login once', async () => {
    const { home: raceHome, cleanup: raceCleanup } = await tempHome();
    try {
      const [a, b] = await Promise.all([0, 1].map(() => sophon(['connect', 'import', '--all', '--from', 'claude', '--json'], { home: raceHome, env })));
      assert.equal(a!.code, 0, a!.stderr);
      assert.equal(b!.code, 0, b!.stderr);
      const total = json<Report>(a!).imported.length + json<Report>(b!).imported.length;
      assert.equal(total, 1);
      const list = json<{ connections: unknown[] }>(await sophon(['connect', 'list', '--json'], { home: raceHome, env }));
      assert.equal(list.connections.length, 1);
    } finally {
      await raceCleanup();
    }
  });

  test('--all imports each login once; running it again imports nothing twice', async () => {
    const first = json<Report>(await run(['connect', 'import', '--all', '--json']));
    assert.deepEqual(first.imported.map((i) => [i.key, i.mode]).sort(), [
      [`claude:${stores.claudeDir}:acc-1`, 'linked'],
      [`codex:${stores.codexHome}:api-key`, 'linked'],
      ['env:GH_TOKEN', 'copy'],
      ['gh:github.com:octocat', 'linked'],
    ]);
    assert.ok(first.logins.every((l) => l.importedAs !== null));
    const second = json<Report>(await run(['connect', 'import', '--all', '--json']));
    assert.deepEqual(second.imported, []);
    assert.deepEqual(second.logins.map((l) => l.importedAs).sort(), first.imported.map((i) => i.connectionId).sort());
    const list = json<{ connections: { id: string; serviceId: string; fields: Record<string, string>; state: string; account: string | null }[] }>(await run(['connect', 'list', '--json']));
    assert.equal(list.connections.length, 4);
    const gh = list.connections.find((c) => c.fields.importKey === 'gh:github.com:octocat')!;
    assert.equal(gh.serviceId, 'github-pat');
    assert.equal(gh.account, 'octocat');
    assert.equal(gh.fields.importMode, 'linked');
    const audit = json<{ rows: { action: string; outcome: string; connectionId: string | null }[] }>(await run(['audit', '--json']));
    assert.equal(audit.rows.filter((r) => r.action === 'import' && r.outcome === 'ok' && r.connectionId !== null).length, 4);
  });

  test('connect test / status of an expired Claude login: exit 4, "run `claude` to refresh", needs_reauth — and the CLIs\' own files are never changed', async () => {
    const id = (json<Report>(await run(['connect', 'import', '--from', 'claude', '--json']))).logins[0]!.importedAs!;
    const t = await run(['connect', 'test', id]);
    assert.equal(t.code, 4, t.stdout + t.stderr);
    assert.match(t.stdout, /run `claude` to refresh, or connect with an API key/);
    const status = json<{ state: string; stateReason: string }>(await run(['connect', 'status', id, '--json']));
    assert.equal(status.state, 'needs_reauth');
    assert.match(status.stateReason, /expired/);
    const removed = json<{ revocation: string }>(await run(['connect', 'remove', id, '--yes', '--json']));
    assert.equal(removed.revocation, 'not_applicable', 'removing an import never revokes the CLI\'s token');
    for (const b of before) {
      assert.ok((await readFile(b.f)).equals(b.data), `${b.f} unchanged`);
      assert.equal((await stat(b.f)).mtimeMs, b.mtime);
    }
  });

  test('on a terminal, the logins to import are picked from a list', async () => {
    const session = `sophon-import-${process.pid}`;
    const { home: pickHome, cleanup: pickCleanup } = await tempHome();
    const envLine = Object.entries({ HOME: stores.home, GH_CONFIG_DIR: stores.ghDir, CODEX_HOME: stores.codexHome, XDG_CONFIG_HOME: join(stores.home, '.config'), SOPHON_HOME: pickHome, NO_COLOR: '1' })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    try {
      tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `env -u GH_TOKEN -u GITHUB_TOKEN ${envLine} ${process.execPath} ${BIN} connect import --from gh; echo EXIT:$?; sleep 30`);
      let screen = await screenUntil(session, /Import which logins/);
      // What was found is shown before the question.
      assert.match(screen, /SOURCE.*\n1 +GitHub CLI \(gh\) +octocat +github\.com +github-pat[^\n]*\n[^\n]*Import which logins/);
      assert.match(screen, /GitHub CLI \(gh\): octocat on github\.com → github-pat/);
      tmux('send-keys', '-t', session, ' ');
      tmux('send-keys', '-t', session, 'Enter');
      screen = await screenUntil(session, /EXIT:\d+/);
      assert.match(screen, /Imported GitHub CLI \(gh\): octocat on github\.com → github-pat as github-pat-[0-9a-f]{10} \(linked\)/);
      assert.doesNotMatch(screen, /gh:github\.com/, 'no internal key');
      assert.match(screen, /EXIT:0/);
    } finally {
      endSession(session);
      await pickCleanup();
    }
  });

  test('on a terminal, a login the broker cannot use (a Claude subscription) is explained, not offered', async () => {
    const session = `sophon-import-claude-${process.pid}`;
    const { home: pickHome, cleanup: pickCleanup } = await tempHome();
    const envLine = Object.entries({ HOME: stores.home, CODEX_HOME: stores.codexHome, XDG_CONFIG_HOME: join(stores.home, '.config'), SOPHON_HOME: pickHome, NO_COLOR: '1' })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    try {
      tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `${envLine} ${process.execPath} ${BIN} connect import --from claude; echo EXIT:$?; sleep 30`);
      const screen = await screenUntil(session, /EXIT:\d+/);
      assert.match(screen, /Claude Code +ada@example\.com/);
      assert.match(screen, /note: Claude Code: .*only in Claude Code itself/);
      assert.doesNotMatch(screen, /Import which logins/);
      assert.match(screen, /EXIT:0/);
    } finally {
      endSession(session);
      await pickCleanup();
    }
  });
});
