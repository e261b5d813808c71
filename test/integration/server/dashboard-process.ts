import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/sophon.mjs', import.meta.url));

export interface Dashboard {
  /** `http://127.0.0.1:PORT` */
  base: string;
  port: number;
  /** The local person's token, from the printed address's fragment. */
  token: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs the built `sophon dashboard` as a person would, and reads the address it prints. */
export async function startDashboardProcess(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Dashboard> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'dashboard', '--port', '0', '--no-browser', ...args], {
    env: { ...process.env, NO_COLOR: '1', SOPHON_HOME: home, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sophon dashboard printed no address in 15 s:\n${out}`)), 15_000);
    const look = () => {
      const m = /^(http:\/\/\S+\/#token=\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', look);
    child.on('close', (code) => reject(new Error(`sophon dashboard exited (${code}):\n${out}`)));
  });
  const url = new URL(address);
  return {
    base: url.origin,
    port: Number(url.port),
    token: url.hash.slice('#token='.length),
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}

/** A request with exactly these headers (fetch would not let a test set Host). */
export function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: () => JSON.parse(text) as ReturnType<RawResponse['json']>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POST /api/<operation> with a token, as the renderer does. */
export function call(d: Pick<Dashboard, 'port'>, token: string | null, operation: string, input: unknown = {}, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(
    d.port,
    'POST',
    `/api/${operation}`,
    { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    JSON.stringify(input),
  );
}

/** Reads GET /api/events into a growing string until closed. */
export function openEvents(d: Pick<Dashboard, 'port'>, token: string): { text: () => string; waitFor: (needle: string, ms?: number) => Promise<void>; close: () => void } {
  let text = '';
  const req = request({ host: '127.0.0.1', port: d.port, method: 'GET', path: '/api/events', headers: { Host: `127.0.0.1:${d.port}`, Authorization: `Bearer ${token}` } }, (res) => {
    res.on('data', (c: Buffer) => (text += c.toString()));
  });
  req.on('error', () => undefined);
  req.end();
  return {
    text: () => text,
    waitFor: async (needle, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no "${needle}" in the event stream within ${ms} ms:\n${text.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => req.destroy(),
  };
}
