import { createOperations } from '../core/api/operations';
import { ConnectionChoices } from '../core/api/connection-choice';
import { EventHub, watchConnections } from '../core/api/events';
import { bridgeStoreQuestions } from '../core/mcp/store-questions';
import type { ApiTokenStore } from '../core/api-tokens/token-store';
import type { Core } from '../core/sophon-core';
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
}

/** The headless app: the core's operations over REST, events to each user's streams, the built renderer. */
export async function startDashboard(options: DashboardOptions): Promise<RestServer & { events: EventHub; codes: OneTimeCodes }> {
  const events = new EventHub();
  const codes = new OneTimeCodes();
  const watcher = watchConnections(options.core, events, options.pollMs ?? 1000);
  const choices = new ConnectionChoices({ announce: (userId, payload) => events.emit(userId, 'connection.choose', payload) });
  // `sophon mcp` processes ask "which connection?" through the store; this dashboard's windows answer.
  const questions = bridgeStoreQuestions(options.core.paths.home, choices, options.pollMs ?? 1000);
  const operations = createOperations({
    choices,
    core: options.core,
    ownerUserId: options.ownerUserId,
    emit: (userId, event, payload) => events.emit(userId, event, payload),
    openExternal: options.openExternal,
    changed: watcher.poke,
    oauthTimeoutMs: options.oauthTimeoutMs,
  });
  const server = await startRestServer({
    operations,
    tokens: options.tokens,
    events,
    rendererDir: options.rendererDir,
    host: options.host,
    port: options.port,
    codes,
    onSubscribe: () => watcher.poke(),
  });
  return {
    ...server,
    events,
    codes,
    close: async () => {
      watcher.stop();
      questions.stop();
      await server.close();
    },
  };
}
