import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { AuditRow, Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOKEN = 'tok-manners-0123456789abcdef';
const NEW_TOKEN = 'tok-rotated-0123456789abcdef';

/** A one-line usage error (for a parse error, then the hint naming --help); never a schema dump. */
function oneLineUsage(r: { code: number; stderr: string }, pattern: RegExp, parseError = true): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, parseError ? 2 : 1, r.stderr);
  assert.match(lines[0]!, pattern);
  if (parseError) assert.match(lines[1]!, /^see `sophon .* --help`$/);
  assert.doesNotMatch(r.stderr, /invalid_type|expected|zod|\[/i);
}

describe('the CLI has the manners of gh and op', async () => {
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(TOKEN);
  const run = (args: string[], stdin?: string) => sophon(args, { home, stdin });
  beforeAll(async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localgh.json'), userApiConnector('localgh', api.port));
  });
  afterAll(async () => {
    await api.close();
    await cleanup();
  });

  test('--version and -V print package.json version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    }
  });

  test('help <cmd> <sub> shows that subcommand with examples; connect lists every subcommand; help exit-codes', async () => {
    const add = await run(['help', 'connect', 'add']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^Usage: sophon connect add \[options\] \[service\]/);
    assert.match(add.stdout, /\nExamples:\n {2}\$ sophon connect add /);
    const top = await run(['--help']);
    assert.match(top.stdout, /connect\s+connections to services: list, add, update, reauth, test,\s+status, refresh, rename, remove, import/);
    const codes = await run(['help', 'exit-codes']);
    assert.equal(codes.code, 0);
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '7', '130']) assert.match(codes.stdout, new RegExp(`\\n {2}${code} +\\S`));
    assert.match(codes.stdout, /full disk/);
    oneLineUsage(await run(['help', 'connect', 'nope']), /No command `connect nope`/, false);
  });

  test('remove without a terminal and without --yes refuses (exit 2) and deletes nothing', async () => {
    const added = await run(['connect', 'add', 'openai', '--label', 'Keep me', '--secret-stdin', '--no-test', '--json'], 'sk-keep-' + 'k'.repeat(40));
    assert.equal(added.code, 0, added.stderr);
    const id = json<{ connection: Connection }>(added).connection.id;
    const r = await run(['connect', 'remove', id]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.match(r.stderr, /Nothing was changed/);
    assert.ok(json<{ connections: Connection[] }>(await run(['connect', 'list', '--json'])).connections.some((c) => c.id === id));
    const yes = await run(['connect', 'remove', id, '--yes']);
    assert.equal(yes.code, 0, yes.stderr);
  });

  test('--field takes one value: the service after it is still the service', async () => {
    const r = await run(['connect', 'add', '--field', 'nope=1', 'openai', '--secret-stdin', '--no-test'], 'sk-field-' + 'f'.repeat(40));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no field "nope"/);
    assert.doesNotMatch(r.stderr, /missing required argument/);
  });

  test('invalid numbers get one plain sentence', async () => {
    oneLineUsage(await run(['audit', '--limit', 'abc']), /--limit takes a whole number from 1 to 10,000\.$/);
    oneLineUsage(await run(['broker', 'mint', '--tool', 't', '--ttl', '5m']), /--ttl takes a whole number from 1 to 86,400\.$/);
  });

  test('friendly auth names for people, raw methods in --json', async () => {
    const r = await run(['connect', 'list', '--available']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nopenai\s+OpenAI\s.*\sAPI key\n/);
    assert.match(r.stdout, /\ngithub\s+GitHub\s.*\sOAuth\n/);
    const auth = r.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/ {2,}/).at(-1));
    assert.deepEqual([...new Set(auth)].sort(), ['API key', 'Mail (SMTP/IMAP)', 'None', 'OAuth', 'Token', 'Username & password', 'Webhook']);
    const raw = json<{ services: { id: string; authMethod: string }[] }>(await run(['connect', 'list', '--available', '--json']));
    assert.equal(raw.services.find((s) => s.id === 'github')?.authMethod, 'oauth2');
  });

  test('a missing secret is asked for with the right article', async () => {
    const r = await run(['connect', 'add', 'openai']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sophon: An API key is needed:/);
  });

  test('connect update replaces the secret in place: same id, label and history; a rejected one changes nothing', async () => {
    const added = json<{ connection: Connection }>(await run(['connect', 'add', 'localgh', '--label', 'Rotating', '--secret-stdin', '--json'], TOKEN));
    const id = added.connection.id;
    api.seen.length = 0;
    // The API still takes only the old token: the new one is refused and not stored.
    const refused = await run(['connect', 'update', 'Rotating', '--secret-stdin'], NEW_TOKEN);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /The old secret stays/);
    assert.equal((await run(['connect', 'test', id])).code, 0, 'the old secret still works');
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
    // Stored untested, then used: the new one is what the service gets.
    const r = await run(['connect', 'update', id, '--secret-stdin', '--no-test', '--json'], NEW_TOKEN);
    assert.equal(r.code, 0, r.stderr);
    const updated = json<{ connection: Connection }>(r).connection;
    assert.equal(updated.id, id);
    assert.equal(updated.label, 'Rotating');
    assert.equal(updated.createdAt, added.connection.createdAt);
    assert.equal(updated.secretHint, '…cdef');
    await run(['connect', 'test', id]);
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${NEW_TOKEN}`);
    const rows = json<{ rows: AuditRow[] }>(await run(['audit', '--connection', id, '--json'])).rows;
    assert.deepEqual(rows.map((row) => `${row.action}:${row.outcome}`), ['test:failed', 'update:ok', 'test:ok', 'update:failed', 'add:ok']);
    assert.ok(!JSON.stringify(rows).includes(NEW_TOKEN) && !(await run(['connect', 'status', id])).stdout.includes(NEW_TOKEN));
    oneLineUsage(await run(['connect', 'update', id, '--secret-stdin', '--bogus'], NEW_TOKEN), /unknown option '--bogus'/);
  });

  test('a pipe gets whole values and no spinner frames', async () => {
    const label = 'A label longer than what fits beside the other columns of the list at 80';
    assert.equal((await run(['connect', 'add', 'openai', '--label', label, '--secret-stdin', '--no-test'], 'sk-long-' + 'l'.repeat(40))).code, 0);
    const list = await run(['connect', 'list']);
    assert.ok(list.stdout.includes(label), list.stdout);
    const t = await run(['connect', 'test', 'Rotating']);
    assert.doesNotMatch(t.stderr, /\r|Testing the key/);
  });

  test('completion: the bash script loads and completes subcommands, options and connections', async () => {
    const bin = join(home, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'sophon'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'sophon.cjs')}" "$@"\n`);
    await chmod(join(bin, 'sophon'), 0o755);
    const complete = (...words: string[]) =>
      bash(
        `eval "$(sophon completion bash)"; COMP_WORDS=(sophon ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _sophon_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        { ...process.env, PATH: `${bin}:${process.env.PATH}`, SOPHON_HOME: home },
      );
    assert.deepEqual((await complete('connect', 're')).split('\n').filter(Boolean).sort(), ['reauth', 'refresh', 'remove', 'rename']);
    assert.deepEqual((await complete('connect', 'list', '--a')).trim(), '--available');
    const connections = (await complete('connect', 'test', 'Ro')).trim();
    assert.equal(connections, 'Rotating');
    const ids = (await complete('connect', 'status', 'localgh-')).trim();
    assert.match(ids, /^localgh-[0-9a-f]{10}$/);
    assert.equal((await complete('completion', 'f')).trim(), 'fish');
    for (const shell of ['zsh', 'fish']) {
      const r = await run(['completion', shell]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /sophon __complete/);
    }
    oneLineUsage(await run(['completion', 'tcsh']), /choose bash, zsh or fish/, false);
  });
});

function bash(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bash exited ${code}: ${err}`))));
  });
}
