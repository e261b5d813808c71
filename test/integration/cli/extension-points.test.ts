// The extension points are registries: adding a CLI-login source or a key protector is one new file
// plus its registration in the registry file, and nothing else. Proven on a copy of the source tree:
// exactly those two files are added/changed there, and the new source and protector show up in every
// place that derives from the registry (CLI help and --from, completion, the importer, the settings
// schema, the key info file, vault status) without touching any other file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { tempHome } from '../../helpers/home';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** File 1 of 2 for the source: the implementation. */
const FAKE_SOURCE = `import type { LoginSource } from '../types';

export const fakeCliSource: LoginSource = {
  kind: 'fake-cli',
  name: 'Fake CLI',
  owner: 'fake',
  refresh: 'run \`fake login\`',
  expiredName: 'Fake CLI',
  from: 'fake',
  onStart: true,
  scan: async (se) => ({
    report: { source: 'fake-cli', status: 'ok', messages: [] },
    logins: [{
      key: 'fake-cli:me', source: 'fake-cli', store: se.home + '/.fake', storage: 'file', serviceId: 'openai', account: 'me', host: null, plan: null,
      scopes: [], expiresAt: null, defaultMode: 'copy', copyAllowed: true, policy: null, fields: {}, warnings: [], secret: 'sk-fake-cli-' + 'q'.repeat(40),
    }],
  }),
};
`;

/** File 1 of 2 for the protector: the implementation (a key in a file of its own, enough to prove the wiring). */
const DEMO_PROTECTOR = `import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { KeyProtector } from './key-protector';

export const DemoSettingsSchema = z.looseObject({ Label: z.string().min(1).max(20).default('demo') });

export class DemoProtector implements KeyProtector {
  readonly kind = 'demo';
  constructor(private readonly dir: string) {}
  location(keyId: string): string { return join(this.dir, 'demo-' + keyId); }
  async load(keyId: string): Promise<Buffer | null> {
    try { return Buffer.from(await fsp.readFile(this.location(keyId), 'utf8'), 'hex'); } catch (err) { if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; throw err; }
  }
  async probe(): Promise<void> {}
  async store(keyId: string, key: Buffer): Promise<boolean> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    try { await fsp.writeFile(this.location(keyId), key.toString('hex'), { flag: 'wx', mode: 0o600 }); return true; } catch (err) { if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; throw err; }
  }
  async remove(keyId: string): Promise<void> { await fsp.rm(this.location(keyId), { force: true }); }
}
`;

/** Runs the copy's CLI in-process (electron/cli/main.ts) for each argv and prints what each said, as JSON. */
const RUNNER = `import { main } from './electron/cli/main.ts';
const runs = JSON.parse(process.argv[2]);
const results = [];
for (const argv of runs) {
  let out = '';
  let err = '';
  const io = { out: (t) => (out += t + '\\n'), err: (t) => (err += t + '\\n'), json: (v) => (out += JSON.stringify(v) + '\\n'), color: false, isTTY: false, columns: undefined };
  const code = await main(argv, io, process.env);
  results.push({ argv, code, out, err });
}
process.stdout.write(JSON.stringify(results));
`;

interface Run {
  argv: string[];
  code: number;
  out: string;
  err: string;
}

function runCopy(dir: string, home: string, runs: string[][]): Promise<Run[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runner.mts', JSON.stringify(runs)], {
      cwd: dir,
      env: { ...process.env, SOPHON_HOME: home, SOPHON_USER: 'default', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(stdout) as Run[]);
      } catch {
        reject(new Error(`runner exited ${code}: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** Replaces one exact piece of a file; fails loudly if the anchor moved (the test then needs its new spot). */
async function edit(file: string, anchor: string, replacement: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  assert.ok(text.includes(anchor), `${file} still has: ${anchor}`);
  await writeFile(file, text.replace(anchor, replacement));
}

describe('extension points: a CLI-login source and a key protector are each one file plus one registration', async () => {
  let copy: string;
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'demo' } } });
  const changed: string[] = [];

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'sophon-ext-'));
    for (const dir of ['electron', 'shared']) await cp(join(ROOT, dir), join(copy, dir), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(copy, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    await writeFile(join(copy, 'runner.mts'), RUNNER);

    // The CLI-login source: its file, and its line in the registry.
    await writeFile(join(copy, 'electron/core/import/sources/fake-cli.ts'), FAKE_SOURCE);
    changed.push('electron/core/import/sources/fake-cli.ts');
    const sources = join(copy, 'electron/core/import/sources/registry.ts');
    await edit(sources, "import { ghSource } from './gh';", "import { ghSource } from './gh';\nimport { fakeCliSource } from './fake-cli';");
    await edit(sources, 'openAiFileSource, envSource];', 'openAiFileSource, envSource, fakeCliSource];');
    changed.push('electron/core/import/sources/registry.ts');

    // The key protector: its file, and its entry in the registry.
    await writeFile(join(copy, 'electron/core/keys/demo-protector.ts'), DEMO_PROTECTOR);
    changed.push('electron/core/keys/demo-protector.ts');
    const keys = join(copy, 'electron/core/keys/registry.ts');
    await edit(keys, "import { FileKeyProtector } from './file-protector';", "import { FileKeyProtector } from './file-protector';\nimport { DemoProtector, DemoSettingsSchema } from './demo-protector';");
    await edit(
      keys,
      'const REGISTRY = {',
      "const REGISTRY = {\n  demo: entry({ description: 'a demo key file, for the extension test', settings: { key: 'Demo', schema: DemoSettingsSchema }, create: ({ paths }) => new DemoProtector(paths.securityDir) }),",
    );
    changed.push('electron/core/keys/registry.ts');
  });
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
    await cleanup();
  });

  test('two files each: the implementation and the registry', () => {
    assert.deepEqual(changed.filter((f) => f.includes('/import/')), ['electron/core/import/sources/fake-cli.ts', 'electron/core/import/sources/registry.ts']);
    assert.deepEqual(changed.filter((f) => f.includes('/keys/')), ['electron/core/keys/demo-protector.ts', 'electron/core/keys/registry.ts']);
  });

  test('the new source is in --from, its help and completion, the scan, and imports like the others', async () => {
    const [help, completion, dry, imported, list, badFrom] = await runCopy(copy, home, [
      ['connect', 'import', '--help'],
      ['__complete', 'connect', 'import', '--from', ''],
      ['connect', 'import', '--from', 'fake', '--dry-run', '--json'],
      ['connect', 'import', '--from', 'fake', '--all', '--json'],
      ['connect', 'list', '--json'],
      ['connect', 'import', '--from', 'nope'],
    ]);
    assert.match(help!.out, /only this source: gh, claude, openai, env, fake/);
    assert.deepEqual(completion!.out.trim().split('\n'), ['gh', 'claude', 'openai', 'env', 'fake']);
    const scan = JSON.parse(dry!.out) as { sources: { source: string; status: string }[]; logins: { key: string; sourceName: string }[] };
    assert.deepEqual(scan.sources, [{ source: 'fake-cli', status: 'ok', messages: [] }]);
    assert.deepEqual(scan.logins.map((l) => [l.key, l.sourceName]), [['fake-cli:me', 'Fake CLI']]);
    assert.equal(imported!.code, 0, imported!.err);
    assert.deepEqual((JSON.parse(imported!.out) as { imported: { key: string; mode: string }[] }).imported.map((i) => [i.key, i.mode]), [['fake-cli:me', 'copy']]);
    const rows = JSON.parse(list!.out) as { connections: { label: string; serviceId: string }[] } | { label: string; serviceId: string }[];
    const connections = Array.isArray(rows) ? rows : rows.connections;
    assert.deepEqual(connections.map((c) => [c.serviceId, c.label]), [['openai', 'me via fake']]);
    assert.equal(badFrom!.code, 2);
    assert.match(badFrom!.err, /gh.*claude.*openai.*env.*fake/);
  });

  test('the new protector is a settings kind with its own validated section, in vault --help, and keeps the vault key', async () => {
    // The import above wrote a credential: the vault key was created and kept by the demo protector.
    const [help, status] = await runCopy(copy, home, [['vault', '--help'], ['vault', 'status', '--json']]);
    assert.match(help!.out, /^ +demo: a demo key file, for the extension test$/m);
    assert.equal(status!.code, 0, status!.err);
    const s = JSON.parse(status!.out) as { keyProtector: { kind: string; location: string; reachable: boolean }; credentials: number };
    assert.equal(s.keyProtector.kind, 'demo');
    assert.equal(s.keyProtector.reachable, true);
    assert.ok(s.keyProtector.location.startsWith(join(home, 'security', 'demo-')), s.keyProtector.location);
    assert.equal(s.credentials, 1);
    const keyinfo = JSON.parse(await readFile(join(home, 'security', 'keyinfo.json'), 'utf8')) as { protector: string };
    assert.equal(keyinfo.protector, 'demo');

    // Its own section (Sophon.Vault.Demo) is part of the one settings schema.
    await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Vault: { KeyProtector: 'demo', Demo: { Label: 5 } } } }));
    const [bad] = await runCopy(copy, home, [['vault', 'status']]);
    assert.notEqual(bad!.code, 0);
    assert.match(bad!.err, /Sophon\.Vault\.Demo\.Label/);
  });
});
