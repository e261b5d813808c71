// A second process using the vault, for tests of what happens between processes.
//   open HOME                 → prints the master key id
//   write HOME PREFIX N       → writes PREFIX-0..N-1 and the shared ones, printing ACK after each
//   crash HOME                → writes forever (BEGIN/ACK per write) until killed
//   core-write HOME CONN N    → through the whole core (sophon.db recording generations), writes and
//                               reads back connection CONN N times, printing ACK after each
import { openVault } from '../../electron/core/vault/open-vault';

const [mode, home, prefix, count] = process.argv.slice(2);
const { vault, keys } = await openVault({ home });
const say = (line: string) => process.stdout.write(line + '\n');

if (mode === 'open') {
  say((await keys.get()).id);
} else if (mode === 'write') {
  for (let i = 0; i < Number(count); i++) {
    await vault.put('default', `${prefix}-${i}`, { apiKey: `${prefix}-value-${i}` });
    say(`ACK ${prefix}-${i} ${prefix}-value-${i}`);
    const shared = `shared-${i % 3}`;
    await vault.put('default', shared, { apiKey: `${prefix}-${i}` });
    say(`ACK ${shared} ${prefix}-${i}`);
    const back = await vault.get('default', `${prefix}-${i}`);
    if (back?.apiKey !== `${prefix}-value-${i}`) throw new Error(`read back ${prefix}-${i} failed`);
  }
} else if (mode === 'core-write') {
  const { openCoreInternals } = await import('./internals');
  const core = await openCoreInternals({ home });
  try {
    for (let i = 0; i < Number(count); i++) {
      await core.vault.put('default', prefix!, { accessToken: `token-${process.pid}-${i}` });
      await core.credentials.read({ userId: 'default', connectionId: prefix! });
      say(`ACK ${i}`);
    }
  } finally {
    core.close();
  }
} else if (mode === 'crash') {
  for (let v = 0; ; v++) {
    const conn = `c-${v % 5}`;
    say(`BEGIN ${conn} ${v}`);
    await vault.put('default', conn, { apiKey: 'x'.repeat(v % 300), extra: { version: String(v) } });
    say(`ACK ${conn} ${v}`);
  }
}
