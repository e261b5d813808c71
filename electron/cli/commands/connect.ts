import type { ServiceDefinition } from '../../core/catalog/schema';
import type { TestOutcome } from '../../core/connections/test-outcome';
import { SophonError } from '../../core/errors';
import { isLinked } from '../../core/import/linked';
import type { CommandContext } from '../context';
import { resolveRef, withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table, type CliIO } from '../io';
import { stateBadge } from './connect-list';
import { when } from '../time';
import { askSecretField, askText, choose, confirm, readSecret } from '../prompt';
import { spinner, startSpinner } from '../spinner';
import { authMethodName } from '../../../shared/auth-names';
import type { OAuthInteraction } from '../../core/connections/oauth-connect';

export { connectList } from './connect-list';

interface OAuthFlags {
  scopes?: string[];
  device?: boolean;
  browser?: boolean;
}

/**
 * How this terminal shows a sign-in. The URL is always printed (SSH sessions, headless machines);
 * the browser is opened where one can be; with no display, a device code is used where the service has one.
 */
function interaction(ctx: CommandContext, service: ServiceDefinition, flags: OAuthFlags, waiting: (stop: () => void) => void = () => {}): OAuthInteraction {
  const headless = Boolean(ctx.env.SSH_CONNECTION) || (process.platform === 'linux' && !ctx.env.DISPLAY && !ctx.env.WAYLAND_DISPLAY);
  const device = flags.device === true || (headless && flags.browser !== false && Boolean(service.auth.oauth?.deviceAuthorizationUrl));
  return {
    scopes: flags.scopes?.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
    device,
    openUrl: async (url) => {
      // Say only what happens: a browser is opened only when one can be and was not turned off.
      if (flags.browser === false || headless) {
        ctx.io.err(`To sign in to ${service.name}, open this address in a browser:\n  ${url}`);
        waiting(startSpinner(ctx.io, 'Waiting for the sign-in'));
        return;
      }
      ctx.io.err(`Opening your browser to sign in to ${service.name}. If it does not open, visit:\n  ${url}`);
      const { defaultOpenUrl } = await import('../../core/oauth/authorize');
      await defaultOpenUrl(url).catch(() => ctx.io.err('(could not open a browser; use the address above)'));
      waiting(startSpinner(ctx.io, 'Waiting for the sign-in in your browser'));
    },
    onDeviceCode: (code) => {
      ctx.io.err(`To connect ${service.name}, visit ${code.verificationUri} and enter the code ${code.userCode}`);
      waiting(startSpinner(ctx.io, 'Waiting for the code to be entered'));
    },
  };
}

const TEST_EXIT: Record<TestOutcome['status'], number> = {
  ok: ExitCode.ok,
  untestable: ExitCode.ok,
  rejected: ExitCode.authFailed,
  missing_scope: ExitCode.authFailed,
  unreachable: ExitCode.unreachable,
  unexpected: ExitCode.failure,
};

function outcomeLine(io: CliIO, o: TestOutcome): string {
  const ok = o.status === 'ok' || o.status === 'untestable';
  return `${paint(io, ok ? 'green' : 'red', o.status)}: ${o.message}`;
}

/** `--field k=v` pairs; a secret field named here is refused by core (argv is readable by other processes). */
function parseFieldArgs(pairs: string[] | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new SophonError('usage', `--field takes name=value, got "${pair.slice(0, 40)}".`);
    fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return fields;
}

async function promptMissingFields(ctx: CommandContext, service: ServiceDefinition, plain: Record<string, string>): Promise<Record<string, string>> {
  const secret: Record<string, string> = {};
  for (const f of service.auth.fields) {
    if (f.secret) {
      const value = await askSecretField(ctx.io, `${f.label}:`);
      if (value !== undefined) secret[f.name] = value;
    } else if (plain[f.name] === undefined && f.required && f.default === undefined) {
      const value = await askText(ctx.io, `${f.label}:`);
      if (value !== undefined) plain[f.name] = value;
    }
  }
  return secret;
}

/** Runs a core call that may sign in (spinner while the browser is awaited) or test a key (spinner while it tests). */
async function withProgress<T>(ctx: CommandContext, testing: boolean, work: (interact: (stop: () => void) => void) => Promise<T>): Promise<T> {
  let stopWaiting = () => {};
  const stopTesting = testing ? startSpinner(ctx.io, 'Testing the key') : () => {};
  try {
    return await work((stop) => {
      stopTesting();
      stopWaiting = stop;
    });
  } finally {
    stopTesting();
    stopWaiting();
  }
}

/**
 * A key the service rejected: the core says what happened in words every door can show; the way past
 * it is this door's own flag.
 */
async function withNoTestHint<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SophonError && err.code === 'auth_failed' && /(Nothing was stored|The old secret stays)\.$/.test(err.message)) {
      throw new SophonError('auth_failed', `${err.message} Add --no-test to store ${what} untested.`, { cause: err });
    }
    throw err;
  }
}

/** The test of a new secret, said once: ok on stdout, anything else on stderr (the secret was still stored). */
function reportTest(ctx: CommandContext, test: TestOutcome | null): void {
  if (!test) return;
  const ok = test.status === 'ok' || test.status === 'untestable';
  if (ok) ctx.io.out(`Test ${outcomeLine(ctx.io, test)}`);
  else ctx.io.err(`${paint(ctx.io, 'yellow', 'Stored untested:')} the test could not finish (${test.status}: ${test.message})`);
}

export async function connectAdd(
  ctx: CommandContext,
  serviceArg: string | undefined,
  opts: { label?: string; secretStdin?: boolean; field?: string[]; test?: boolean; json?: boolean; issuer?: string; url?: string; id?: string } & OAuthFlags,
): Promise<number> {
  const given = [serviceArg, opts.issuer, opts.url].filter((v) => v !== undefined).length;
  if (given !== 1) throw new SophonError('usage', 'Give one of: a service id, --issuer <url>, or --url <url>.');
  if (opts.id !== undefined && serviceArg !== undefined) throw new SophonError('usage', '--id names the connector written for --issuer or --url; a catalog service has its own.');
  return withCore(ctx, async (core) => {
    let serviceId = serviceArg ?? '';
    if (serviceArg === undefined) {
      const byUrl = await import('../../core/connections/connect-by-url');
      const made = opts.url !== undefined
        ? await byUrl.connectorForApi(core.paths.connectorsDir, opts.url, { id: opts.id })
        : await byUrl.connectorForIssuer(core.paths.connectorsDir, opts.issuer ?? '', { id: opts.id });
      core.connections.forgetCatalog();
      serviceId = made.id;
      if (!opts.json) ctx.io.err(`Connector ${made.id} written to ${core.paths.connectorsDir}/${made.id}.json (${made.auth.oauth?.resource ? `API ${made.apiBaseUrl}, ` : ''}issuer ${made.auth.oauth?.issuer ?? '?'}).`);
    }
    const service = await core.connections.service(serviceId);
    const fields = parseFieldArgs(opts.field);
    const secretFields = await promptMissingFields(ctx, service, fields);
    const needsSecret = !['none', 'oauth2'].includes(service.auth.method);
    const secret = needsSecret ? await readSecret(ctx.io, service.auth.secretLabel, opts.secretStdin === true) : undefined;
    const oauth = service.auth.method === 'oauth2';
    const { connection, test } = await withProgress(ctx, !oauth && opts.test !== false && !opts.json, (waiting) =>
      withNoTestHint(
        () =>
          core.connections.add(ctx.global.user, {
            serviceId,
            label: opts.label,
            secret,
            fields,
            secretFields,
            test: opts.test !== false,
            oauth: oauth ? interaction(ctx, service, opts, waiting) : undefined,
          }),
        'it',
      ),
    );
    if (opts.json) {
      ctx.io.json({ connection, test });
      return test ? TEST_EXIT[test.status] : ExitCode.ok;
    }
    ctx.io.out(`Connected ${connection.serviceName} as ${connection.id} ("${connection.label}").`);
    reportTest(ctx, test);
    // Offline (or the service failed): the key is kept but unproven. On a terminal the person decides.
    if (test && test.status !== 'ok' && test.status !== 'untestable' && ctx.io.isTTY) {
      const keep = await choose(ctx.io, 'Keep it untested, or discard it?', [
        { value: 'keep', name: `Keep it (test later with \`sophon connect test ${connection.id}\`)` },
        { value: 'discard', name: 'Discard it' },
      ]);
      if (keep === 'discard') {
        await core.connections.remove(ctx.global.user, connection.id);
        ctx.io.err(`Discarded ${connection.label}; nothing is stored.`);
        return TEST_EXIT[test.status];
      }
      ctx.io.err(`Kept ${connection.label} untested.`);
    }
    return test ? TEST_EXIT[test.status] : ExitCode.ok;
  });
}

export async function connectTest(ctx: CommandContext, ref: string, opts: { json?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const id = await resolveRef(ctx, core, ref);
    const { connection, outcome } = await spinner(ctx.io, 'Testing the key', () => core.connections.test(ctx.global.user, id));
    if (opts.json) ctx.io.json({ connection, outcome });
    else ctx.io.out(`${connection.label} (${connection.id}): ${outcomeLine(ctx.io, outcome)}`);
    return TEST_EXIT[outcome.status];
  });
}

export async function connectStatus(ctx: CommandContext, ref: string, opts: { json?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const c = await core.connections.status(ctx.global.user, await resolveRef(ctx, core, ref));
    if (opts.json) {
      ctx.io.json(c);
      return ExitCode.ok;
    }
    const rows = [
      ['Connection', `${c.label} (${c.id})`],
      ['Service', `${c.serviceName} (${c.serviceId})`],
      ['State', stateBadge(ctx.io, c) + (c.stateReason ? ` — ${c.stateReason}` : '')],
      ['Auth', authMethodName(c.authMethod) + (c.secretHint ? ` ${c.secretHint}` : '')],
      ['Account', c.account ?? '-'],
      ['Scopes', c.scopes.join(' ') || '-'],
      ['Created', when(c.createdAt)],
      ['Last used', when(c.lastUsedAt)],
      ['Expires', when(c.expiresAt)],
      ['Last test', c.lastTest ? `${c.lastTest.status} ${when(c.lastTest.at)}: ${c.lastTest.message}` : 'never'],
      ...Object.entries(c.fields).map(([k, v]) => [k, v]),
    ];
    ctx.io.out(table(rows));
    return ExitCode.ok;
  });
}

export async function connectReauth(ctx: CommandContext, ref: string, opts: { json?: boolean } & OAuthFlags): Promise<number> {
  return withCore(ctx, async (core) => {
    const id = await resolveRef(ctx, core, ref);
    const service = await core.connections.service((await core.connections.status(ctx.global.user, id)).serviceId);
    const c = await withProgress(ctx, false, (waiting) => core.connections.reauth(ctx.global.user, id, interaction(ctx, service, opts, waiting)));
    if (opts.json) ctx.io.json(c);
    else ctx.io.out(`Re-authenticated ${c.label} (${c.id}); scopes: ${c.scopes.join(' ') || '(none)'}.`);
    return ExitCode.ok;
  });
}

/** A manual refresh: now, even if the token is fresh, and without waiting out a cooldown. */
export async function connectRefresh(ctx: CommandContext, ref: string, opts: { json?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const id = await resolveRef(ctx, core, ref);
    const c = await core.refreshConnection(ctx.global.user, id);
    if (opts.json) ctx.io.json(c);
    else ctx.io.out(`Refreshed ${c.label} (${c.id}).`);
    return ExitCode.ok;
  });
}

export async function connectRename(ctx: CommandContext, ref: string, label: string, opts: { json?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const c = await core.connections.rename(ctx.global.user, await resolveRef(ctx, core, ref), label);
    if (opts.json) ctx.io.json(c);
    else ctx.io.out(`Renamed ${c.id} to "${c.label}".`);
    return ExitCode.ok;
  });
}

export async function connectRemove(ctx: CommandContext, ref: string, opts: { json?: boolean; yes?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const id = await resolveRef(ctx, core, ref);
    const c = await core.connections.status(ctx.global.user, id);
    if (!opts.yes && !(await confirm(ctx.io, `Remove ${c.label} (${c.serviceName}, ${c.id})? Its credential is deleted and, where the service allows, revoked.`))) {
      ctx.io.err('Nothing removed.');
      return ExitCode.ok;
    }
    const result = await core.connections.remove(ctx.global.user, id);
    if (opts.json) ctx.io.json(result);
    else {
      ctx.io.out(`Removed ${c.label} (${c.id}).`);
      if (result.revocation === 'revoked') ctx.io.out('Its token was revoked at the service.');
      if (result.revocation === 'failed') ctx.io.err(`${paint(ctx.io, 'yellow', 'warning:')} revocation at the service failed: ${result.revocationMessage}. Revoke it in the service's settings.`);
      // Sophon cannot revoke these: say so rather than imply the service forgot them.
      if (result.revocation === 'not_applicable' && c.authMethod !== 'oauth2' && !isLinked(c.fields)) ctx.io.out(`Sophon's copy of the credential is deleted. Sophon cannot revoke it at ${c.serviceName}: it stays valid there until you revoke it in the service's settings.`);
    }
    return ExitCode.ok;
  });
}

/** `connect update`: a new secret for the same connection (a rotated API key); id, label and history stay. */
export async function connectUpdate(ctx: CommandContext, ref: string, opts: { secretStdin?: boolean; test?: boolean; json?: boolean }): Promise<number> {
  return withCore(ctx, async (core) => {
    const id = await resolveRef(ctx, core, ref);
    const { service } = await core.connections.updatable(ctx.global.user, id);
    const secret = await readSecret(ctx.io, `New ${service.auth.secretLabel}`, opts.secretStdin === true);
    const testing = opts.test !== false;
    const { connection, test } = await withProgress(ctx, testing && !opts.json, () => withNoTestHint(() => core.connections.update(ctx.global.user, id, { secret, test: testing }), 'the new one'));
    if (opts.json) ctx.io.json({ connection, test });
    else {
      ctx.io.out(`Replaced the secret of ${connection.label} (${connection.id}).`);
      reportTest(ctx, test);
    }
    return test ? TEST_EXIT[test.status] : ExitCode.ok;
  });
}
