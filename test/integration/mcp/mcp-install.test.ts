import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { parse as parseJsonc } from 'jsonc-parser';
import { sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

/** Each client's user-level file under a HOME on Linux (see electron/core/mcp/clients.ts) and where Sophon's entry sits. */
const CLIENTS = [
  { client: 'claude-code', file: '.claude.json', key: 'mcpServers', type: 'stdio' },
  { client: 'claude-desktop', file: '.config/Claude/claude_desktop_config.json', key: 'mcpServers', type: undefined },
  { client: 'cursor', file: '.cursor/mcp.json', key: 'mcpServers', type: 'stdio' },
  { client: 'vscode', file: '.config/Code/User/mcp.json', key: 'servers', type: 'stdio' },
] as const;

describe('sophon mcp install / uninstall (a temporary HOME per client)', async () => {
  let sophonHome = '';
  let cleanupHome: () => Promise<void> = async () => undefined;
  const homes: string[] = [];
  beforeAll(async () => {
    ({ home: sophonHome, cleanup: cleanupHome } = await tempHome());
  });
  afterAll(async () => {
    for (const h of homes) await rm(h, { recursive: true, force: true });
    await cleanupHome();
  });
  const newHome = async () => {
    const h = await mkdtemp(join(tmpdir(), 'sophon-mcp-home-'));
    homes.push(h);
    return h;
  };
  const run = (home: string, args: string[]) => sophon(['mcp', ...args], { home: sophonHome, env: { HOME: home, XDG_CONFIG_HOME: '', CODEX_HOME: '' } });
  const expectedLaunch = () => ({ command: process.execPath, args: [BIN, 'mcp'], env: { SOPHON_HOME: sophonHome } });

  for (const c of CLIENTS) {
    test(`${c.client}: created, merged keeping other keys, idempotent, uninstalled, malformed left untouched, dry run writes nothing`, async () => {
      const home = await newHome();
      const file = join(home, c.file);

      const dry = await run(home, ['install', '--client', c.client, '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /Would create/);
      await assert.rejects(stat(file), /ENOENT/, '--dry-run wrote nothing');

      const created = await run(home, ['install', '--client', c.client]);
      assert.equal(created.code, 0, created.stderr);
      const doc = JSON.parse(await readFile(file, 'utf8'));
      assert.deepEqual(doc[c.key].sophon, { ...(c.type ? { type: c.type } : {}), ...expectedLaunch() });
      assert.equal((await stat(file)).mode & 0o777, 0o600);

      // An existing file with other servers and settings: merged, every other key kept, a backup made.
      const other = await newHome();
      const otherFile = join(other, c.file);
      await mkdir(dirname(otherFile), { recursive: true });
      const otherServer = { command: 'npx', args: ['-y', 'x'] };
      const existing = { theme: 'dark', [c.key]: { other: otherServer }, nested: { keep: [1, 2, 3] } };
      const existingText = `${JSON.stringify(existing, null, 4)}\n`;
      await writeFile(otherFile, existingText);
      const merged = await run(other, ['install', '--client', c.client]);
      assert.equal(merged.code, 0, merged.stderr);
      assert.match(merged.stdout, /Updated .*previous file is kept as .*\.sophon-backup/);
      const mergedDoc = JSON.parse(await readFile(otherFile, 'utf8'));
      assert.deepEqual(mergedDoc.theme, 'dark');
      assert.deepEqual(mergedDoc.nested, existing.nested);
      assert.deepEqual(mergedDoc[c.key].other, otherServer);
      assert.equal(mergedDoc[c.key].sophon.command, process.execPath);
      assert.equal(await readFile(`${otherFile}.sophon-backup`, 'utf8'), existingText);
      assert.match(await readFile(otherFile, 'utf8'), /^ {4}"theme": "dark",$/m, 'the file keeps its own formatting');

      const mergedText = await readFile(otherFile, 'utf8');
      const again = await run(other, ['install', '--client', c.client]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing changed/);
      assert.equal(await readFile(otherFile, 'utf8'), mergedText, 're-running changes nothing');

      const dryUn = await run(other, ['uninstall', '--client', c.client, '--dry-run']);
      assert.match(dryUn.stdout, /Would remove Sophon from/);
      assert.equal(await readFile(otherFile, 'utf8'), mergedText);
      const removed = await run(other, ['uninstall', '--client', c.client]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(await readFile(otherFile, 'utf8'), existingText, 'uninstall restores the file byte for byte');
      assert.match((await run(other, ['uninstall', '--client', c.client])).stdout, /nothing changed/);

      // A malformed file: left exactly as it was, with an error naming it.
      const broken = '{ "mcpServers": { "other": { "command": "npx", } ';
      await writeFile(file, broken);
      const refused = await run(home, ['install', '--client', c.client]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON .*left untouched`));
      assert.equal(await readFile(file, 'utf8'), broken);
    });
  }

  test('vscode: a user mcp.json with comments and trailing commas is merged with its comments kept', async () => {
    const home = await newHome();
    const file = join(home, '.config/Code/User/mcp.json');
    await mkdir(dirname(file), { recursive: true });
    const original = '{\n  // my servers\n  "servers": {\n    "memory": { "command": "npx", "args": ["-y", "m"], },\n  },\n  "inputs": [],\n}\n';
    await writeFile(file, original);
    const r = await run(home, ['install', '--client', 'vscode']);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(file, 'utf8');
    assert.match(text, /\/\/ my servers/);
    assert.match(text, /"sophon": \{/);
    assert.equal((await run(home, ['uninstall', '--client', 'vscode'])).code, 0);
    // jsonc-parser re-indents the object it edits when it has trailing commas: same content, comments kept.
    const restored = await readFile(file, 'utf8');
    assert.deepEqual(parseJsonc(restored), parseJsonc(original));
    assert.match(restored, /^\{\n {2}\/\/ my servers\n/);
  });

  test('codex: TOML table appended, replaced, removed; other bytes kept; a file it cannot edit safely is refused', async () => {
    const home = await newHome();
    const file = join(home, '.codex', 'config.toml');
    await mkdir(dirname(file), { recursive: true });
    const original = '# Codex settings\nmodel = "o3"  # fast\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "docs-mcp"]\n\n[profiles.deep]\nmodel = "o3-pro"\n';
    await writeFile(file, original);

    const dry = await run(home, ['install', '--client', 'codex', '--dry-run']);
    assert.match(dry.stdout, /Would update/);
    assert.equal(await readFile(file, 'utf8'), original);

    const installed = await run(home, ['install', '--client', 'codex']);
    assert.equal(installed.code, 0, installed.stderr);
    const text = await readFile(file, 'utf8');
    assert.ok(text.startsWith(original), 'every byte before is kept');
    assert.equal(
      text.slice(original.length),
      `\n[mcp_servers.sophon]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(BIN)}, "mcp"]\nenv = { SOPHON_HOME = ${JSON.stringify(sophonHome)} }\n`,
    );
    assert.match((await run(home, ['install', '--client', 'codex'])).stdout, /nothing changed/);
    assert.equal(await readFile(file, 'utf8'), text);

    const removed = await run(home, ['uninstall', '--client', 'codex']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(await readFile(file, 'utf8'), original, 'uninstall restores the file byte for byte');

    const ambiguous = '[mcp_servers]\nsophon = { command = "mine" }\n';
    await writeFile(file, ambiguous);
    const refused = await run(home, ['install', '--client', 'codex']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /config\.toml: .*unambiguously; it was left untouched/);
    assert.equal(await readFile(file, 'utf8'), ambiguous);
  });

  test('an unknown client is a usage error naming the choices', async () => {
    const r = await run(await newHome(), ['install', '--client', 'emacs']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /claude-code\|claude-desktop\|codex\|cursor\|vscode/);
  });
});
