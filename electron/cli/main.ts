import { Command, CommanderError, Option } from 'commander';
import { isSophonError } from '../core/errors';
import type { CommandContext, GlobalOptions } from './context';
import { exitCodeFor, ExitCode } from './exit-codes';
import { processIO, type CliIO } from './io';

/** A command module's entry: the context, then commander's positional arguments and options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander hands over untyped argv; each command validates its own
type CommandFn = (ctx: CommandContext, ...args: any[]) => Promise<number>;

/**
 * The `sophon` command: parses argv, dispatches to a command module loaded on demand (so `sophon
 * connect list` never loads what `vault verify` needs), and turns errors into one line and an exit
 * code. Commands never call process.exit.
 */
export function buildProgram(io: CliIO, env: NodeJS.ProcessEnv, setExit: (code: number) => void): Command {
  const program = new Command('sophon')
    .description("Sophon: connect your services to your AI agent; the agent never sees a secret.")
    .option('--home <dir>', 'data folder (default: $SOPHON_HOME or ~/.sophon)')
    .option('--user <id>', 'user id (default: $SOPHON_USER or "default")')
    .option('--debug', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const globals = (): GlobalOptions => {
    const o = program.opts<{ home?: string; user?: string; debug?: boolean }>();
    return { home: o.home, user: o.user ?? env.SOPHON_USER ?? 'default', debug: o.debug === true };
  };
  // Every action: resolve context, load the command module lazily, record its exit code.
  const run = (load: () => Promise<CommandFn>) => async (...args: unknown[]) => {
    const fn = await load();
    setExit(await fn({ io, global: globals(), env }, ...args));
  };

  const vault = program.command('vault').description('the encrypted credential vault');
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

  // (connect, audit and connector commands are registered once the catalog and testers land)
  program.addOption(new Option('--no-color', 'no colours (also: NO_COLOR=1)').hideHelp());
  return program;
}

export async function main(argv: string[], io: CliIO = processIO(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exit: number = ExitCode.ok;
  const program = buildProgram(io, env, (code) => (exit = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const debug = argv.includes('--debug');
    if (isSophonError(err)) {
      io.err(`sophon: ${err.message}`);
      if (debug && err.stack) io.err(err.stack);
      return exitCodeFor(err.code);
    }
    io.err(`sophon: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    if (debug && err instanceof Error && err.stack) io.err(err.stack);
    else io.err('(run with --debug for details)');
    return ExitCode.failure;
  }
}
