// What the dashboard end-to-end tests share: the real `sophon dashboard` as a child process, Chromium
// pages on it (contexts of @playwright/test's `browser` fixture, so a failure keeps their trace and a
// screenshot), screenshots for review, and a recorder of every HTTP response body (the canary checks).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from '@playwright/test';

const BIN = fileURLToPath(new URL('../../bin/sophon.mjs', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

export interface Dashboard {
  /** The address `sophon dashboard` printed, with the token in its fragment. */
  address: string;
  origin: string;
  token: string;
  proc: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts `sophon dashboard --port 0 --no-browser` (OAuth sign-in pages then reach only the UI's link), or with other `args`. */
export async function startDashboard(home: string, env: NodeJS.ProcessEnv = {}, args: string[] = ['--no-browser']): Promise<Dashboard> {
  const proc = spawn(process.execPath, [BIN, 'dashboard', '--port', '0', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env, SOPHON_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = /^(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)\n/.exec(stdout);
      if (line) resolve(line[1]!);
    });
    void exited.then(() => reject(new Error(`sophon dashboard exited before printing its address: ${stderr}`)));
    setTimeout(() => reject(new Error(`sophon dashboard printed no address in 20 s: ${stderr}`)), 20_000).unref();
  });
  const url = new URL(address);
  return {
    address,
    origin: url.origin,
    token: new URLSearchParams(url.hash.slice(1)).get('token')!,
    proc,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Saves a screenshot of the page under test/e2e/screenshots/ (not committed; for people to review). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Light and dark versions of the same screen. */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

export interface Recorded {
  url: string;
  status: number;
  body: string;
}

/**
 * Records the body of every HTTP response a browser context receives, and every request body it sends.
 * The event stream (GET /api/events) never ends, so a page cannot hand over its body; `recordEvents`
 * reads the same stream for the same user from here.
 */
export function recordTraffic(context: BrowserContext): { responses: Recorded[]; requests: string[]; settle: () => Promise<void> } {
  const responses: Recorded[] = [];
  const requests: string[] = [];
  const pending: Promise<void>[] = [];
  context.on('request', (req) => {
    const body = req.postData();
    if (body) requests.push(body);
  });
  context.on('response', (res) => {
    if ((res.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
    pending.push(
      res.text().then(
        (body) => void responses.push({ url: res.url(), status: res.status(), body }),
        () => undefined,
      ),
    );
  });
  return { responses, requests, settle: async () => void (await Promise.all(pending)) };
}

/** Reads GET /api/events as the dashboard's user until stopped; returns everything streamed. */
export function recordEvents(dashboard: Dashboard): { text: () => string; stop: () => void } {
  const abort = new AbortController();
  let text = '';
  void (async () => {
    const res = await fetch(`${dashboard.origin}/api/events`, { headers: { authorization: `Bearer ${dashboard.token}` }, signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  })().catch(() => undefined);
  return { text: () => text, stop: () => abort.abort() };
}

/** The forms a secret could take in a body: as is, base64, base64url, URL-encoded, JSON-escaped. */
export function encodings(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

/** A dashboard process, one Chromium context and page on it, with its traffic and event stream recorded. */
export interface DashboardSession {
  dashboard: Dashboard;
  /** The test runner's browser (its fixture owns it: the session never closes it). */
  browser: Browser;
  context: BrowserContext;
  page: Page;
  traffic: ReturnType<typeof recordTraffic>;
  events: ReturnType<typeof recordEvents>;
  /** Stops the recording, closes the context and stops the dashboard. */
  close: () => Promise<void>;
}

export async function openDashboardSession(browser: Browser, home: string, options: { env?: NodeJS.ProcessEnv; context?: BrowserContextOptions } = {}): Promise<DashboardSession> {
  const dashboard = await startDashboard(home, options.env);
  const events = recordEvents(dashboard);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options.context });
  const traffic = recordTraffic(context);
  const page = await context.newPage();
  return {
    dashboard,
    browser,
    context,
    page,
    traffic,
    events,
    close: async () => {
      events.stop();
      await context.close();
      await dashboard.stop();
    },
  };
}
