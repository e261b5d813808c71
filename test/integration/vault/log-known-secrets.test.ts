import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, test } from 'vitest';
import { configureLog, logFailure, logFilePath, resetLogForTests } from '../../../electron/core/log/log';
import { openVault } from '../../../electron/core/vault/open-vault';
import { forms } from '../../helpers/canary';
import { tempHome } from '../../helpers/home';

describe('the vault tells the log which values are secrets', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(async () => {
    resetLogForTests();
    await cleanup();
  });

  test('a token written to the vault, then quoted by an upstream error under an innocent field name, is scrubbed from the log', async () => {
    configureLog({ home });
    const token = `tok-${randomBytes(12).toString('hex')}`;
    const smtpPassword = `pw-${randomBytes(12).toString('hex')}`;
    const { vault } = await openVault({ home });
    await vault.put('default', 'svc-0123456789', { accessToken: token, extra: { password: smtpPassword, host: 'mail.example.org' } });
    logFailure('upstream.failed', new Error(`the service echoed ${token}`), { detail: `user:${smtpPassword}`, b64: Buffer.from(token).toString('base64') });
    const text = await readFile(logFilePath(home), 'utf8');
    for (const secret of [token, smtpPassword]) for (const form of forms(secret)) assert.ok(!text.includes(form), `${form} in ${text}`);
    assert.match(text, /the service echoed \[REDACTED\]/);
  });
});
