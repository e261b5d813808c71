import { isSophonError } from '../core/errors';
import { unhandledStorageError } from '../core/fs/storage-errors';
import { exitCodeFor, ExitCode } from './exit-codes';
import type { CliIO } from './io';

/** An error that ended a command: one line on stderr (and its stack with --debug), and its exit code. */
export function reportError(io: CliIO, argv: readonly string[], thrown: unknown): number {
  // Ctrl-C at a prompt: the person knows what they did. The prompt has already ended its line; nothing more.
  if (thrown instanceof Error && thrown.name === 'ExitPromptError') return ExitCode.interrupted;
  const err = unhandledStorageError(thrown);
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
