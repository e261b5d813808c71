import type { Command, CommanderError } from 'commander';
import type { CliIO } from './io';

/**
 * Commander's own error output is several lines (the message, "Did you mean", and for a missing
 * subcommand the whole help). The README promises one line: this takes over commander's error output
 * on every command and, when parsing fails, prints the problem as one line and a hint naming the
 * command's --help.
 */
export function oneLineUsageErrors(program: Command, io: CliIO): (err: CommanderError) => void {
  let failed: { command: Command; text?: string } | undefined;
  const visit = (command: Command) => {
    command.showHelpAfterError(false);
    command.configureOutput({
      ...command.configureOutput(),
      // Only the help shown for a missing subcommand comes this way (--help goes to writeOut).
      writeErr: () => {
        failed ??= { command };
      },
      outputError: (text) => {
        failed = { command, text };
      },
    });
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  return (err) => {
    const command = failed?.command ?? program;
    const path = commandPath(command);
    const problem = failed?.text !== undefined ? oneLine(failed.text) : err.code === 'commander.help' ? `\`${path}\` needs a subcommand: ${command.commands.map((c) => c.name()).join(', ')}` : oneLine(err.message);
    io.err(`sophon: ${problem}`);
    io.err(`see \`${path} --help\``);
  };
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** "error: unknown command 'lst'\n(Did you mean list?)" → "unknown command 'lst' (did you mean list?)" */
function oneLine(text: string): string {
  return text
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l, i) => (i > 0 ? l.replace(/^\(Did you mean/, '(did you mean') : l))
    .join(' ');
}
