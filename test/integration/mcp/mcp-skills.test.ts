import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { startMcp, type McpSession } from '../../helpers/mcp-client';
import { startResourceServer, type ResourceServer } from '../../helpers/resource-server';
import { bearerService } from '../../helpers/services';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));
const SECRET = 'mcp-skill-secret-0123456789abcdef';

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A skill that posts its MCP input (SOPHON_TOOL_INPUT) to the service through the broker: it may write. */
const POSTER = `
const input = JSON.parse(process.env.SOPHON_TOOL_INPUT ?? 'null');
const res = await fetch(process.env.SOPHON_BROKER_URL + '/v1/proxy/res/hello', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.SOPHON_BROKER_TOKEN, 'content-type': 'application/json' },
  body: JSON.stringify(input),
});
console.log(JSON.stringify({ status: res.status, sent: input, argv: process.argv.slice(2) }));
`;

/** A skill that gets its credential injected and prints it: the MCP door must mask it. */
const LEAKY = `
console.log('my credential is ' + process.env.SOPHON_CREDENTIAL_RES);
console.error('and again ' + process.env.SOPHON_CREDENTIAL_RES);
process.exit(3);
`;

describe('sophon mcp: one tool per installed skill tool (stdio, an SDK client)', async () => {
  let api: ResourceServer;
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let resId = '';
  const sessions: McpSession[] = [];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    api = await startResourceServer((t) => (t === SECRET ? 'octo' : null));
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', api.url)));
    const r = await sophon(['connect', 'add', 'res', '--secret-stdin', '--label', 'Main', '--json'], { home, stdin: SECRET });
    assert.equal(r.code, 0, r.stderr);
    resId = json<{ connection: { id: string } }>(r).connection.id;

    const skills = join(home, 'skills');
    // The repository's example skill, pointed at the local service: proxied GET /user only (read-only).
    await cp(EXAMPLE, join(skills, 'whoami'), { recursive: true });
    const m = JSON.parse(await readFile(join(skills, 'whoami', 'manifest.json'), 'utf8')) as { credentials: { service: string; scopes: string[] }[] };
    m.credentials = [{ ...m.credentials[0]!, service: 'res', scopes: [] }];
    await writeFile(join(skills, 'whoami', 'manifest.json'), JSON.stringify(m));

    await mkdir(join(skills, 'poster'));
    await writeFile(join(skills, 'poster', 'post.mjs'), POSTER);
    await writeFile(
      join(skills, 'poster', 'manifest.json'),
      JSON.stringify({
        id: 'poster',
        name: 'Poster',
        description: 'Posts a greeting.',
        tools: [{ name: 'post', description: 'POST /hello with a title', command: ['node', 'post.mjs'], inputSchema: { type: 'object', properties: { title: { type: 'string', maxLength: 50 } }, required: ['title'], additionalProperties: false } }],
        credentials: [{ service: 'res', access: 'proxy', methods: ['POST'], paths: ['/hello'] }],
      }),
    );

    await mkdir(join(skills, 'leaky'));
    await writeFile(join(skills, 'leaky', 'leak.mjs'), LEAKY);
    await writeFile(join(skills, 'leaky', 'manifest.json'), JSON.stringify({ id: 'leaky', name: 'Leaky', tools: [{ name: 'leak', command: ['node', 'leak.mjs'] }], credentials: [{ service: 'res', access: 'injected' }] }));

    // A broken manifest is left out, not offered half-made.
    await mkdir(join(skills, 'broken'));
    await writeFile(join(skills, 'broken', 'manifest.json'), '{"id": "broken", "tools": []}');
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await api?.close();
    await cleanup();
  });

  const open = async (name: string, elicit?: Parameters<typeof startMcp>[1]['elicit']) => {
    const s = await startMcp(home, { name, elicit });
    sessions.push(s);
    return s;
  };
  const call = (s: McpSession, name: string, args: Record<string, unknown> = {}) => s.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  test('tools/list has skill__tool for each installed skill tool, with its description and input schema', async () => {
    const s = await open('Skill User');
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['github-whoami__whoami', 'http_request', 'leaky__leak', 'list_connections', 'poster__post']);
    const post = tools.find((t) => t.name === 'poster__post')!;
    assert.match(post.description!, /^POST \/hello with a title/);
    assert.deepEqual(post.inputSchema.required, ['title']);
    assert.equal(post.annotations?.readOnlyHint, false);
    const whoami = tools.find((t) => t.name === 'github-whoami__whoami')!;
    assert.equal(whoami.annotations?.readOnlyHint, true);
    assert.equal(whoami.outputSchema?.type, 'object');
  });

  test('a read-only proxied skill tool runs through the broker without asking; its output comes back', async () => {
    const s = await open('Skill User');
    const before = api.seen.length;
    const r = await call(s, 'github-whoami__whoami');
    assert.equal(r.isError, undefined, text(r));
    const out = r.structuredContent as { exitCode: number; stdout: string };
    assert.equal(out.exitCode, 0);
    assert.deepEqual(JSON.parse(out.stdout), { login: 'octo' });
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(s.asked.length, 0);
  });

  test('a skill tool that may write asks first; its input reaches it as SOPHON_TOOL_INPUT; a decline runs nothing', async () => {
    const yes = await open('Skill Writer', () => ({ action: 'accept', content: {} }));
    const before = api.seen.length;
    const r = await call(yes, 'poster__post', { title: 'hi there' });
    assert.equal(r.isError, undefined, text(r));
    assert.deepEqual(JSON.parse((r.structuredContent as { stdout: string }).stdout), { status: 200, sent: { title: 'hi there' }, argv: [] });
    assert.equal(api.seen.length, before + 1);
    assert.equal(api.seen.at(-1)!.method, 'POST');
    assert.equal(api.seen.at(-1)!.body, '{"title":"hi there"}');
    assert.equal(yes.asked.length, 1);
    assert.match(yes.asked[0]!.message, /run the tool "post" of the skill Poster \(poster\), which may change things/);
    assert.match(yes.asked[0]!.message, new RegExp(`res "Main" \\(${resId}, through the broker\\)`));

    const no = await open('Skill Writer', () => ({ action: 'decline' }));
    const declined = await call(no, 'poster__post', { title: 'no' });
    assert.equal(declined.isError, true);
    assert.match(text(declined), /declined the run of poster__post; nothing was run\. \(write_declined\)/);
    assert.equal(api.seen.length, before + 1, 'nothing left for the declined run');
  });

  test('arguments that do not fit the input schema are refused before anything runs', async () => {
    const s = await open('Skill Writer', () => ({ action: 'accept', content: {} }));
    const before = api.seen.length;
    for (const args of [{}, { title: 5 }, { title: 'x', extra: true }, { title: 'x'.repeat(51) }]) {
      const r = await call(s, 'poster__post', args);
      assert.equal(r.isError, true, JSON.stringify(args));
      assert.match(text(r), /^poster__post: .+\(invalid_arguments\)$/s);
    }
    assert.equal(api.seen.length, before);
    assert.equal(s.asked.length, 0);
  });

  test('an injected credential the skill prints is masked in the result; a non-zero exit is a tool error', async () => {
    const s = await open('Skill Writer', () => ({ action: 'accept', content: {} }));
    const r = await call(s, 'leaky__leak');
    assert.equal(r.isError, true);
    const out = r.structuredContent as { exitCode: number; stdout: string; stderr: string };
    assert.equal(out.exitCode, 3);
    assert.match(out.stdout, /my credential is \[REDACTED\]/);
    assert.match(out.stderr, /and again \[REDACTED\]/);
    assert.ok(!s.messages.some((m) => m.includes(SECRET)), 'the credential is in no MCP message');
  });

  test("the agent's policy holds for skill tools, and every run is audited under the agent", async () => {
    const deny = await sophon(['mcp', 'policy', 'no-writes', '--writes', 'deny'], { home });
    assert.equal(deny.code, 0, deny.stderr);
    const s = await open('No Writes');
    const r = await call(s, 'poster__post', { title: 'x' });
    assert.match(text(r), /policy refuses writes \(poster__post\).*\(write_denied\)/);
    const none = await sophon(['mcp', 'policy', 'nothing', '--connections', ''], { home });
    assert.equal(none.code, 0, none.stderr);
    const limited = await open('Nothing');
    const refused = await call(limited, 'github-whoami__whoami');
    assert.match(text(refused), new RegExp(`may not use ${resId}, which github-whoami__whoami needs.*\\(connection_not_allowed\\)`));

    for (const x of sessions.splice(0)) await x.close();
    const rows = json<{ rows: { action: string; outcome: string; skill: string | null; tool: string | null; detail: string | null }[] }>(await sophon(['audit', '--json', '--limit', '1000'], { home })).rows;
    assert.ok(rows.some((x) => x.action === 'mcp_call' && x.skill === 'skill-user' && x.tool === 'github-whoami__whoami' && x.outcome === 'ok'));
    assert.ok(rows.some((x) => x.action === 'mcp_approval' && x.skill === 'skill-writer' && x.tool === 'poster__post' && x.outcome === 'ok'));
    assert.ok(rows.some((x) => x.action === 'mcp_call' && x.skill === 'no-writes' && x.tool === 'poster__post' && x.outcome === 'denied'));
    for (const x of rows) assert.ok(!JSON.stringify(x).includes(SECRET));
  });
});
