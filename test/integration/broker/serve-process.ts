// Shared setup of the tests that run `sophon broker serve` as a process: a local bearer service with a
// connection to it, a minted token, and the serving process with its workers.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine } from '../../helpers/child';
import { json, sophon } from '../../helpers/cli';
import { bearerService } from '../../helpers/services';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

/** A connector file `local-api` for the service at `baseUrl`, and a connection to it holding `secret`: its id. */
export async function addLocalApi(home: string, baseUrl: string, secret: string): Promise<string> {
  await mkdir(join(home, 'connectors'), { recursive: true });
  await writeFile(join(home, 'connectors', 'local-api.json'), JSON.stringify(bearerService('local-api', baseUrl)));
  const added = await sophon(['connect', 'add', 'local-api', '--secret-stdin', '--no-test', '--json'], { home, stdin: secret });
  assert.equal(added.code, 0, added.stderr);
  return json<{ connection: { id: string } }>(added).connection.id;
}

/** `sophon broker mint` for `skill`/get on `connection`. */
export async function mintFor(home: string, skill: string, connection: string): Promise<{ token: string; id: string }> {
  const minted = await sophon(['broker', 'mint', '--skill', skill, '--tool', 'get', '--connection', connection, '--json'], { home });
  assert.equal(minted.code, 0, minted.stderr);
  return json<{ token: string; id: string }>(minted);
}

export interface ServeProcess {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  /** The pids of its worker processes (serving ones and the checkpointing one). */
  children: string[];
  stderr(): string;
  /** Its exit code, once it exited. */
  closed: Promise<number | null>;
}

/** `sophon broker serve --json` in `home`, once it listens. `detached`: in its own process group, as in a terminal (Ctrl-C reaches every process). */
export async function startServe(home: string, options: { detached?: boolean } = {}): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [BIN, 'broker', 'serve', '--json'], { env: { ...process.env, SOPHON_HOME: home, NO_COLOR: '1' }, detached: options.detached });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const { url } = JSON.parse(await firstLine(proc)) as { url: string };
  const children = spawnSync('pgrep', ['-P', String(proc.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  return { proc, url, children, stderr: () => stderr, closed };
}
