import { ExitCode } from './exit-codes';
import { processIO, type CliIO } from './io';
import { plainListArgs } from './list-args';
import { runPlainList } from './plain-list';
import { reportError } from './report-error';

/**
 * The `sophon` command: parses argv (commander, in ./program, loaded only when needed), dispatches
 * to a command module loaded on demand, and turns errors into one line and an exit code. Commands
 * never call process.exit.
 */
export async function main(argv: string[], io: CliIO = processIO(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Fast path 5 (bin/sophon.cjs). A command validates a handful of objects once: zod's eval-compiled parsers cost more than they save.
  (await import('zod')).z.config({ jitless: true });
  try {
    // The most frequent command, in its plain forms, starts without building commander's program
    // (every command, option and help text); anything else, or any doubt, goes through commander.
    const list = plainListArgs(argv);
    if (list) return await runPlainList(list, io, env);
    const { CommanderError } = await import('commander');
    const { buildProgram } = await import('./program');
    const { oneLineUsageErrors } = await import('./usage-errors');
    let exit: number = ExitCode.ok;
    const program = buildProgram(io, env, (code) => (exit = code));
    // The shells' completion scripts call back here (electron/cli/completion.ts).
    if (argv[0] === '__complete') return await (await import('./completion')).complete(program, argv.slice(1), io, env);
    const reportUsage = oneLineUsageErrors(program, io);
    try {
      await program.parseAsync(argv, { from: 'user' });
      return exit;
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      if (err.exitCode === 0) return ExitCode.ok;
      reportUsage(err);
      return ExitCode.usage;
    }
  } catch (err) {
    return reportError(io, argv, err);
  }
}
