import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, test } from 'vitest';
import { loadSkill } from '../../../electron/core/skills/manifest';
import { overallRisk, riskOf } from '../../../electron/core/skills/plan';
import { tempHome } from '../../helpers/home';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));

describe('skill manifests', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const write = async (name: string, manifest: unknown) => {
    const dir = join(home, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    return dir;
  };

  test('the example skill is valid; access defaults to proxy and scopes to none', async () => {
    const { manifest } = await loadSkill(EXAMPLE);
    assert.equal(manifest.id, 'github-whoami');
    assert.deepEqual(manifest.credentials, [{ service: 'github', scopes: ['read:user'], access: 'proxy', methods: ['GET'], paths: ['/user'] }]);
    const dir = await write('defaults', { id: 'd', name: 'D', tools: [{ name: 't', command: ['node', 'x.mjs'] }], credentials: [{ service: 'github-pat' }] });
    assert.deepEqual((await loadSkill(dir)).manifest.credentials, [{ service: 'github-pat', scopes: [], access: 'proxy' }]);
  });

  test('every mistake is named by its field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ id: 'Bad Id', name: 'x', tools: [{ name: 't', command: ['x'] }] }, /id: must be/],
      [{ id: 'x', name: 'x', tools: [] }, /tools: a skill has at least one tool/],
      [{ id: 'x', name: 'x', tools: [{ name: 't', command: [] }] }, /tools\.0\.command/],
      [{ id: 'x', name: 'x', tools: [{ name: 't', command: ['a'] }, { name: 't', command: ['b'] }] }, /tools\.1\.name: tool "t" is declared twice/],
      [{ id: 'x', name: 'x', tools: [{ name: 't', command: ['a'] }], credentials: [{ service: 'github', access: 'maybe' }] }, /credentials\.0\.access/],
      [{ id: 'x', name: 'x', tools: [{ name: 't', command: ['a'] }], credentials: [{ service: 'GitHub!' }] }, /credentials\.0\.service: must be a service id/],
      [{ id: 'x', name: 'x', tools: [{ name: 't', command: ['a'] }], credentials: [{ service: 'github', scope: ['x'] }] }, /credentials\.0.*scope/],
      ['{ not json', /not valid JSON at line 1/],
    ];
    for (const [m, re] of cases) {
      const dir = await write(`bad-${cases.indexOf([m, re] as never)}-${Math.random().toString(36).slice(2)}`, m);
      await assert.rejects(loadSkill(dir), re);
    }
    await assert.rejects(loadSkill(join(home, 'absent')), (err: Error & { code?: string }) => err.code === 'not_found');
  });

  test('risk: proxy low, injected OAuth medium, injected static key high; the skill is as risky as its riskiest credential', () => {
    const oauth = { auth: { method: 'oauth2' } } as never;
    const key = { auth: { method: 'api_key' } } as never;
    assert.equal(riskOf({ service: 's', scopes: [], access: 'proxy' }, key).risk, 'low');
    assert.equal(riskOf({ service: 's', scopes: [], access: 'injected' }, oauth).risk, 'medium');
    assert.equal(riskOf({ service: 's', scopes: [], access: 'injected' }, key).risk, 'high');
    assert.equal(overallRisk([{ risk: 'low' }, { risk: 'high' }, { risk: 'medium' }]), 'high');
    assert.equal(overallRisk([]), 'low');
  });
});
