// Drives the test server's login and consent pages in Chromium, the way a person would.
import type { Page } from 'playwright-core';

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
