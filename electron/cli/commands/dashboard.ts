import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ApiTokenStore } from '../../core/api-tokens/token-store';
import { announceAddress } from '../../core/config/run-address';
import { nodeCliLaunch } from '../../core/mcp/launch';
import { validate } from '../../core/validation/parse';
import { isLoopbackHost } from '../../server/rest-server';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { untilStopped } from '../signals';
import { VERSION } from '../version';

const DashboardOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  open: z.boolean().optional(),
  browser: z.boolean().default(true),
});

/** dist/renderer of this checkout or install: next to the CLI bundle (dist/cli), or from the sources (tests). */
export function rendererDir(env: NodeJS.ProcessEnv): string {
  if (env.SOPHON_RENDERER_DIR) return env.SOPHON_RENDERER_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'renderer');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
}

/**
 * `sophon dashboard [--port N] [--host H] [--open] [--no-browser]`: the core headless, the REST API and
 * the dashboard on loopback until Ctrl-C. Prints the dashboard address with the local person's token
 * in its fragment (never sent to a server, never logged) as the first line of stdout — to this
 * terminal only.
 */
export async function dashboard(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(DashboardOptions, raw, 'dashboard options');
  return withCore(ctx, async (core) => {
    if (!isLoopbackHost(opts.host)) {
      ctx.io.err(`WARNING: listening on ${opts.host}, not loopback: other machines can reach this API. Anyone with a token can use your connections.`);
    }
    const tokens = new ApiTokenStore(core.paths.configDir);
    const token = await tokens.dashboardToken(ctx.global.user);
    const headless = Boolean(ctx.env.SSH_CONNECTION) || (process.platform === 'linux' && !ctx.env.DISPLAY && !ctx.env.WAYLAND_DISPLAY);
    const openUrl = async (url: string) => {
      const { default: open } = await import('open');
      await open(url);
    };
    const { startDashboard } = await import('../../server/dashboard');
    const server = await startDashboard({
      core,
      ownerUserId: ctx.global.user,
      tokens,
      rendererDir: rendererDir(ctx.env),
      host: opts.host,
      port: opts.port,
      openExternal: opts.browser && !headless ? openUrl : undefined,
      version: VERSION,
      // The dashboard runs in this CLI: clients launch `sophon mcp` the way `sophon mcp install` writes it.
      mcpLaunch: async (userId) => nodeCliLaunch({ home: ctx.global.home ?? ctx.env.SOPHON_HOME, userId }, process.execPath, process.argv[1] ?? 'sophon'),
    });
    const shown = isLoopbackHost(opts.host) ? `http://127.0.0.1:${server.port}` : server.url;
    // Where `sophon mcp` sends the person to add, re-authenticate or pick a connection (the address only, never the token).
    const withdraw = await announceAddress(core.paths.home, 'dashboard', shown, server.port);
    const address = `${shown}/#token=${token}`;
    ctx.io.out(address);
    ctx.io.err(`Sophon dashboard for user ${ctx.global.user} at ${shown} (REST API under ${shown}/api/). Open the address above; Ctrl-C stops it.`);
    // The browser's arguments are visible to other local processes: it gets a one-time code, not the token.
    if (opts.open) await openUrl(`${shown}/#code=${server.codes.issue(token)}`).catch(() => ctx.io.err('(could not open a browser; open the address above)'));
    await untilStopped();
    await withdraw();
    await server.close();
    return ExitCode.ok;
  });
}
