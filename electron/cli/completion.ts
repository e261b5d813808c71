import type { Command, Option } from 'commander';
import { SophonError } from '../core/errors';
import { fromChoices } from '../core/import/sources/registry';
import type { CommandContext } from './context';
import { withCore } from './core';
import { ExitCode } from './exit-codes';
import type { CliIO } from './io';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/*
 * Every script asks `sophon __complete <words so far> <current word>` for its candidates, one a line:
 * commands, subcommands and options come from the same commander program that parses them (they cannot
 * drift), and connection ids and labels from the database (read-only, no prompt, no secret).
 */
const SCRIPTS: Record<Shell, string> = {
  bash: `# sophon completion for bash. Load it with: eval "$(sophon completion bash)"  (e.g. in ~/.bashrc)
_sophon_complete() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    [ -n "$line" ] && COMPREPLY+=("$(printf '%q' "$line")")
  done < <(sophon __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -F _sophon_complete sophon
`,
  zsh: `#compdef sophon
# sophon completion for zsh. Save it as _sophon in a folder of $fpath, or: source <(sophon completion zsh)
_sophon() {
  local -a candidates
  candidates=("\${(@f)$(sophon __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  (( \${#candidates} )) && compadd -- "\${candidates[@]}"
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _sophon "$@"; else compdef _sophon sophon; fi
`,
  fish: `# sophon completion for fish. Save it as ~/.config/fish/completions/sophon.fish
complete -c sophon -f -a '(sophon __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
};

export async function completionScript(ctx: CommandContext, shell: string): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new SophonError('usage', `No completion for "${shell.slice(0, 20)}": choose bash, zsh or fish.`);
  ctx.io.out(SCRIPTS[shell as Shell].trimEnd());
  return ExitCode.ok;
}

const takesValue = (o: Option) => o.required || o.optional;
const findOption = (command: Command, flag: string) => {
  for (let c: Command | null = command; c; c = c.parent) {
    const o = c.options.find((opt) => opt.long === flag || opt.short === flag);
    if (o) return o;
  }
  return undefined;
};

/**
 * The candidates for the last word of `words` (the words after `sophon`; the last may be empty).
 * Walks the program as commander would: subcommands by name, options skipped with their value.
 */
export async function complete(program: Command, words: string[], io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const current = words.at(-1) ?? '';
  let command = program;
  let positional = 0;
  let valueOf: Option | undefined;
  const globals: { home?: string; user?: string } = {};
  for (const word of words.slice(0, -1)) {
    if (valueOf) {
      if (valueOf.long === '--home') globals.home = word;
      if (valueOf.long === '--user') globals.user = word;
      valueOf = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = findOption(command, word.split('=')[0]!);
      if (option && takesValue(option) && !word.includes('=')) valueOf = option;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word);
    if (sub && positional === 0) command = sub;
    else positional++;
  }
  let candidates: string[];
  if (valueOf) candidates = await valuesFor(valueOf.attributeName(), io, env, globals);
  else if (current.startsWith('-')) {
    const options: string[] = [];
    for (let c: Command | null = command; c; c = c.parent) for (const o of c.options) if (!o.hidden && o.long) options.push(o.long);
    candidates = [...options, '--help'];
  } else if (command.commands.length > 0 && positional === 0) {
    candidates = command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name());
  } else {
    const arg = command.registeredArguments[positional];
    candidates = arg ? await valuesFor(arg.name(), io, env, globals) : [];
  }
  const out = [...new Set(candidates)].filter((c) => c.startsWith(current));
  if (out.length) io.out(out.join('\n'));
  return ExitCode.ok;
}

async function valuesFor(name: string, io: CliIO, env: NodeJS.ProcessEnv, globals: { home?: string; user?: string }): Promise<string[]> {
  if (name === 'shell') return [...SHELLS];
  if (name === 'from') return [...fromChoices().keys()];
  if (name !== 'connection' && name !== 'service') return [];
  // Quiet and never asking: completion runs inside the shell's line editor.
  const quiet: CliIO = { out: () => {}, err: () => {}, json: () => {}, color: false, isTTY: false, columns: undefined };
  const ctx: CommandContext = { io: quiet, env, global: { home: globals.home, user: globals.user ?? env.SOPHON_USER ?? 'default', debug: false } };
  try {
    return await withCore(
      ctx,
      async (core) => {
        if (name === 'service') return (await core.connections.catalog()).entries.map((e) => e.service.id);
        return core.connections.list(ctx.global.user).then((list) => list.flatMap((c) => [c.id, c.label]));
      },
      { readsOnly: true },
    );
  } catch {
    return [];
  }
}
