import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface MailUser {
  username: string;
  password: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this run only. */
export async function makeCert(dir: string): Promise<{ cert: string; key: string; certPem: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const { readFile } = await import('node:fs/promises');
  return { cert, key, certPem: await readFile(cert, 'utf8') };
}

/**
 * Debian's dovecot as a real IMAP server on loopback: a throwaway config, a passwd-file with one
 * user, a plain port and an implicit-TLS port with a certificate made for the run.
 */
export async function startDovecot(user: MailUser): Promise<{ imapPort: number; imapsPort: number; certPem: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-dovecot-'));
  await mkdir(join(dir, 'run'));
  await mkdir(join(dir, 'mail'));
  await chmod(dir, 0o755);
  await chmod(join(dir, 'mail'), 0o777);
  const { cert, key, certPem } = await makeCert(dir);
  const [imapPort, imapsPort] = [await freePort(), await freePort()];
  await writeFile(join(dir, 'passwd'), `${user.username}:{PLAIN}${user.password}::::::\n`);
  await writeFile(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/run
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${cert}
ssl_key = <${key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`,
  );
  const proc: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForPort(imapPort);
    await waitForPort(imapsPort);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`dovecot did not start: ${stderr} ${(err as Error).message}`);
  }
  return {
    imapPort,
    imapsPort,
    certPem,
    stop: async () => {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A real SMTP server (the nodemailer project's smtp-server) that checks AUTH against one user. */
export async function startSmtp(user: MailUser, tls?: { key: string; cert: string }): Promise<{ port: number; stop: () => Promise<void> }> {
  const { readFile } = await import('node:fs/promises');
  const server = new SMTPServer({
    secure: tls !== undefined,
    key: tls ? await readFile(tls.key) : undefined,
    cert: tls ? await readFile(tls.cert) : undefined,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user.username && auth.password === user.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(new Error('this test server accepts no mail')));
    },
  });
  // A client that aborts a TLS handshake (the untrusted-certificate test) is an 'error' event, not a failure.
  server.on('error', () => undefined);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
