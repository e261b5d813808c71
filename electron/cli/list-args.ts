/** A plain `connect list [--json]` with global options: what main.ts runs without commander. */
export interface PlainListArgs {
  home?: string;
  user?: string;
  debug: boolean;
  json: boolean;
}

const GLOBAL_VALUES = new Set(['--home', '--user']);

/**
 * Recognises only forms whose meaning is certain — `[globals] connect list [--json] [globals]`, each
 * option at most once, `--home`/`--user` with a value (`--home D` or `--home=D`) that is not empty
 * and does not start with `-` — and returns null for anything else (`--available`, `--help`, other
 * flags, extra words, repeated options), which commander then parses, with its errors and help.
 * Commander accepts global options before and after the subcommand; so does this.
 */
export function plainListArgs(argv: readonly string[]): PlainListArgs | null {
  const args: PlainListArgs = { debug: false, json: false };
  const seen = new Set<string>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (seen.has(name)) return null;
    seen.add(name);
    if (GLOBAL_VALUES.has(name)) {
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || value.startsWith('-')) return null;
      if (name === '--home') args.home = value;
      else args.user = value;
    } else if (eq >= 0) {
      return null;
    } else if (name === '--debug') {
      args.debug = true;
    } else if (name === '--json' && words.length === 2) {
      // The subcommand's own option: after `connect list`, as commander requires.
      args.json = true;
    } else {
      return null;
    }
  }
  return words.length === 2 && words[0] === 'connect' && words[1] === 'list' ? args : null;
}
