import { Command } from 'commander';
import { SophonError } from '../core/errors';
import type { CliIO } from './io';

/** 1–3 examples per command, shown after its options in `--help` (README's CLI reference has the rest). */
const EXAMPLES: Record<string, string[]> = {
  'vault status': ['sophon vault status', 'sophon vault status --json'],
  'vault verify': ['sophon vault verify'],
  'vault pkcs11-pin': ['sophon vault pkcs11-pin', 'printf %s "$PIN" | sophon vault pkcs11-pin --secret-stdin'],
  'connect list': ['sophon connect list', 'sophon connect list --available', 'sophon connect list --json | jq -r ".connections[].id"'],
  'connect add': ['sophon connect add openai --label Work', 'op read op://dev/openai/key | sophon connect add openai --secret-stdin', 'sophon connect add github --scopes "repo read:org"'],
  'connect update': ['sophon connect update Work', 'printf %s "$NEW_KEY" | sophon connect update openai --secret-stdin'],
  'connect reauth': ['sophon connect reauth github', 'sophon connect reauth github --scopes "repo workflow"'],
  'connect test': ['sophon connect test Work', 'sophon connect test openai-1a2b3c4d5e --json'],
  'connect status': ['sophon connect status Work'],
  'connect refresh': ['sophon connect refresh github'],
  'connect rename': ['sophon connect rename openai-1a2b3c4d5e Personal'],
  'connect remove': ['sophon connect remove Work', 'sophon connect remove openai-1a2b3c4d5e --yes   # in a script: no question'],
  'connect import': ['sophon connect import', 'sophon connect import --from gh --all', 'sophon connect import --dry-run --json'],
  'oauth setup': ['sophon oauth setup gmail', 'printf %s "$SECRET" | sophon oauth setup github --client-id Iv1.0123abcd --client-secret-stdin', 'sophon oauth setup outlook-mail --client-id 00000000-0000-0000-0000-000000000000 --sign-in --device'],
  'config get': ['sophon config get Sophon.Broker.Port', 'sophon config get --json'],
  'config set': ['sophon config set Sophon.Broker.Port 7421', 'sophon config set Sophon.Log.Level debug', 'sophon config set Sophon.OAuth.gmail.ClientId 1234-abc.apps.googleusercontent.com'],
  audit: ['sophon audit --since 2h', 'sophon audit --connection Work --limit 20', 'sophon audit --skill notes --json'],
  'connector new': ['sophon connector new my-api'],
  'connector validate': ['sophon connector validate ~/.sophon/connectors/my-api.json'],
  dashboard: ['sophon dashboard --open', 'sophon dashboard --port 7420'],
  'api-token create': ['sophon api-token create', 'sophon api-token create --user alice --admin'],
  'api-token list': ['sophon api-token list'],
  'api-token revoke': ['sophon api-token revoke tok_1a2b3c'],
  'broker mint': ['sophon broker mint --tool chat --connection Work', 'sophon broker mint --manifest ./skills/notes --tool search --ttl 600'],
  'broker revoke': ['sophon broker revoke bt_1a2b3c'],
  'broker serve': ['sophon broker serve', 'sophon broker serve --port 7421 --json'],
  'skill run': ['sophon skill run ./skills/notes --tool search -- "meeting notes"'],
  'skill inspect': ['sophon skill inspect ./skills/notes'],
  mcp: ['sophon mcp                      # what an agent launches (stdio)', 'sophon mcp --http --port 7422', 'sophon mcp install --client claude-code'],
  'mcp token create': ['sophon mcp token create --agent cursor', 'sophon mcp token create --agent my-bot --json'],
  'mcp token list': ['sophon mcp token list', 'sophon mcp token list --json'],
  'mcp token revoke': ['sophon mcp token revoke tok_1a2b3c'],
  'mcp agents': ['sophon mcp agents', 'sophon mcp agents --json'],
  'mcp policy': ['sophon mcp policy claude-code', 'sophon mcp policy claude-code --connections Work,github-1a2b3c --writes ask', 'sophon mcp policy cursor --all --writes deny'],
  'mcp install': ['sophon mcp install --client claude-code', 'sophon mcp install --client codex --dry-run'],
  'mcp uninstall': ['sophon mcp uninstall --client cursor', 'sophon mcp uninstall --client vscode --dry-run'],
  completion: ['eval "$(sophon completion bash)"      # in ~/.bashrc', 'sophon completion zsh > "${fpath[1]}/_sophon"', 'sophon completion fish > ~/.config/fish/completions/sophon.fish'],
};

/** Documented in README.md ("Exit codes"); the numbers are electron/cli/exit-codes.ts. */
export const EXIT_CODES_TEXT = `Exit codes of sophon:
  0    ok
  1    unexpected error (run with --debug for details)
  2    usage: a wrong command, option or value; or a question that needs a terminal or --yes
  3    not found: no such connection, service, token or file
  4    auth failed: the service refused the credential, or a sign-in failed
  5    unreachable: the service (or the network) did not answer
  6    vault or storage problem: the vault key, the OS keychain, a credential file that fails to open,
       a damaged sophon.db, a read-only data folder, a full disk
  7    configuration problem: settings.json is invalid
  130  interrupted (Ctrl-C at a question)`;

export const commandPath = (command: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/**
 * Examples on every command's help, a group's summary listing all of its subcommands, and
 * `sophon help [command...]` (`sophon help connect add`, `sophon help exit-codes`) in place of
 * commander's help command, which only reaches one level.
 */
export function addHelp(program: Command, io: CliIO): void {
  const visit = (command: Command) => {
    const examples = EXAMPLES[commandPath(command)];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
    const subs = command.commands.filter((c) => c.name() !== 'help');
    if (command.parent && subs.length > 0) {
      const summary = command.description().replace(/\s*\(.*$/s, '').split(/[:;]/)[0]!.trim();
      command.summary(`${summary}: ${subs.map((c) => c.name()).join(', ')}`);
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  program.addHelpText('after', '\nMore: `sophon help <command> [<subcommand>]`, `sophon help exit-codes`.');
  program.helpCommand(false);
  program
    .command('help [command...]')
    .description('help for a command (sophon help connect add), or the exit codes (sophon help exit-codes)')
    .action((words: string[]) => {
      if (words.length === 1 && words[0] === 'exit-codes') {
        io.out(EXIT_CODES_TEXT);
        return;
      }
      let command = program;
      for (const word of words) {
        const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next) throw new SophonError('usage', `No command \`${[commandPath(command), word].filter(Boolean).join(' ')}\`; see \`sophon --help\`.`);
        command = next;
      }
      command.outputHelp();
    });
}
