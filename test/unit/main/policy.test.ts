import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { appFileFor, deepLinkInArgv, isAppUrl, navigationAllowed, parseDeepLink, windowOpenDecision } from '../../../electron/main/policy';

describe('app window policy', () => {
  test('only app://sophon frames are the app', () => {
    assert.equal(isAppUrl('app://sophon/index.html#/audit'), true);
    for (const url of ['app://sophon.evil/index.html', 'app://evil/index.html', 'file:///work/dist/renderer/index.html', 'https://sophon/', 'app://user:pw@sophon/', 'about:blank', '', null, undefined]) {
      assert.equal(isAppUrl(url), false, String(url));
    }
    assert.equal(navigationAllowed('https://accounts.google.com/'), false);
  });

  test('only https links leave the app, to the system browser', () => {
    assert.equal(windowOpenDecision('https://accounts.google.com/o/oauth2/v2/auth?x=1'), 'external');
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@host/', 'not a url']) assert.equal(windowOpenDecision(url), 'deny', url);
  });

  test('deep links name a connection or a page; anything else is ignored', () => {
    assert.deepEqual(parseDeepLink('sophon://connection/github-3f9a2c41d0'), { route: '#/connection/github-3f9a2c41d0' });
    assert.deepEqual(parseDeepLink('sophon://connections'), { route: '#/connections' });
    assert.deepEqual(parseDeepLink('sophon://audit'), { route: '#/audit' });
    for (const url of ['sophon://connection/..%2F..%2Fetc', 'sophon://connection/UPPER', 'sophon://connection/a/b', 'https://connection/x', 'sophon://settings/x', 'garbage']) assert.equal(parseDeepLink(url), null, url);
    assert.equal(deepLinkInArgv(['/opt/Sophon/sophon', '--no-sandbox', 'sophon://connection/x1']), 'sophon://connection/x1');
    assert.equal(deepLinkInArgv(['/opt/Sophon/sophon']), null);
  });

  test('app:// URLs map into the renderer folder and never out of it', () => {
    assert.equal(appFileFor('/opt/app/renderer', 'app://sophon/'), '/opt/app/renderer/index.html');
    assert.equal(appFileFor('/opt/app/renderer', 'app://sophon/assets/index-abc.js'), '/opt/app/renderer/assets/index-abc.js');
    // Dot segments are resolved by the URL parser at the root; encoded slashes are caught by the folder check.
    for (const url of ['app://sophon/%2e%2e/%2e%2e/etc/passwd', 'app://sophon/../../etc/passwd', 'app://sophon/..%2F..%2Fetc/passwd', 'app://sophon/assets/..%2F..%2F..%2Fetc/passwd']) {
      const file = appFileFor('/opt/app/renderer', url);
      assert.ok(file === null || file.startsWith('/opt/app/renderer/'), `${url} → ${file}`);
    }
    assert.equal(appFileFor('/opt/app/renderer', 'app://sophon/..%2F..%2Fetc/passwd'), null);
    assert.equal(appFileFor('/opt/app/renderer', 'app://other/index.html'), null);
  });
});
