import { isSophonError } from '../core/errors';
import { exitCodeFor, ExitCode } from './exit-codes';
import { processIO, type CliIO } from './io';
import { plainListArgs } from './list-args';

/**
 * The `sophon` command: parses argv (commander, in ./program, loaded only when needed), dispatches
 * to a command module loaded on demand, and turns errors into one line and an exit code. Commands
 * never call process.exit.
 */
export async function main(argv: string[], io: CliIO = processIO(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A command validates a handful of objects once: zod's eval-compiled parsers cost more than they save.
  (await import('zod')).z.config({ jitless: true });
  try {
    // The most frequent command, in its plain forms, starts without building commander's program
    // (every command, option and help text); anything else, or any doubt, goes through commander.
    const list = plainListArgs(argv);
    if (list) {
      const { connectList } = await import('./commands/connect');
      return await connectList({ io, env, global: { home: list.home, user: list.user ?? env.SOPHON_USER ?? 'default', debug: list.debug } }, { json: list.json });
    }
    const { CommanderError } = await import('commander');
    const { buildProgram } = await import('./program');
    let exit: number = ExitCode.ok;
    const program = buildProgram(io, env, (code) => (exit = code));
    try {
      await program.parseAsync(argv, { from: 'user' });
      return exit;
    } catch (err) {
      if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      throw err;
    }
  } catch (err) {
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
