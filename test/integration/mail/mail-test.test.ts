import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { testImap, testMail, testSmtp, type MailSettings } from '../../../electron/core/connections/mail-test';
import type { TestOutcome } from '../../../electron/core/connections/test-outcome';
import { makeCert, startDovecot, startSmtp } from '../../helpers/mail';

const user = { username: 'alice', password: `pw-${randomBytes(8).toString('hex')}` };

describe('mail connection test against real servers (dovecot IMAP, smtp-server SMTP)', async () => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let smtps: Awaited<ReturnType<typeof startSmtp>>;
  let certDir: string;
  let smtpsCert: string;
  let settings: MailSettings;
  const outcomes: TestOutcome[] = [];
  const seen = (o: TestOutcome) => (outcomes.push(o), o);

  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'sophon-cert-'));
    dovecot = await startDovecot(user);
    smtp = await startSmtp(user);
    const cert = await makeCert(certDir);
    smtpsCert = cert.certPem;
    smtps = await startSmtp(user, cert);
    settings = { smtpHost: '127.0.0.1', smtpPort: smtp.port, smtpTls: 'none', imapHost: '127.0.0.1', imapPort: dovecot.imapPort, imapTls: 'none', username: user.username };
  });
  afterAll(async () => {
    await Promise.all([dovecot?.stop(), smtp?.stop(), smtps?.stop()]);
    await rm(certDir, { recursive: true, force: true });
    for (const o of outcomes) assert.ok(!JSON.stringify(o).includes(user.password), 'the password never appears in an outcome');
  });

  test('the right password passes both IMAP login + capability and SMTP EHLO + AUTH', async () => {
    const o = seen(await testMail(settings, user.password));
    assert.equal(o.status, 'ok', o.message);
    assert.equal(o.account, 'alice');
  });

  test('a wrong password is "credentials rejected", naming the side', async () => {
    const imap = seen(await testImap(settings, 'wrong-password'));
    assert.equal(imap.status, 'rejected');
    assert.match(imap.message, /^IMAP: credentials rejected by 127\.0\.0\.1:\d+/);
    const smtpOutcome = seen(await testSmtp(settings, 'wrong-password'));
    assert.equal(smtpOutcome.status, 'rejected');
    assert.match(smtpOutcome.message, /^SMTP: credentials rejected/);
    assert.equal(seen(await testMail(settings, 'wrong-password')).status, 'rejected');
  });

  test('a closed port is "unreachable"', async () => {
    const closed = { ...settings, imapPort: 1, smtpPort: 1 };
    const imap = seen(await testImap(closed, user.password, { timeoutMs: 3000 }));
    assert.equal(imap.status, 'unreachable');
    assert.match(imap.message, /refused the connection/);
    assert.equal(seen(await testSmtp(closed, user.password, { timeoutMs: 3000 })).status, 'unreachable');
  });

  test('implicit TLS with a trusted CA passes; an untrusted certificate is "unreachable" and says why', async () => {
    const tls: MailSettings = { ...settings, imapTls: 'tls', imapPort: dovecot.imapsPort, smtpTls: 'tls', smtpPort: smtps.port };
    const trusted = seen(await testMail(tls, user.password, { ca: dovecot.certPem + smtpsCert }));
    assert.equal(trusted.status, 'ok', trusted.message);
    const untrusted = seen(await testImap(tls, user.password, { timeoutMs: 5000 }));
    assert.equal(untrusted.status, 'unreachable');
    assert.match(untrusted.message, /certificate that is not trusted/);
    const untrustedSmtp = seen(await testSmtp(tls, user.password, { timeoutMs: 5000 }));
    assert.equal(untrustedSmtp.status, 'unreachable');
    assert.match(untrustedSmtp.message, /certificate that is not trusted/);
  });
});
