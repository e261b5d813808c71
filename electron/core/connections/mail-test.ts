import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { errnoOf } from '../errors';
import { validate } from '../validation/parse';
import type { TestOutcome } from './test-outcome';

const Tls = z.enum(['tls', 'starttls', 'none']);
const Port = z.coerce.number().int().min(1).max(65535);

/** The non-secret half of a mail connection; the password is the connection's secret. */
export const MailSettingsSchema = z.object({
  smtpHost: z.string().min(1),
  smtpPort: Port,
  smtpTls: Tls,
  imapHost: z.string().min(1),
  imapPort: Port,
  imapTls: Tls,
  username: z.string().min(1),
});
export type MailSettings = z.infer<typeof MailSettingsSchema>;

export interface MailTestOptions {
  timeoutMs?: number;
  /** Extra CA certificates to trust (PEM), e.g. a company's own mail server CA. */
  ca?: string;
}

type Side = 'SMTP' | 'IMAP';

/**
 * A failed mail login in words a person can act on. Server replies are never quoted: some echo what
 * was sent, and what was sent includes the password.
 */
function classify(side: Side, host: string, port: number, err: unknown, elapsedMs: number): TestOutcome {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; authenticationFailed?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : errnoOf(err);
  const where = `${host}:${port}`;
  const statusCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (code === 'EAUTH' || e.authenticationFailed === true || (statusCode !== undefined && statusCode >= 530 && statusCode <= 535)) {
    return { status: 'rejected', message: `${side}: credentials rejected by ${where}; check the username and password (or app password).`, elapsedMs, statusCode };
  }
  const message = typeof e.message === 'string' ? e.message : '';
  let reason: string | null = null;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) reason = 'refused the connection (wrong port, or the server is down)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = 'could not be found (DNS)';
  else if (code === 'ETIMEDOUT' || code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT' || /timed? ?out/i.test(message)) reason = 'did not answer in time';
  else if (/self[- ]signed|certificate|CERT_|unable to verify/i.test(`${code ?? ''} ${message}`)) reason = 'presented a TLS certificate that is not trusted';
  else if (/wrong version number|ssl|tls/i.test(message)) reason = 'did not speak the chosen TLS mode (check the port and security setting)';
  else if (code === 'ECONNRESET' || code === 'ESOCKET' || code === 'ECONNECTION' || code === 'EPIPE') reason = 'closed the connection';
  if (reason) return { status: 'unreachable', message: `${side}: ${where} ${reason}.`, elapsedMs };
  return { status: 'unexpected', message: `${side}: ${where} answered in an unexpected way${code ? ` (${code})` : ''}.`, elapsedMs, statusCode };
}

function tlsOptions(options: MailTestOptions) {
  return { ca: options.ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
}

/** Connects, says EHLO, upgrades to TLS where chosen, and authenticates. Sends nothing. */
export async function testSmtp(s: MailSettings, password: string, options: MailTestOptions = {}): Promise<TestOutcome> {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    host: s.smtpHost,
    port: s.smtpPort,
    secure: s.smtpTls === 'tls',
    requireTLS: s.smtpTls === 'starttls',
    ignoreTLS: s.smtpTls === 'none',
    auth: { user: s.username, pass: password },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: tlsOptions(options),
    logger: false,
    debug: false,
  });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await transport.verify();
    return { status: 'ok', message: `SMTP: ${s.smtpHost}:${s.smtpPort} accepted the login.`, elapsedMs: elapsed(), account: s.username };
  } catch (err) {
    return classify('SMTP', s.smtpHost, s.smtpPort, err, elapsed());
  } finally {
    transport.close();
  }
}

/** Connects, logs in, reads the capabilities, logs out. Changes nothing in the mailbox. */
export async function testImap(s: MailSettings, password: string, options: MailTestOptions = {}): Promise<TestOutcome> {
  const timeout = options.timeoutMs ?? 15_000;
  const client = new ImapFlow({
    host: s.imapHost,
    port: s.imapPort,
    secure: s.imapTls === 'tls',
    doSTARTTLS: s.imapTls === 'starttls' ? true : s.imapTls === 'none' ? false : undefined,
    auth: { user: s.username, pass: password },
    tls: tlsOptions(options),
    logger: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  // imapflow also reports failures as 'error' events; the awaited call below carries the same error.
  client.on('error', () => undefined);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await client.connect();
    const caps = client.capabilities.size;
    await client.logout().catch(() => undefined);
    return { status: 'ok', message: `IMAP: ${s.imapHost}:${s.imapPort} accepted the login (${caps} capabilities).`, elapsedMs: elapsed(), account: s.username };
  } catch (err) {
    client.close();
    return classify('IMAP', s.imapHost, s.imapPort, err, elapsed());
  }
}

const SEVERITY: Record<TestOutcome['status'], number> = { ok: 0, untestable: 0, unexpected: 1, unreachable: 2, missing_scope: 3, rejected: 4 };

/** Both sides must work: the worse result wins and names its side. */
export async function testMail(s: MailSettings, password: string, options: MailTestOptions = {}): Promise<TestOutcome> {
  const [smtp, imap] = await Promise.all([testSmtp(s, password, options), testImap(s, password, options)]);
  if (smtp.status === 'ok' && imap.status === 'ok') {
    return { status: 'ok', message: `IMAP and SMTP accepted the login (${s.imapHost}, ${s.smtpHost}).`, elapsedMs: Math.max(smtp.elapsedMs, imap.elapsedMs), account: s.username };
  }
  return SEVERITY[smtp.status] >= SEVERITY[imap.status] ? smtp : imap;
}

/** The connection tester's entry: fields from the connection, the password from the vault. */
export async function runMailTest(material: { secret?: string; fields: Record<string, string> }): Promise<TestOutcome> {
  const settings = validate(MailSettingsSchema, material.fields, 'Mail connection settings');
  if (!material.secret) return { status: 'rejected', message: 'No password is stored for this mail connection.', elapsedMs: 0 };
  // NODE_EXTRA_CA_CERTS is honoured by Node itself for a company CA; nothing else widens trust.
  return testMail(settings, material.secret);
}
