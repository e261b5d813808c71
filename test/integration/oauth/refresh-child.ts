// A second Sophon process for the cross-process refresh test: opens the same vault with its own refresher,
// says "ready", waits for "go" on stdin, then fires N concurrent resolves (credentials/) and prints the tokens
// it got as JSON. No secret comes in through the environment or arguments: only the vault holds them.
import { createInterface } from 'node:readline';
import { ServiceSchema } from '../../../electron/core/catalog/schema';
import { createOAuthClient } from '../../../electron/core/oauth/client';
import { createOAuthRefresher } from '../../../electron/core/oauth/refresh';
import { Credentials, needsRefresh, refreshStore } from '../../../electron/core/credentials';
import type { ConnectionRecord } from '../../../electron/core/connections/connection-store';
import { openVault } from '../../../electron/core/vault/open-vault';

const { SOPHON_HOME: home, CHILD_SERVICE, CHILD_CLIENT_ID, CHILD_USER, CHILD_CONNECTION, CHILD_CALLS } = process.env;
if (!home || !CHILD_SERVICE || !CHILD_CLIENT_ID || !CHILD_USER || !CHILD_CONNECTION || !CHILD_CALLS) throw new Error('refresh-child: missing environment');
const service = ServiceSchema.parse(JSON.parse(CHILD_SERVICE));
const client = await createOAuthClient(service, { clientId: CHILD_CLIENT_ID });
const opened = await openVault({ home });
const refresher = createOAuthRefresher({ store: refreshStore(opened.vault), needsRefresh, clientFor: async () => client });
// This process has no sophon.db: the connection's row is an active OAuth connection of the service.
const row: ConnectionRecord = { id: CHILD_CONNECTION, userId: CHILD_USER, serviceId: service.id, label: CHILD_CONNECTION, authMethod: 'oauth2', scopes: [], fields: {}, state: 'active', stateReason: null, account: null, secretHint: null, createdAt: 0, updatedAt: 0, lastUsedAt: null, expiresAt: null, lastTestAt: null, lastTestStatus: null, lastTestMessage: null };
const credentials = new Credentials({ vault: opened.vault, connection: () => row, service: async () => service, refresher: async () => refresher });
await opened.vault.get(CHILD_USER, CHILD_CONNECTION); // unlock the key before the race starts

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const results = await Promise.allSettled(Array.from({ length: Number(CHILD_CALLS) }, async () => (await credentials.resolve({ userId: CHILD_USER, connection: row, purpose: 'proxy' })).secret));
  const tokens = results.map((r) => (r.status === 'fulfilled' ? r.value : `error:${r.reason instanceof Error ? r.reason.message : String(r.reason)}`));
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
  break;
}
lines.close();
