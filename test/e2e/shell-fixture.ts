// What the dashboard shell tests (shell-*.test.ts, screenshots.test.ts) share: a temporary SOPHON_HOME
// with a local HTTP API as a connector, the real `sophon dashboard` on it, a few connections and audit
// rows made through its REST API, and that API to compare the pages against.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from '@playwright/test';
import type { Connection } from '../../shared/connections';
import { startUserApi, userApiConnector } from '../helpers/fake-api';
import { tempHome } from '../helpers/home';
import { openDashboardSession, type DashboardSession } from './dashboard-helpers';

export interface ShellFixture {
  session: DashboardSession;
  page: Page;
  home: string;
  /** The connections made at start, by label. */
  connections: Record<string, Connection>;
  /** One REST call as the dashboard's user; the value, or an error naming the server's message. */
  rest: <T>(operation: string, input: object) => Promise<T>;
  close: () => Promise<void>;
}

export const LABELS = ['Work API', 'Personal API'] as const;

/**
 * Starts it all. `settings` are the `Sophon` section of config/appsettings.json (the file key protector
 * unless they name a Vault); `tests` is how many connection tests to run (audit rows) on each connection.
 */
export async function startShell(browser: Browser, options: { settings?: Record<string, unknown>; tests?: number; context?: BrowserContextOptions } = {}): Promise<ShellFixture> {
  const key = `sk-shell-${randomBytes(18).toString('hex')}`;
  const { home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, ...options.settings } });
  const api = await startUserApi(key, 'octo-shell');
  await mkdir(join(home, 'connectors'));
  await writeFile(join(home, 'connectors', 'localapi.json'), userApiConnector('localapi', api.port));
  const session = await openDashboardSession(browser, home, { context: options.context });
  const rest = async <T,>(operation: string, input: object): Promise<T> => {
    const res = await fetch(`${session.dashboard.origin}/api/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.dashboard.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
    if (!body.ok) throw new Error(`${operation}: ${body.error.code} ${body.error.message}`);
    return body.value;
  };
  const connections: Record<string, Connection> = {};
  for (const label of LABELS) {
    const added = await rest<{ connection: Connection }>('connections.add', { serviceId: 'localapi', label, secret: key });
    connections[label] = added.connection;
    for (let i = 0; i < (options.tests ?? 0); i++) await rest('connections.test', { connection: added.connection.id });
  }
  return {
    session,
    page: session.page,
    home,
    connections,
    rest,
    close: async () => {
      await session.close();
      await api.close();
      await cleanup();
    },
  };
}

/** Opens the dashboard's printed address and waits for the signed-in Connections page. */
export async function signIn(fixture: ShellFixture, page: Page = fixture.page): Promise<void> {
  await page.goto(fixture.session.dashboard.address);
  await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  await page.getByText('Signed in as').waitFor();
}

/** Goes to a page by its address fragment and waits for its heading (h1 text). */
export async function openPage(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.evaluate((h) => ((globalThis as unknown as PageGlobals).location.hash = h), hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** An element, as the functions run in the page use it (test/ compiles without the DOM library). */
export interface PageElement {
  tagName: string;
  className: unknown;
  textContent: string | null;
  innerText: string;
  parentElement: PageElement | null;
  nextElementSibling: PageElement | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; right: number };
  closest(selector: string): PageElement | null;
}

interface PageStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The page's globals, for functions passed to page.evaluate: `(globalThis as unknown as PageGlobals)`. */
export interface PageGlobals {
  document: {
    title: string;
    activeElement: PageElement | null;
    body: PageElement;
    documentElement: PageElement & { clientWidth: number; scrollWidth: number; dataset: Record<string, string | undefined> };
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement>;
  };
  location: { hash: string };
  sessionStorage: PageStorage;
  localStorage: PageStorage;
  getComputedStyle(el: PageElement): { overflowX: string; backgroundColor: string };
  requestAnimationFrame(callback: () => void): number;
}
