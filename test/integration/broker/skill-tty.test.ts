import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';
import { startResourceServer } from '../../helpers/resource-server';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));

describe('skill run on a terminal with two connections for its service', async () => {
  const { home, cleanup } = await tempHome();
  const secrets: Record<string, string> = { 'alpha-secret-0123456789': 'alpha', 'beta-secret-0123456789': 'beta' };
  const api = await startResourceServer((t) => secrets[t] ?? null);
  const session = `sophon-skill-tty-${process.pid}`;
  afterAll(async () => {
    endSession(session);
    await api.close();
    await cleanup();
  });

  test('asks which connection to use instead of guessing, and uses the one picked', async () => {
    await mkdir(join(home, 'connectors'));
    const connector = { id: 'tty-api', name: 'TTY API', group: 'Generic', auth: { method: 'bearer' }, apiBaseUrl: api.url, allowedHosts: [api.host], attach: [{ in: 'header', name: 'Authorization', value: 'Bearer {secret}' }], test: { kind: 'http', path: '/user' }, local: true };
    await writeFile(join(home, 'connectors', 'tty-api.json'), JSON.stringify(connector));
    for (const [secret, label] of [['alpha-secret-0123456789', 'Alpha'], ['beta-secret-0123456789', 'Beta']]) {
      const r = await sophon(['connect', 'add', 'tty-api', '--secret-stdin', '--label', label!], { home, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
    }
    const dir = join(home, 'skill');
    await cp(EXAMPLE, dir, { recursive: true });
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    m.credentials = [{ service: 'tty-api' }];
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));

    const cmd = `SOPHON_HOME=${home} NO_COLOR=1 ${process.execPath} ${BIN} skill run ${dir} --tool whoami; echo EXIT:$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd);
    const menu = await screenUntil(session, /which one\?/);
    assert.match(menu, /Alpha/);
    assert.match(menu, /Beta/);
    tmux('send-keys', '-t', session, 'Down');
    tmux('send-keys', '-t', session, 'Enter');
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /EXIT:0/, screen);
    assert.match(screen, /\{"login":"beta"\}/, screen);
    assert.equal(api.seen.at(-1)?.headers.authorization, 'Bearer beta-secret-0123456789');
  });
});
