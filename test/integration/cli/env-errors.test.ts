import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon, type CliResult } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs';

const SETTINGS = JSON.stringify({ Sophon: { Vault: { KeyProtector: 'file' } } });
const SECRET = 'sk-env-errors-0123456789abcdef';

/** stderr as lines, checking it is exactly `count` of them. */
function stderrLines(r: CliResult, count: number): string[] {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, count, `stderr: ${r.stderr}`);
  return lines;
}

async function addConnection(home: string, label: string): Promise<string> {
  const r = await sophon(['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--label', label, '--json'], { home, stdin: SECRET });
  assert.equal(r.code, 0, r.stderr);
  return json<{ connection: { id: string } }>(r).connection.id;
}

/** Every file of the vault folder with its content: what must survive a broken database untouched. */
async function vaultFolder(home: string): Promise<Record<string, string>> {
  const dir = join(home, 'vault');
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[name] = (await readFile(join(dir, name))).toString('base64');
  return files;
}

describe('a damaged sophon.db: exit 6, one line naming the file and `sophon vault recover`, the vault folder untouched', () => {
  let home: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    await addConnection(home, 'Work');
  });
  afterAll(() => cleanup?.());

  const damages: [string, (db: Buffer) => Buffer][] = [
    ['truncated', (db) => db.subarray(0, 1000)],
    ['garbage', () => randomBytes(8192)],
  ];
  for (const [kind, damage] of damages) {
    test(kind, async () => {
      const file = join(home, 'sophon.db');
      const good = await readFile(file);
      const vaultBefore = await vaultFolder(home);
      await writeFile(file, damage(good));
      try {
        // The plain list (its own bundle), the same through commander, a reading and a writing command.
        for (const args of [['connect', 'list'], ['--no-color', 'connect', 'list'], ['audit'], ['connect', 'rename', 'Work', 'Home']]) {
          const r = await sophon(args, { home });
          assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
          const [line] = stderrLines(r, 1);
          assert.ok(line!.startsWith(`sophon: ${file} is damaged or not a Sophon database (SQLITE_`), line);
          assert.match(line!, /run `sophon vault recover` to rebuild it from the vault files\.$/);
          assert.equal(r.stdout, '');
        }
        assert.deepEqual(await vaultFolder(home), vaultBefore, 'nothing in the vault folder changed');
      } finally {
        await writeFile(file, good);
        await rm(`${file}-wal`, { force: true });
        await rm(`${file}-shm`, { force: true });
      }
    });
  }
});

describe('SOPHON_HOME on a read-only mount: reading commands work, writing ones exit 6 with one line naming the folder', () => {
  let fs: Tmpfs;
  let home: string;
  let id: string;
  beforeAll(async () => {
    fs = await mountTmpfs(4096);
    home = join(fs.dir, 'home');
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'config', 'appsettings.json'), SETTINGS);
    id = await addConnection(home, 'Work');
    fs.readOnly(true);
  });
  afterAll(async () => {
    fs?.readOnly(false);
    await fs?.cleanup();
  });

  test('connect list (both forms), vault status and audit', async () => {
    const plain = await sophon(['connect', 'list', '--json'], { home });
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(json<{ connections: { id: string; label: string }[] }>(plain).connections.map((c) => [c.id, c.label]), [[id, 'Work']]);
    const viaCommander = await sophon(['--no-color', 'connect', 'list'], { home });
    assert.equal(viaCommander.code, 0, viaCommander.stderr);
    assert.match(viaCommander.stdout, new RegExp(`${id} +openai +Work`));
    assert.equal(viaCommander.stdout, (await sophon(['connect', 'list'], { home })).stdout);

    const status = await sophon(['vault', 'status', '--json'], { home });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(json<{ credentials: number }>(status).credentials, 1);

    const audit = await sophon(['audit', '--json'], { home });
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(json<{ rows: { action: string; connectionId: string }[] }>(audit).rows.map((r) => [r.action, r.connectionId]), [['add', id]]);
  });

  test('writing commands', async () => {
    for (const [args, stdin] of [[['connect', 'rename', 'Work', 'Home']], [['connect', 'add', 'openai', '--secret-stdin', '--no-test'], SECRET], [['connector', 'new', 'mine']]] as [string[], string?][]) {
      const r = await sophon(args, { home, stdin });
      assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
      const [line] = stderrLines(r, 1);
      assert.match(line!, new RegExp(`^sophon: Cannot write ${home}/\\S+: ${home} is on a read-only file system \\(EROFS\\); make it writable, or set SOPHON_HOME to a writable folder\\.$`), args.join(' '));
      assert.ok(!r.stderr.includes(SECRET));
    }
  });
});

describe('a full disk: reading commands work, writing ones exit 6 with one line, nothing half-written', () => {
  let fs: Tmpfs;
  let home: string;
  beforeAll(async () => {
    fs = await mountTmpfs(1024);
    home = join(fs.dir, 'home');
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'config', 'appsettings.json'), SETTINGS);
    await addConnection(home, 'Work');
    await fs.fill();
  });
  afterAll(() => fs?.cleanup());

  test('add and rename fail with one line; list shows what was there; with space again add works', async () => {
    const vaultBefore = await vaultFolder(home);
    for (const [args, stdin] of [[['connect', 'add', 'openai', '--secret-stdin', '--no-test', '--label', 'Two'], SECRET], [['connect', 'rename', 'Work', 'Home']]] as [string[], string?][]) {
      const r = await sophon(args, { home, stdin });
      assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
      const [line] = stderrLines(r, 1);
      assert.match(line!, new RegExp(`^sophon: Cannot write ${home}/\\S+: the disk is full \\([A-Z_]+\\); free some space and try again`), args.join(' '));
    }
    assert.deepEqual(await vaultFolder(home), vaultBefore);
    const list = await sophon(['connect', 'list', '--json'], { home });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(json<{ connections: { label: string }[] }>(list).connections.map((c) => c.label), ['Work']);

    await fs.unfill();
    await addConnection(home, 'Two');
    const after = await sophon(['connect', 'list', '--json'], { home });
    assert.deepEqual(json<{ connections: { label: string }[] }>(after).connections.map((c) => c.label).sort(), ['Two', 'Work']);
  });
});

describe('usage errors: one line and a hint naming the command\'s --help, exit 2', () => {
  let home: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ home, cleanup } = await tempHome()));
  afterAll(() => cleanup?.());

  const cases: [string[], string, string][] = [
    [['connect', 'list', '--bogus'], "sophon: unknown option '--bogus'", 'see `sophon connect list --help`'],
    [['connect', 'rename'], "sophon: missing required argument 'connection'", 'see `sophon connect rename --help`'],
    [['connect', 'lst'], "sophon: unknown command 'lst' (did you mean list?)", 'see `sophon connect --help`'],
    [['api-token'], 'sophon: `sophon api-token` needs a subcommand: create, list, revoke', 'see `sophon api-token --help`'],
    [['broker', 'mint', '--skill', 's'], "sophon: required option '--tool <tool>' not specified", 'see `sophon broker mint --help`'],
    [['audit', '--limit'], "sophon: option '--limit <n>' argument missing", 'see `sophon audit --help`'],
  ];
  for (const [args, problem, hint] of cases) {
    test(args.join(' '), async () => {
      const r = await sophon(args, { home });
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(stderrLines(r, 2), [problem, hint]);
      assert.equal(r.stdout, '');
    });
  }

  test('--help still prints the help, exit 0', async () => {
    const r = await sophon(['connect', 'add', '--help'], { home });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: sophon connect add \[options\] \[service\]/);
    assert.equal(r.stderr, '');
  });
});
