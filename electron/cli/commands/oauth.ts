import { clientSecretSet } from '../../core/config/oauth-clients';
import { clientReady, clientSourceOf, readClientSourceFiles, type OAuthClientSource } from '../../core/config/oauth-client-source';
import { setUpOAuthClient } from '../../core/config/oauth-setup';
import { SophonError } from '../../core/errors';
import { redirectRuleText, setupGuide, type SetupGuide } from '../../core/oauth/setup-guide';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, type CliIO } from '../io';
import { askText, confirm, readSecret } from '../prompt';

const SOURCE_WORDS: Record<OAuthClientSource, string> = {
  setting: 'your setting',
  distribution: 'the client shipped with this copy of Sophon',
  registered: 'a registration Sophon made itself',
  dynamic: 'none yet: Sophon will try to register itself at the issuer',
  none: 'none',
};

/** The steps, as a person follows them in the console: where, what to choose, what to enter. */
function printGuide(io: CliIO, name: string, guide: SetupGuide): void {
  const lines = [`Register Sophon at ${name}:`];
  let n = 1;
  const step = (text: string) => lines.push(`  ${n++}. ${text}`);
  step(guide.consoleUrl ? `Open ${guide.consoleUrl}` : `Open ${name}'s developer console (where apps that sign in with OAuth are registered).`);
  step(`Choose: ${guide.appType ?? 'a native (desktop) app, public client'}`);
  step(`Redirect URI: ${redirectRuleText(guide)}`);
  for (const s of guide.steps) step(s);
  lines.push(`  Scopes: ${guide.scopes.join(' ') || '(none: access is granted during consent)'}`);
  lines.push(`  Client secret: ${guide.secretRequired ? 'needed (it goes into the vault)' : 'not needed'}`);
  lines.push(`  Sign-in with a code (device flow): ${guide.deviceFlow ? 'offered' : 'not offered'}`);
  if (guide.verified) lines.push(`  Checked: ${guide.verified}`);
  io.out(lines.join('\n'));
}

/**
 * `sophon oauth setup <service>`: the guided setup in a terminal. Prints how to register Sophon at the
 * service, takes the client id (`--client-id` or a prompt) and, where needed, the secret (a hidden prompt
 * or `--client-secret-stdin`: never argv), keeps the secret in the vault, then offers to sign in.
 */
export async function oauthSetup(ctx: CommandContext, serviceId: string, opts: { clientId?: string; clientSecretStdin?: boolean; signIn?: boolean; browser?: boolean; device?: boolean; json?: boolean }): Promise<number> {
  const done = await withCore(ctx, async (core) => {
    const service = await core.connections.service(serviceId);
    if (service.auth.method !== 'oauth2') throw new SophonError('usage', `${service.name} does not sign in with OAuth: connect it with \`sophon connect add ${service.id}\`.`);
    const guide = setupGuide(service);
    const files = await readClientSourceFiles(core.paths.configDir, core.oauthDistributionFile);
    const before = clientSourceOf(service, core.settings, files);
    if (!opts.json) {
      printGuide(ctx.io, service.name, guide);
      ctx.io.out(`  Client now: ${SOURCE_WORDS[before]}`);
    }
    let clientId = opts.clientId;
    if (clientId === undefined) {
      if (!ctx.io.isTTY) throw new SophonError('usage', 'Give the client id with --client-id (not on a terminal, so it cannot be asked for).');
      clientId = await askText(ctx.io, 'Client id:');
    }
    if (!clientId?.trim()) throw new SophonError('usage', 'No client id was given; nothing was changed.');
    let clientSecret: string | undefined;
    if (opts.clientSecretStdin) clientSecret = await readSecret(ctx.io, 'client secret', true, '--client-secret-stdin');
    else if (guide.secretRequired && !clientSecretSet(core.settings, service.id)) clientSecret = await readSecret(ctx.io, 'Client secret', false, '--client-secret-stdin');
    await setUpOAuthClient({ settingsFile: core.paths.settingsFile, settings: core.settings, secrets: core.systemSecrets }, service, { clientId, clientSecret });
    const after = clientSourceOf(service, core.settings, await readClientSourceFiles(core.paths.configDir, core.oauthDistributionFile));
    const result = {
      serviceId: service.id,
      clientId: clientId.trim(),
      clientSecretSet: clientSecretSet(core.settings, service.id),
      settingsFile: core.paths.settingsFile,
      redirectUris: guide.redirectUris,
      scopes: guide.scopes,
      ready: clientReady(after),
    };
    if (opts.json) ctx.io.json(result);
    else {
      ctx.io.out(`Saved: Sophon.OAuth.${service.id}.ClientId in ${core.paths.settingsFile}${result.clientSecretSet ? '; the client secret is in the vault' : ''}.`);
    }
    return { service, result };
  });
  const name = done.service.name;
  if (opts.json) return ExitCode.ok;
  // Straight into sign-in when asked (or when a person at a terminal says yes); a script gets the command.
  const signIn = opts.signIn === true || (opts.signIn !== false && ctx.io.isTTY && (await confirm(ctx.io, `Sign in to ${name} now?`)));
  if (!signIn) {
    ctx.io.err(`${paint(ctx.io, 'bold', 'Next:')} sophon connect add ${done.service.id}`);
    return ExitCode.ok;
  }
  const { connectAdd } = await import('./connect');
  return connectAdd(ctx, done.service.id, { browser: opts.browser, device: opts.device });
}
