import { Command, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './context';
import type { CliIO } from './io';
import { fromChoices } from '../core/import/sources/registry';
import { describeKeyProtectorKinds } from '../core/keys/registry';
import { addHelp } from './help';
import { collect, wholeNumber } from './option-values';
import { VERSION } from './version';

/** A command module's entry: the context, then commander's positional arguments and options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander hands over untyped argv; each command validates its own
type CommandFn = (ctx: CommandContext, ...args: any[]) => Promise<number>;

/**
 * Every `sophon` command, option and help text, as commander parses them. Each action loads its
 * command module on demand (so `sophon connect list` never loads what `vault verify` needs) and
 * records the exit code it returns.
 */
export function buildProgram(io: CliIO, env: NodeJS.ProcessEnv, setExit: (code: number) => void): Command {
  const program = new Command('sophon')
    .description("Sophon: connect your services to your AI agent; the agent never sees a secret.")
    .option('--home <dir>', 'data folder (default: $SOPHON_HOME or ~/.sophon)')
    .option('--user <id>', 'user id (default: $SOPHON_USER or "default")')
    .option('--debug', 'show stack traces of errors')
    .version(VERSION, '-V, --version', 'the version of sophon')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const globals = (): GlobalOptions => {
    const o = program.opts<{ home?: string; user?: string; debug?: boolean }>();
    return { home: o.home, user: o.user ?? env.SOPHON_USER ?? 'default', debug: o.debug === true };
  };
  // Every action: resolve context, load the command module lazily, record its exit code.
  const run = (load: () => Promise<CommandFn>) => async (...args: unknown[]) => {
    // `--no-color` is NO_COLOR for this run: io.color (and anything else that honours it) reads that.
    if (program.opts<{ color?: boolean }>().color === false) process.env.NO_COLOR = '1';
    const fn = await load();
    setExit(await fn({ io, global: globals(), env }, ...args));
  };

  // `audit verify --json`, `audit export --since`: commander gives an option that `audit` also has to
  // `audit` (its options are not positional, so that globals may come anywhere); the subcommand reads both.
  const withAuditOptions =
    (fn: (ctx: CommandContext, raw: unknown) => Promise<number>): CommandFn =>
    (ctx, _opts: unknown, cmd: Command) =>
      fn(ctx, cmd.optsWithGlobals());

  const vault = program
    .command('vault')
    .description(`the encrypted credential vault; its key is kept by the protector named in Sophon.Vault.KeyProtector:\n  ${describeKeyProtectorKinds().join('\n  ')}`);
  vault
    .command('status')
    .description('provider, key protector and whether its key is reachable, data folder, number of credentials, problems')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/vault')).vaultStatus));
  vault
    .command('verify')
    .description('open every credential file and report each one that fails; exit 0 only when all open')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/vault')).vaultVerify));
  vault
    .command('pkcs11-pin')
    .description('check the PKCS#11 token PIN with one login and keep it in the OS keychain (key protector "pkcs11"); asked on a terminal')
    .option('--secret-stdin', 'read the PIN from stdin instead of asking (never give it as an argument)')
    .action(run(async () => (await import('./commands/vault')).vaultPkcs11Pin));
  vault
    .command('recover')
    .description('list again the connections whose credential files have no connection in sophon.db (lost or emptied); never replaces one')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/vault')).vaultRecover));
  vault
    .command('rotate-key')
    .description('a new master key (optionally kept by another protector), every credential re-encrypted under it, then the old key removed; safe to interrupt, and a re-run finishes an interrupted rotation')
    .option('--to <protector>', `keep the new key with this protector instead of the current one: ${describeKeyProtectorKinds().map((d) => d.split(':')[0]).join(', ')}`)
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/vault')).vaultRotateKey));
  vault
    .command('backup')
    .description('write every credential and connection (and OAuth client secrets) to one file encrypted under a recovery passphrase; no OS key is needed to restore it')
    .option('--out <file>', 'the backup file to create (never overwritten)')
    .option('--passphrase-stdin', 'read the passphrase from stdin (at least 12 characters); without it a recovery phrase is generated and printed once')
    .option('--schedule <folder>', 'back up to this folder every --every hours, keeping --keep of them (the app, `sophon dashboard` or `--run-scheduled` from cron runs it); the passphrase is asked once')
    .option('--keep <n>', 'with --schedule: how many scheduled backups to keep (default 7)')
    .option('--every <hours>', 'with --schedule: hours between scheduled backups (default 24)')
    .option('--run-scheduled', 'write a scheduled backup now if one is due (for cron); --force writes one even if not due')
    .option('--force', 'with --run-scheduled: write one even if the last is recent')
    .option('--unschedule', 'stop scheduled backups (the backups already written stay)')
    .option('--show-schedule', 'the schedule: folder, keep, every, last and next backup')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/backup')).vaultBackup));
  vault
    .command('restore <file>')
    .description('check a backup, show what it adds, and restore it under this machine\'s key, all or nothing; conflicts by id keep this machine\'s copy unless --replace')
    .option('--passphrase-stdin', 'read the passphrase from stdin instead of asking')
    .option('--replace', 'on a conflict by id, the backup\'s copy replaces this machine\'s')
    .option('--dry-run', 'show what would be restored and change nothing')
    .option('--yes', 'restore without asking (needed when not on a terminal)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/backup')).vaultRestore));

  program.command('doctor').description('where the data and the log (logs/sophon.log) are; whether the vault key and the database can be reached').option('--json', 'machine-readable output').action(run(async () => (await import('./commands/doctor')).doctor));
  const connect = program.command('connect').description('connections to services: add, list, test, status, rename, remove');
  const connectCmd = () => import('./commands/connect');
  connect
    .command('list')
    .description('your connections (or the service catalog with --available)')
    .option('--available', 'list the services you can connect instead')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectList));
  connect
    .command('add [service]')
    .description('connect a service; the secret is read from a hidden prompt or, with --secret-stdin, from stdin')
    .option('--issuer <url>', 'OAuth: connect the service signing in at this issuer (endpoints discovered; Sophon registers itself) instead of a catalog service')
    .option('--url <url>', 'OAuth: connect the API at this URL (e.g. a remote MCP server), found by its protected resource metadata (RFC 9728)')
    .option('--id <id>', 'with --issuer or --url: the id of the connector written for it (default: from the URL)')
    .option('--label <label>', 'a name for this account (e.g. "Work")')
    .option('--secret-stdin', 'read the secret from stdin instead of a prompt')
    // One value per --field (repeat it): a variadic option would take the service name after it too.
    .option('--field <name=value>', 'a non-secret field the service needs (repeatable)', collect, [])
    .option('--no-test', 'store without testing the credential first')
    .option('--scopes <scopes...>', 'OAuth: the scopes to ask for (default: the service\'s)')
    .option('--device', 'OAuth: sign in with a device code instead of a browser on this machine')
    .option('--no-browser', 'OAuth: print the sign-in address instead of opening a browser')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectAdd));
  connect
    .command('update <connection>')
    .description('replace the secret of a connection (a rotated API key); the id, label and history stay')
    .option('--secret-stdin', 'read the new secret from stdin instead of a prompt')
    .option('--no-test', 'store without testing the new secret first')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectUpdate));
  connect
    .command('reauth <connection>')
    .description('sign in again (e.g. with more --scopes); the id, label and history stay')
    .option('--scopes <scopes...>', 'the scopes to ask for (default: those granted before)')
    .option('--device', 'sign in with a device code')
    .option('--no-browser', 'print the sign-in address instead of opening a browser')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectReauth));
  connect
    .command('test <connection>')
    .description('make the service\'s minimal real call with the stored credential')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectTest));
  connect
    .command('status <connection>')
    .description('state, account, last use, expiry and last test of a connection')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectStatus));
  connect
    .command('refresh <connection>')
    .description('refresh an OAuth connection\'s token now (skips the wait after a failed refresh)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectRefresh));
  connect
    .command('rename <connection> <label>')
    .description('change the label of a connection')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectRename));
  connect
    .command('remove <connection>')
    .description('revoke (where the service can) and delete a connection and its credential')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await connectCmd()).connectRemove));
  connect
    .command('import')
    .description('find logins held by gh, Claude Code, Codex and the environment, and import them (linked: never copied, never refreshed)')
    .option('--from <source>', `only this source: ${[...fromChoices().keys()].join(', ')}`)
    .option('--all', 'import every login found that is not imported yet')
    .option('--dry-run', 'only list what was found')
    .option('--copy', 'gh logins: store an independent copy in the vault instead of linking')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/import')).connectImport));

  // Guided OAuth setup and settings (issue 15).
  const oauth = program.command('oauth').description("OAuth clients: register Sophon at a service's console and give it the client id");
  oauth
    .command('setup <service>')
    .description('show how to register Sophon at the service (console, app type, redirect URI, scopes), save the client id (the secret goes into the vault), then offer to sign in')
    .option('--client-id <id>', 'the client id from the console (asked on a terminal otherwise)')
    .option('--client-secret-stdin', 'read the client secret from stdin (never give it as an argument)')
    .option('--sign-in', 'sign in straight away without asking')
    .option('--no-sign-in', 'do not offer to sign in')
    .option('--device', 'with --sign-in: sign in with a device code')
    .option('--no-browser', 'with --sign-in: print the sign-in address instead of opening a browser')
    .option('--json', 'machine-readable output (no sign-in)')
    .action(run(async () => (await import('./commands/oauth')).oauthSetup));
  const config = program.command('config').description('settings (config/appsettings.json): read and change them by key, checked against the settings schema');
  config
    .command('get [key]')
    .description('the value of a setting (its default when the file does not set it), or every setting; says which file')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/config')).configGet));
  config
    .command('set <key> <value>')
    .description('change one setting in the settings file (validated; every other key kept); secrets are refused: they go into the vault')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/config')).configSet));

  const audit = program
    .command('audit')
    .description('every credential access, newest first (of --user, default the current user); verify and export the tamper-evident trail')
    .option('--connection <connection>', 'only this connection (id or label)')
    .option('--skill <skill>', 'only this skill')
    .option('--since <when>', 'only since a duration ago (30m, 2h, 7d) or a date')
    .option('--limit <n>', 'at most this many rows', wholeNumber('--limit', 1, 10_000), 100)
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/audit')).audit));
  audit
    .command('verify')
    .description('walk the hash chain of the audit trail and check its end against the signed head; exit 6 at the first broken link')
    .option('--json', 'machine-readable output')
    .action(run(async () => withAuditOptions((await import('./commands/audit')).auditVerify)));
  audit
    .command('export')
    .description('every audit row (all users) in order with its chain hashes, to stdout, for a SIEM')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--since <when>', 'only since a duration ago (30m, 2h, 7d) or a date')
    .action(run(async () => withAuditOptions((await import('./commands/audit')).auditExport)));

  const connector = program.command('connector').description('user-defined services (connector files)');
  connector
    .command('new <id>')
    .description('write a commented connector template to SOPHON_HOME/connectors/<id>.json')
    .option('--force', 'overwrite an existing file')
    .action(run(async () => (await import('./commands/connector')).connectorNew));
  connector
    .command('validate <file>')
    .description('check a connector file; every problem is named by field')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/connector')).connectorValidate));

  // REST API and browser dashboard (issue 7).
  program
    .command('dashboard')
    .description('serve the REST API and the dashboard on 127.0.0.1 until Ctrl-C; prints the address with your token')
    .option('--port <n>', 'port (default: a free one)', wholeNumber('--port', 0, 65_535))
    .option('--host <host>', 'address to listen on (default 127.0.0.1; anything else prints a warning)')
    .option('--open', 'open the dashboard in your browser')
    .option('--no-browser', 'OAuth sign-ins: do not open the system browser (the dashboard shows the link)')
    .action(run(async () => (await import('./commands/dashboard')).dashboard));
  const apiToken = program.command('api-token').description('tokens for the REST API (each belongs to one user: --user)');
  apiToken
    .command('create')
    .description('issue a token for --user (printed once; only its hash is kept)')
    .option('--admin', 'the token may also list every user\'s connections (never their credentials)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/api-token')).apiTokenCreate));
  apiToken
    .command('list')
    .description('the tokens issued (ids, users, roles; never a token)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/api-token')).apiTokenList));
  apiToken
    .command('revoke <id>')
    .description('stop a token from working')
    .action(run(async () => (await import('./commands/api-token')).apiTokenRevoke));

  // Brokered credentials: broker tokens, the proxy, skills (issue 6).
  const broker = program.command('broker').description('the credential broker: short-lived broker tokens and the loopback proxy');
  const brokerCmd = () => import('./commands/broker');
  broker
    .command('mint')
    .description('print a broker token for an agent runtime outside Sophon (never a credential)')
    .option('--manifest <folder>', "the skill's folder: the token gets only what its manifest.json declares (services, scopes, methods, paths)")
    .option('--skill <skill>', 'the skill the token is for (without --manifest: a token bound to no manifest)')
    .requiredOption('--tool <tool>', 'the tool the token is for')
    .option('--connection <connection...>', 'the connection(s) it may use (id, label, or service); with --manifest, by default the one of each declared service')
    .option('--scopes <scopes...>', 'scopes the connection must have been granted (OAuth connections)')
    .option('--ttl <seconds>', 'lifetime (default: Sophon.Broker.TokenTtlSeconds, 300)', wholeNumber('--ttl', 1, 86_400))
    .option('--json', 'machine-readable output')
    .action(run(async () => (await brokerCmd()).brokerMint));
  broker
    .command('revoke <token-id>')
    .description('stop a broker token from working, in every broker')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await brokerCmd()).brokerRevoke));
  broker
    .command('serve')
    .description('run the broker proxy on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port (default: Sophon.Broker.Port, or a free one)', wholeNumber('--port', 0, 65_535))
    .option('--json', 'print {"url","port"} as one JSON line')
    .action(run(async () => (await brokerCmd()).brokerServe));
  const skill = program.command('skill').description('skills: folders with a manifest.json whose tools call services through the broker');
  skill
    .command('run <folder> [args...]')
    .description('run a tool of a skill with broker tokens and a minimal environment; exits with the tool\'s exit code')
    .requiredOption('--tool <name>', 'the tool to run')
    .option('--connection <connection...>', 'which connection to use for a service (when you have several)')
    .action(run(async () => (await import('./commands/skill')).skillRun));
  skill
    .command('inspect <folder>')
    .description('what a skill asks for, whether your connections grant it, and its risk')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await import('./commands/skill')).skillInspect));

  program
    .command('completion <shell>')
    .description('print a completion script for bash, zsh or fish (commands, options, connection ids and labels)')
    .action(run(async () => (await import('./completion')).completionScript));
  // The MCP door (issue 14): `sophon mcp` serves MCP on stdio; its subcommands manage agents and client configs.
  const mcpCmd = () => import('./commands/mcp');
  const mcp = program
    .command('mcp')
    .description('serve MCP over stdin/stdout for an AI agent (Claude Code, Codex, Cursor, …); subcommands manage agents and clients')
    .option('--http', 'serve Streamable HTTP on 127.0.0.1 instead, until Ctrl-C (clients need a token: `mcp token create`)')
    .option('--port <n>', 'with --http: port (default: a free one)', wholeNumber('--port', 0, 65_535))
    .action(run(async () => (await mcpCmd()).mcpServe));
  const mcpToken = mcp.command('token').description('bearer tokens for `sophon mcp --http`: each is one named agent of --user');
  mcpToken
    .command('create')
    .description('issue a token for an agent (printed once; only its hash is kept)')
    .requiredOption('--agent <name>', 'the agent it stands for (its name in policies and the audit trail)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await mcpCmd()).mcpTokenCreate));
  mcpToken
    .command('list')
    .description('the MCP tokens issued (ids, agents, users; never a token)')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await mcpCmd()).mcpTokenList));
  mcpToken
    .command('revoke <id>')
    .description('stop a token from working; its open sessions end')
    .action(run(async () => (await mcpCmd()).mcpTokenRevoke));
  mcp.command('agents').description('the MCP agents seen and their policies').option('--json', 'machine-readable output').action(run(async () => (await mcpCmd()).mcpAgents));
  mcp
    .command('policy <agent>')
    .description("show or set an agent's policy (default for a new agent: any connection, writes ask)")
    .option('--connections <ids>', 'comma-separated connections it may use')
    .option('--all', 'it may use every connection')
    .option('--writes <policy>', 'calls other than GET/HEAD: allow, ask (the person approves each) or deny')
    .option('--json', 'machine-readable output')
    .action(run(async () => (await mcpCmd()).mcpPolicy));
  for (const [name, what] of [['install', "add Sophon to an MCP client's configuration"], ['uninstall', "remove Sophon from an MCP client's configuration"]] as const) {
    mcp
      .command(name)
      .description(what)
      .requiredOption('--client <client>', 'claude-code, claude-desktop, codex, cursor or vscode')
      .option('--dry-run', 'print the change, write nothing')
      .option('--json', 'machine-readable output')
      .action(run(async () => (await mcpCmd())[name === 'install' ? 'mcpInstall' : 'mcpUninstall']));
  }

  program.addOption(new Option('--no-color', 'no colours (also: NO_COLOR=1)').hideHelp());
  addHelp(program, io);
  return program;
}
