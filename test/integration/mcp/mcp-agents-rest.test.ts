import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { json, sophon } from '../../helpers/cli';
import { tempHome } from '../../helpers/home';
import { bearerService } from '../../helpers/services';
import { call, startDashboardProcess, type Dashboard } from '../server/dashboard-process';

interface AgentView {
  agent: string;
  connections: string[] | null;
  writes: string;
  lastSeenAt: string | null;
}

describe('REST: agents.list and agents.setPolicy (the MCP agents of the caller)', () => {
  let home = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let d: Dashboard;
  let resId = '';
  let bobId = '';
  let bobToken = '';

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    await mkdir(join(home, 'connectors'));
    await writeFile(join(home, 'connectors', 'res.json'), JSON.stringify(bearerService('res', 'http://127.0.0.1:9')));
    const add = async (user: string, label: string) => {
      const r = await sophon(['--user', user, 'connect', 'add', 'res', '--secret-stdin', '--label', label, '--no-test', '--json'], { home, stdin: `secret-${user}-0123456789` });
      assert.equal(r.code, 0, r.stderr);
      return json<{ connection: { id: string } }>(r).connection.id;
    };
    resId = await add('default', 'Main');
    bobId = await add('bob', 'Bobs');
    const policy = await sophon(['mcp', 'policy', 'claude-code', '--writes', 'deny'], { home });
    assert.equal(policy.code, 0, policy.stderr);
    d = await startDashboardProcess(home);
    const created = await sophon(['--user', 'bob', 'api-token', 'create', '--json'], { home });
    assert.equal(created.code, 0, created.stderr);
    bobToken = json<{ token: string }>(created).token;
  });
  afterAll(async () => {
    await d?.stop();
    await cleanup();
  });

  test('lists the agents the CLI set up; sets a policy by label that the CLI then shows', async () => {
    const listed = (await call(d, d.token, 'agents.list')).json().value as { agents: AgentView[] };
    assert.deepEqual(listed.agents.map((a) => [a.agent, a.writes, a.connections]), [['claude-code', 'deny', null]]);

    const set = await call(d, d.token, 'agents.setPolicy', { agent: 'cursor', connections: ['Main'], writes: 'allow' });
    assert.equal(set.status, 200, set.body);
    const agent = (set.json().value as { agent: AgentView }).agent;
    assert.deepEqual([agent.agent, agent.connections, agent.writes, agent.lastSeenAt], ['cursor', [resId], 'allow', null]);
    const cli = json<{ agents: { agent: string; connections: unknown; writes: string }[] }>(await sophon(['mcp', 'agents', '--json'], { home }));
    assert.deepEqual(cli.agents.find((a) => a.agent === 'cursor'), { ...cli.agents.find((a) => a.agent === 'cursor'), connections: [resId], writes: 'allow' });

    // Only what is given changes; null means every connection again.
    const back = await call(d, d.token, 'agents.setPolicy', { agent: 'cursor', connections: null });
    assert.deepEqual(((back.json().value as { agent: AgentView }).agent), { ...agent, connections: null });
  });

  test('bad input is refused, naming the problem', async () => {
    const none = await call(d, d.token, 'agents.setPolicy', { agent: 'cursor' });
    assert.equal(none.status, 400);
    assert.match(none.json().error!.message, /give connections and\/or writes/);
    const badId = await call(d, d.token, 'agents.setPolicy', { agent: 'Not An Id', writes: 'ask' });
    assert.equal(badId.status, 400);
    assert.match(badId.json().error!.message, /agent id/);
    const badWrites = await call(d, d.token, 'agents.setPolicy', { agent: 'cursor', writes: 'sometimes' });
    assert.equal(badWrites.status, 400);
  });

  test("a user sees and sets only their own agents, and cannot name another user's connection", async () => {
    const listed = (await call(d, bobToken, 'agents.list')).json().value as { agents: AgentView[] };
    assert.deepEqual(listed.agents, []);
    const foreign = await call(d, bobToken, 'agents.setPolicy', { agent: 'bobs-agent', connections: [resId] });
    assert.equal(foreign.status, 404, foreign.body);
    const own = await call(d, bobToken, 'agents.setPolicy', { agent: 'bobs-agent', connections: [bobId] });
    assert.equal(own.status, 200, own.body);
    const mine = (await call(d, d.token, 'agents.list')).json().value as { agents: AgentView[] };
    assert.ok(!mine.agents.some((a) => a.agent === 'bobs-agent'));
  });
});
