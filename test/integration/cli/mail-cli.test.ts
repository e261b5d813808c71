import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startDovecot, startSmtp } from '../../helpers/mail';

const user = { username: 'alice', password: `canary-mail-${randomBytes(10).toString('hex')}` };

describe('sophon connect add email, against real IMAP and SMTP servers', async () => {
  const { home, cleanup } = await tempHome();
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const fields = () => [
    '--field', 'smtpHost=127.0.0.1', '--field', `smtpPort=${smtp.port}`, '--field', 'smtpTls=none',
    '--field', 'imapHost=127.0.0.1', '--field', `imapPort=${dovecot.imapPort}`, '--field', 'imapTls=none', '--field', 'username=alice',
  ];
  beforeAll(async () => {
    dovecot = await startDovecot(user);
    smtp = await startSmtp(user);
  });
  afterAll(async () => {
    await Promise.all([dovecot.stop(), smtp.stop()]);
    await cleanup();
  });

  test('right password connects and tests ok; wrong password stores nothing; a stopped server is unreachable', async () => {
    const ok = await sophon(['connect', 'add', 'email', '--secret-stdin', '--label', 'Mail', '--json', ...fields()], { home, stdin: user.password });
    assert.equal(ok.code, 0, ok.stderr);
    const added = json<{ connection: Connection; test: { status: string } }>(ok);
    assert.equal(added.test.status, 'ok');
    assert.equal(added.connection.fields.imapHost, '127.0.0.1');
    assert.equal(added.connection.secretHint, null, 'a password gets no hint');

    const wrong = await sophon(['connect', 'add', 'email', '--secret-stdin', '--label', 'Wrong', ...fields()], { home, stdin: 'not-the-password' });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /credentials rejected/);

    const missing = await sophon(['connect', 'add', 'email', '--secret-stdin', '--field', 'smtpHost=127.0.0.1'], { home, stdin: user.password });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs the field imapHost/);

    await dovecot.stop();
    const down = await sophon(['connect', 'test', 'Mail'], { home });
    assert.equal(down.code, 5);
    assert.match(down.stdout, /IMAP: 127\.0\.0\.1:\d+ refused the connection/);
    dovecot = await startDovecot(user);
  });

  test('the mail password is in no file under SOPHON_HOME', async () => {
    const walk = async (dir: string): Promise<string[]> =>
      (await Promise.all((await readdir(dir, { withFileTypes: true })).map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])))).flat();
    for (const f of await walk(home)) assert.ok(!(await readFile(f)).includes(user.password), f);
  });
});
