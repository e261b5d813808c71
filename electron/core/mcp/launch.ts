import { constants, promises as fsp } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Launch } from './clients';

export interface LaunchWhere {
  /** The data folder when it is not the default (`--home`, SOPHON_HOME); passed on as SOPHON_HOME. */
  home?: string;
  /** The user when it is not `default`; passed on as SOPHON_USER. */
  userId: string;
}

function envOf(w: LaunchWhere): Record<string, string> {
  const env: Record<string, string> = {};
  if (w.home) env.SOPHON_HOME = resolve(w.home);
  if (w.userId !== 'default') env.SOPHON_USER = w.userId;
  return env;
}

/**
 * How a client launches `sophon mcp` from a Node process running the CLI: this Node binary and the CLI's own
 * script, both absolute. A desktop app starts servers with a minimal PATH, where a bare `sophon` (or `node`)
 * is often not found.
 */
export function nodeCliLaunch(w: LaunchWhere, execPath: string, script: string): Launch {
  return { command: execPath, args: [resolve(script), 'mcp'], env: envOf(w) };
}

/**
 * From a process that is not the CLI (the desktop app, whose binary cannot run scripts): the `sophon` command
 * found on PATH, by its absolute path; null when there is none.
 */
export async function pathCliLaunch(w: LaunchWhere, env: NodeJS.ProcessEnv): Promise<Launch | null> {
  const names = process.platform === 'win32' ? ['sophon.cmd', 'sophon.exe'] : ['sophon'];
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d))) {
    for (const name of names) {
      const file = join(dir, name);
      const found = await fsp.access(file, constants.X_OK).then(() => true, () => false);
      if (found) return { command: file, args: ['mcp'], env: envOf(w) };
    }
  }
  return null;
}
