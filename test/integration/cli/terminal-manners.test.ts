import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { startUserApi, userApiConnector } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { endSession, screenUntil, tmux } from '../../helpers/terminal';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));
const TOKEN = 'tok-terminal-0123456789abcdef';

/** Where each column starts: at the line's start or after two spaces (no cell holds two spaces). */
const starts = (line: string) => [...line.matchAll(/(?:^|(?<= {2}))\S/g)].map((m) => m.index);

/** A port nothing listens on: a service that is offline. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('the CLI at a real terminal, 80 columns', async () => {
  const { home, cleanup } = await tempHome();
  const api = await startUserApi(TOKEN);
  // A service that takes its time to answer, and answers only when told to: long enough to see the spinner.
  let answer: () => void = () => {};
  let asked = false;
  const slow: Server = createHttpServer((_req, res) => {
    asked = true;
    answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ login: 'slow' }));
    };
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const sessions: string[] = [];
  /** Runs `args` in a fresh 80x40 terminal with colour (TERM=xterm, no NO_COLOR); returns the session. */
  const terminal = (args: string, name: string) => {
    const session = `sophon-${name}-${process.pid}`;
    sessions.push(session);
    const cmd = `env -u NO_COLOR SOPHON_HOME=${home} TERM=xterm ${process.execPath} ${BIN} ${args}; echo EXIT:$?; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '40', cmd);
    return session;
  };
  beforeAll(async () => {
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'localgh.json'), userApiConnector('localgh', api.port));
    await writeFile(join(home, 'connectors', 'offline.json'), userApiConnector('offline', await closedPort()));
    await writeFile(join(home, 'connectors', 'slow.json'), userApiConnector('slow', (slow.address() as { port: number }).port));
    for (const [label, secret] of [['Work', TOKEN], ['A rather long label for the personal account of someone', TOKEN], ['Revoked', 'tok-bad-0123456789abcdef']]) {
      const r = await sophon(['connect', 'add', 'localgh', '--label', label!, '--secret-stdin', '--no-test'], { home, stdin: secret });
      assert.equal(r.code, 0, r.stderr);
    }
    // One connection in error (red), the others active (green), so cells carry colour codes of different lengths.
    assert.equal((await sophon(['connect', 'test', 'Revoked'], { home })).code, 4);
    assert.equal((await sophon(['connect', 'test', 'Work'], { home })).code, 0);
  });
  afterAll(async () => {
    for (const s of sessions) endSession(s);
    await api.close();
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
    await cleanup();
  });


  for (const [args, rows] of [['connect list', 4], ['audit', 6], ['connect list --available', 0]] as const) {
    test(`${args}: coloured, within 80 columns, and every column lines up`, async () => {
      const session = terminal(args, args.replace(/\W+/g, '-'));
      const plain = await screenUntil(session, /EXIT:\d+/);
      assert.match(plain, /EXIT:0/, plain);
      const lines = plain.split('\n');
      const table = lines.slice(0, lines.findIndex((l) => l.startsWith('EXIT:')));
      if (rows) assert.equal(table.length, rows, `one line per row, nothing wrapped:\n${plain}`);
      for (const line of table) assert.ok(line.length <= 80, `wider than 80: ${line}`);
      // tmux wraps a longer line onto the next one: every line must then still start a row.
      const header = starts(table[0]!);
      assert.ok(header.length >= 3, plain);
      for (const line of table.slice(1)) assert.deepEqual(starts(line), header, `misaligned:\n${plain}`);
      if (args === 'connect list') {
        const coloured = tmux('capture-pane', '-p', '-e', '-t', session);
        assert.ok(coloured.includes('\u001b[32m') && coloured.includes('\u001b[31m'), JSON.stringify(coloured));
        assert.match(plain, / A rather long label for… +active /);
      }
    });
  }

  test('Ctrl-C at a prompt exits 130 with nothing but a newline', async () => {
    const session = terminal('connect add localgh --label Interrupted', 'ctrl-c');
    const asked = await screenUntil(session, /Token:/);
    tmux('send-keys', '-t', session, 'C-c');
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /EXIT:130/, screen);
    assert.doesNotMatch(screen, /unexpected|force closed|sophon:/i, screen);
    // What was on screen stays; after it comes one newline and the shell's next line, nothing more.
    const before = asked.trimEnd().split('\n');
    const now = screen.trimEnd().split('\n');
    assert.equal(now.at(-1), 'EXIT:130', screen);
    assert.ok(now.length <= before.length + 1, `more than a newline was printed:\n${screen}`);
    const list = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home }));
    assert.ok(!list.connections.some((c) => c.label === 'Interrupted'));
  });

  test('remove on a terminal asks, and no keeps the connection', async () => {
    const session = terminal('connect remove Work', 'remove');
    const asked = await screenUntil(session, /Remove Work \(Local localgh, localgh-[0-9a-f]+\)\?/);
    assert.match(asked, /\(y\/N\)/);
    tmux('send-keys', '-t', session, 'n', 'Enter');
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /Nothing removed\.\nEXIT:0/, screen);
    assert.equal((await sophon(['connect', 'status', 'Work'], { home })).code, 0);
  });

  test('adding a key while offline: the failed test on stderr, and a choice to keep or discard', async () => {
    const session = terminal('connect add offline --label Offline', 'offline');
    await screenUntil(session, /Token:/);
    tmux('send-keys', '-t', session, '-l', TOKEN);
    tmux('send-keys', '-t', session, 'Enter');
    await screenUntil(session, /Keep it untested, or discard it\?/);
    tmux('send-keys', '-t', session, 'Down', 'Enter');
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /Stored untested: the test could not finish \(unreachable/, screen);
    assert.match(screen, /Discarded Offline; nothing is stored\.\nEXIT:5/, screen);
    const list = json<{ connections: Connection[] }>(await sophon(['connect', 'list', '--json'], { home }));
    assert.ok(!list.connections.some((c) => c.label === 'Offline'));
  });

  test('testing a key shows a spinner with what it waits for, and leaves only the result', async () => {
    const added = await sophon(['connect', 'add', 'slow', '--label', 'Slow', '--secret-stdin', '--no-test'], { home, stdin: TOKEN });
    assert.equal(added.code, 0, added.stderr);
    const session = terminal('connect test Slow', 'spinner');
    const waiting = await screenUntil(session, /Testing the key…/);
    assert.match(waiting, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Testing the key…/);
    // The request has arrived (the spinner may be drawn before it is sent): let the service answer.
    for (let i = 0; i < 200 && !asked; i++) await new Promise((r) => setTimeout(r, 50));
    answer();
    const screen = await screenUntil(session, /EXIT:\d+/);
    assert.match(screen, /^Slow \(slow-[0-9a-f]+\): ok: /, screen);
    assert.doesNotMatch(screen, /Testing the key/);
  });
});
