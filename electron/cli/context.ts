import type { CliIO } from './io';

/** Options every command has (`--home`, `--user`, `--debug`), resolved once by main.ts. */
export interface GlobalOptions {
  home?: string;
  user: string;
  debug: boolean;
}

export interface CommandContext {
  io: CliIO;
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
}
