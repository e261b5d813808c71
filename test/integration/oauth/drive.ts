// Drives the test server's login and consent pages in Chromium, the way a person would.
import type { Browser, Page } from 'playwright-core';
import { authorizeWithBrowser } from '../../../electron/core/oauth/authorize';
import type { OAuthClient } from '../../../electron/core/oauth/client';
import type { OAuthTokenSet } from '../../../electron/core/oauth/tokens';
import { freshPage } from '../../helpers/browser';

export interface DriveOptions {
  login?: string;
  consent?: 'approve' | 'deny';
}

/** Signs in on the login page and answers the consent page; resolves when the provider redirects away. */
export async function loginAndConsent(page: Page, options: DriveOptions = {}): Promise<void> {
  await page.locator('input[name=login]').fill(options.login ?? 'ada');
  await page.locator('input[name=password]').fill('any-password');
  await page.locator('button[type=submit]').click();
  await page.locator('input[name=prompt][value=consent]').waitFor({ state: 'attached' });
  if (options.consent === 'deny') {
    await page.locator('a[href$="/abort"]').click();
  } else {
    await page.locator('button[type=submit]').click();
  }
}

/**
 * An `openUrl` for authorizeWithBrowser that walks the browser through sign-in without blocking the flow
 * (the loopback answers the tab only after the code exchange). `done` resolves with what Sophon's page says.
 */
export function browserOpener(page: Page, options: DriveOptions = {}): { openUrl: (url: string) => Promise<void>; done: Promise<string> } {
  let resolveDone: (text: string) => void = () => undefined;
  let rejectDone: (err: unknown) => void = () => undefined;
  const done = new Promise<string>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);
  const openUrl = async (url: string) => {
    void (async () => {
      await page.goto(url);
      await loginAndConsent(page, options);
      return page.locator('#sophon-message').textContent({ timeout: 30_000 });
    })().then((text) => resolveDone(text ?? ''), rejectDone);
  };
  return { openUrl, done };
}

/** Signs in through the real browser flow and returns the tokens (for tests that start from a connection). */
export async function signInWithBrowser(browser: Browser, client: OAuthClient, login = 'ada'): Promise<OAuthTokenSet> {
  const { context, page } = await freshPage(browser);
  try {
    const opener = browserOpener(page, { login });
    const tokens = await authorizeWithBrowser(client, { openUrl: opener.openUrl, timeoutMs: 60_000 });
    await opener.done;
    return tokens;
  } finally {
    await context.close();
  }
}
