// Run by permissions.test.ts as another user: scans the stores under HOME and prints the reports.
import { scanClaude } from '../../../electron/core/import/sources/claude';
import { scanCodex } from '../../../electron/core/import/sources/codex';
import { scanGh } from '../../../electron/core/import/sources/gh';

const se = { env: process.env, home: process.env.HOME ?? '/nonexistent', platform: process.platform, now: Date.now };
const results = await Promise.all([scanClaude(se), scanCodex(se), scanGh(se)]);
process.stdout.write(JSON.stringify(results.map((r) => ({ report: r.report, logins: r.logins.length }))));
