import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A tool that never ends, and starts a helper that would leave a mark 3 s later. */
const HANG = `
import { spawn } from 'node:child_process';
spawn(process.execPath, ['-e', "setTimeout(() => require('fs').writeFileSync(process.argv[1], 'still here'), 3000)", process.argv[2]], { stdio: 'ignore' });
console.log('started');
setInterval(() => undefined, 1000);
`;

describe('sophon mcp: a skill tool that hangs is stopped after Sophon.Mcp.SkillTimeoutSeconds', () => {
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let s: McpSession;

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome({ Sophon: { Vault: { KeyProtector: 'file' }, Mcp: { SkillTimeoutSeconds: 1 } } }));
    await mkdir(join(home, 'skills', 'hang'), { recursive: true });
    await writeFile(join(home, 'skills', 'hang', 'hang.mjs'), HANG);
    await writeFile(join(home, 'skills', 'hang', 'manifest.json'), JSON.stringify({ id: 'hang', name: 'Hang', tools: [{ name: 'forever', description: 'never ends', command: ['node', 'hang.mjs'] }], credentials: [] }));
    s = await startMcp(home, { name: 'Patient Agent' });
  });
  afterAll(async () => {
    await s?.close().catch(() => undefined);
    await cleanup();
  });

  test('a clear tool error; the tool and what it started are gone; the run is audited', async () => {
    const mark = join(home, 'mark.txt');
    const r = (await s.client.callTool({ name: 'hang__forever', arguments: { args: [mark] } })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.match(text(r), /hang__forever did not finish within 1 s \(Sophon\.Mcp\.SkillTimeoutSeconds\), so Sophon stopped it.*\(skill_timeout\)/);
    // The helper it started was in its process group: stopped too, so it never writes its mark.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await assert.rejects(access(mark));
    // The session still serves.
    assert.ok((await s.client.listTools()).tools.some((t) => t.name === 'hang__forever'));
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; detail: string | null }[] }>(await sophon(['audit', '--json', '--limit', '50'], { home })).rows;
    assert.ok(rows.some((row) => row.action === 'mcp_call' && row.skill === 'patient-agent' && row.outcome === 'failed' && /^skill_timeout/.test(row.detail ?? '')), JSON.stringify(rows));
    assert.ok(rows.some((row) => row.action === 'use' && row.skill === 'hang' && /stopped: over 1 s/.test(row.detail ?? '')));
  });
});
