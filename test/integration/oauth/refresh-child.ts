// A second Sophon process for the cross-process refresh test: opens the same vault with its own refresher,
// says "ready", waits for "go" on stdin, then fires N concurrent getAccessToken calls and prints the tokens
// it got as JSON. No secret comes in through the environment or arguments: only the vault holds them.
import { createInterface } from 'node:readline';
import { ServiceSchema } from '../../../electron/core/catalog/schema';
import { createOAuthClient } from '../../../electron/core/oauth/client';
import { createOAuthRefresher } from '../../../electron/core/oauth/refresh';
import { openVault, type OpenedVault } from '../../../electron/core/vault/open-vault';

const { SOPHON_HOME: home, CHILD_SERVICE, CHILD_CLIENT_ID, CHILD_USER, CHILD_CONNECTION, CHILD_CALLS } = process.env;
if (!home || !CHILD_SERVICE || !CHILD_CLIENT_ID || !CHILD_USER || !CHILD_CONNECTION || !CHILD_CALLS) throw new Error('refresh-child: missing environment');
const service = ServiceSchema.parse(JSON.parse(CHILD_SERVICE));
const client = await createOAuthClient(service, { clientId: CHILD_CLIENT_ID });
const refresher = createOAuthRefresher({
  // Called only once the vault below is open.
  vault: () => opened.vault,
  vaultDir: `${home}/vault`,
  clientFor: async () => client,
});
const opened: OpenedVault = await openVault({ home, refresher: refresher.refresher });
await opened.vault.get(CHILD_USER, CHILD_CONNECTION); // unlock the key before the race starts
const vault = opened.vault;

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const results = await Promise.allSettled(Array.from({ length: Number(CHILD_CALLS) }, () => vault.getAccessToken(CHILD_CONNECTION, CHILD_USER)));
  const tokens = results.map((r) => (r.status === 'fulfilled' ? r.value : `error:${r.reason instanceof Error ? r.reason.message : String(r.reason)}`));
  process.stdout.write(`${JSON.stringify(tokens)}\n`);
  break;
}
lines.close();
