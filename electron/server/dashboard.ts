import { createOperations } from '../core/api/operations';
import { ConnectionChoices } from '../core/api/connection-choice';
import { EventHub, watchConnections } from '../core/api/events';
import { bridgeStoreQuestions } from '../core/mcp/store-questions';
import type { ApiTokenStore } from '../core/api-tokens/token-store';
import type { Launch } from '../core/mcp/clients';
import { startApprovalDesk } from '../core/mcp/approval-queue';
import type { Core } from '../core/sophon-core';
import { mcpHttpControl } from './mcp/http-control';
import { OneTimeCodes, startRestServer, type RestServer } from './rest-server';

export interface DashboardOptions {
  core: Core;
  /** The user the dashboard runs as (`--user`): the only one who may import this machine's logins. */
  ownerUserId: string;
  tokens: ApiTokenStore;
  rendererDir: string;
  host?: string;
  port?: number;
  /** Opens OAuth sign-in pages in the system browser; absent, they only reach the UI (oauth.progress). */
  openExternal?: (url: string) => Promise<void>;
  /** How often other processes' changes to connections are looked for (default 1 s). */
  pollMs?: number;
  oauthTimeoutMs?: number;
  /** Sophon's version (the MCP HTTP server's serverInfo). */
  version?: string;
  /** How an MCP client launches `sophon mcp` here (agents.install); absent: that operation is refused. */
  mcpLaunch?: (userId: string) => Promise<Launch | null>;
  /** How often the backup schedule (Sophon.Backup) is checked; default 15 minutes. */
  backupCheckMs?: number;
}

/** The headless app: the core's operations over REST, events to each user's streams, the built renderer. */
export async function startDashboard(options: DashboardOptions): Promise<RestServer & { events: EventHub; codes: OneTimeCodes }> {
  const events = new EventHub();
  const codes = new OneTimeCodes();
  const watcher = watchConnections(options.core, events, options.pollMs ?? 1000);
  const choices = new ConnectionChoices({ announce: (userId, payload) => events.emit(userId, 'connection.choose', payload) });
  // `sophon mcp` processes ask "which connection?" through the store; this dashboard's windows answer.
  const questions = bridgeStoreQuestions(options.core.paths.home, choices, options.pollMs ?? 1000);
  // MCP calls waiting for the approval of a person who has a dashboard tab open (the MCP server runs elsewhere).
  const approvals = startApprovalDesk({ home: options.core.paths.home, users: () => events.users(), emit: (userId, payload) => events.emit(userId, 'agent.approval', payload) });
  const mcpHttp = mcpHttpControl(options.core, options.version ?? '0.0.0');
  const operations = createOperations({
    choices,
    core: options.core,
    ownerUserId: options.ownerUserId,
    emit: (userId, event, payload) => events.emit(userId, event, payload),
    openExternal: options.openExternal,
    changed: watcher.poke,
    oauthTimeoutMs: options.oauthTimeoutMs,
    approvals,
    mcpHttp,
    mcpLaunch: options.mcpLaunch,
  });
  const server = await startRestServer({
    operations,
    tokens: options.tokens,
    events,
    rendererDir: options.rendererDir,
    host: options.host,
    port: options.port,
    codes,
    onSubscribe: () => {
      watcher.poke();
      approvals.poke();
    },
  });
  await mcpHttp.startIfEnabled();
  // Scheduled backups run wherever the core stays open: here as in the app.
  const { startBackupSchedule } = await import('../core/backup/schedule');
  const stopBackups = startBackupSchedule(options.core, options.backupCheckMs);
  return {
    ...server,
    events,
    codes,
    close: async () => {
      stopBackups();
      watcher.stop();
      questions.stop();
      await Promise.all([approvals.stop(), mcpHttp.close()]);
      await server.close();
    },
  };
}
