import type { CliIO } from './io';
import type { PlainListArgs } from './list-args';

/** `connect list [--json]` as plainListArgs read it, run by the same command module commander runs. */
export async function runPlainList(list: PlainListArgs, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const { connectList } = await import('./commands/connect-list');
  const global = { home: list.home, user: list.user ?? env.SOPHON_USER ?? 'default', debug: list.debug };
  return connectList({ io, env, global }, { json: list.json });
}
