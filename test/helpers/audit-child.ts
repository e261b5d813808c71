// A second process writing audit rows into the same sophon.db, for tests of the chain under concurrent writers.
//   DB SECURITY_DIR KEY_HEX PREFIX N   → writes N rows through an AuditBatcher (batches of 10, timed writes that give way when
//                   another process holds the lock), with the vault key below so it advances the head too.
import { AuditHeadStore } from '../../electron/core/audit/audit-head';
import { AuditLog } from '../../electron/core/audit/audit-log';
import { AuditBatcher } from '../../electron/core/broker/audit-batch';
import { openDatabase } from '../../electron/core/db/database';

const [file, securityDir, keyHex, prefix, count] = process.argv.slice(2);
const key = { id: '00112233aabbccdd', key: Buffer.from(keyHex!, 'hex') };
const db = await openDatabase(file!);
const audit = new AuditLog(db, { store: new AuditHeadStore(securityDir!), key: () => key });
const batcher = new AuditBatcher(audit, { delayMs: 1, maxBatch: 10 });
// The parent starts writing when it reads READY, so both really write at the same time.
process.stdout.write('READY\n');
for (let i = 0; i < Number(count); i++) {
  batcher.record({ userId: 'child', action: 'broker_use', outcome: 'ok', detail: `${prefix}-${i}` });
  if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
}
batcher.close();
db.close();
process.stdout.write('DONE\n');
