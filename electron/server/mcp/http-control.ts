import type { McpHttpControl, McpHttpStatus } from '../../core/api/operations';
import { writeSettings } from '../../core/config/settings-writer';
import { isSophonError } from '../../core/errors';
import { log, logFailure } from '../../core/log/log';
import { mcpTokenStore } from '../../core/mcp/tokens';
import type { Core } from '../../core/sophon-core';
import type { McpHttpServer } from './http';

/**
 * The MCP HTTP server as a door that shows a UI runs it (the desktop app, `sophon dashboard`): the same server
 * as `sophon mcp --http`, started and stopped at the person's word and remembered in Sophon.Mcp.Http. A port
 * it picked itself is saved, so the URL a client was given stays valid across restarts.
 */
export function mcpHttpControl(core: Core, version: string): McpHttpControl & { startIfEnabled(): Promise<McpHttpStatus>; close(): Promise<void> } {
  const http = () => core.settings.Sophon.Mcp.Http;
  let server: McpHttpServer | null = null;
  let problem: string | null = null;
  let busy: Promise<unknown> = Promise.resolve();

  const status = (): McpHttpStatus => ({ enabled: http().Enabled, running: server !== null, url: server?.url ?? null, port: server?.port ?? null, problem });
  const save = async (edits: { Enabled?: boolean; Port?: number }) => {
    const written = await writeSettings(
      core.paths.settingsFile,
      Object.entries(edits).map(([key, value]) => ({ path: ['Sophon', 'Mcp', 'Http', key], value })),
    );
    Object.assign(http(), written.Sophon.Mcp.Http);
  };
  const start = async () => {
    if (server) return;
    try {
      // The MCP SDK loads only when the server is on.
      const { startMcpHttp } = await import('./http');
      server = await startMcpHttp(core, { tokens: mcpTokenStore(core.paths.configDir), version, port: http().Port });
      problem = null;
      log('info', 'mcp_http.started', { port: server.port });
      if (http().Port === 0) await save({ Port: server.port });
    } catch (err) {
      // A port taken by another program: the person sees why on the Agents page, and the app keeps running.
      problem = isSophonError(err) ? err.message : 'The MCP HTTP server could not start.';
      logFailure('mcp_http.start_failed', err);
    }
  };
  const stop = async () => {
    const s = server;
    server = null;
    problem = null;
    await s?.close();
  };
  // One change at a time: a double click never starts two servers.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = busy.then(fn, fn);
    busy = next.catch(() => undefined);
    return next;
  };

  return {
    status,
    setEnabled: (enabled) =>
      serial(async () => {
        if (enabled !== http().Enabled) await save({ Enabled: enabled });
        if (enabled) await start();
        else await stop();
        return status();
      }),
    startIfEnabled: () =>
      serial(async () => {
        if (http().Enabled) await start();
        return status();
      }),
    close: () => serial(stop),
  };
}
