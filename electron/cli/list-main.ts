import { processIO, type CliIO } from './io';
import { plainListArgs } from './list-args';
import { runPlainList } from './plain-list';
import { reportError } from './report-error';

/** Thrown by the stand-ins for what the list bundle leaves out (scripts/build.mjs, LEFT_OUT_OF_LIST). */
export const LEFT_OUT = 'sophon-left-out-of-list-bundle';

/**
 * Fast path 8 (the list at the top of bin/sophon.cjs). Entry of the list bundle, dist/cli/sophon-list.cjs: a plain `connect list [--json]` (the most
 * frequent command, and one that should start fast) compiled with only what it runs. Every part of
 * Sophon a list never reaches (OAuth, the importer, testers) is a stand-in there, so the bundle, its
 * code cache and what V8 builds from them are smaller than the full CLI's. Returns undefined, having
 * printed nothing, for any other command line, or if a stand-in was reached after all: bin/sophon.cjs
 * then runs the full CLI (electron/cli/main.ts), which does the same command with everything.
 */
export async function main(argv: string[], io: CliIO = processIO(), env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const list = plainListArgs(argv);
  if (!list) return undefined;
  (await import('zod')).z.config({ jitless: true });
  let printed = false;
  const watched: CliIO = {
    out(text) {
      printed = true;
      io.out(text);
    },
    err(text) {
      printed = true;
      io.err(text);
    },
    json(value) {
      printed = true;
      io.json(value);
    },
    get color() {
      return io.color;
    },
    get isTTY() {
      return io.isTTY;
    },
    get columns() {
      return io.columns;
    },
  };
  try {
    return await runPlainList(list, watched, env);
  } catch (err) {
    if (!printed && err instanceof Error && err.name === LEFT_OUT) return undefined;
    return reportError(io, argv, err);
  }
}
