import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

describe('a secret typed at a real terminal', async () => {
  const secret = 'tty-secret-0123456789abcdef';
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(secret);
  const session = `sophon-tty-${process.pid}`;
  afterAll(async () => {
    endSession(session);
    await api.close();
    await cleanup();
  });

  test('is asked for with a hidden prompt, never echoed, and connects', async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'tty.json'), userApiConnector('tty', api.port));
    const cmd = `SOPHON_HOME=${home} NO_COLOR=1 ${process.execPath} ${BIN} connect add tty --label Typed; echo EXIT:$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', cmd);
    await screenUntil(session, /Token:/);
    tmux('send-keys', '-t', session, '-l', secret);
    tmux('send-keys', '-t', session, 'Enter');
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /EXIT:0/, screen);
    assert.match(screen, /Connected Local tty/);
    assert.ok(!screen.includes(secret) && !screen.includes(secret.slice(0, 12)), `the secret was echoed:\n${screen}`);
    assert.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${secret}`);
  });

  test('colour on a terminal, none with --no-color (as with NO_COLOR)', async () => {
    const colours = `sophon-colour-${process.pid}`;
    const green = '\u001b[32m';
    try {
      for (const [flag, coloured] of [['', true], ['--no-color', false]] as const) {
        const cmd = `env -u NO_COLOR SOPHON_HOME=${home} TERM=xterm ${process.execPath} ${BIN} connect test Typed ${flag}; echo EXIT:$?; sleep 30`;
        tmux('new-session', '-d', '-s', colours, '-x', '160', '-y', '40', cmd);
        await screenUntil(colours, /EXIT:\d+/);
        const screen = tmux('capture-pane', '-p', '-e', '-t', colours);
        endSession(colours);
        assert.match(screen, /EXIT:0/, screen);
        assert.equal(screen.includes(green), coloured, `${flag || 'no flag'}: ${JSON.stringify(screen)}`);
      }
    } finally {
      endSession(colours);
    }
  });

  test('an ambiguous name on a terminal asks which one, instead of guessing', async () => {
    const add = await sophon(['connect', 'add', 'tty', '--secret-stdin', '--label', 'Second'], { home, stdin: secret });
    assert.equal(add.code, 0, add.stderr);
    const pick = `${session}-pick`;
    const cmd = `SOPHON_HOME=${home} NO_COLOR=1 ${process.execPath} ${BIN} connect test tty; echo EXIT:$?; sleep 30`;
    tmux('new-session', '-d', '-s', pick, '-x', '160', '-y', '40', cmd);
    try {
      const menu = await screenUntil(pick, /which one\?/);
      assert.match(menu, /Typed/);
      assert.match(menu, /Second/);
      // Listed by label: Second, then Typed. Move to the second entry and choose it.
      tmux('send-keys', '-t', pick, 'Down');
      tmux('send-keys', '-t', pick, 'Enter');
      const screen = await screenUntil(pick, /EXIT:\d+/);
      assert.match(screen, /EXIT:0/, screen);
      assert.match(screen, /\nTyped \(tty-[0-9a-f]+\): ok/);
    } finally {
      endSession(pick);
    }
  });
});
