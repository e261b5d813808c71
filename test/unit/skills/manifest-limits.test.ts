import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { callRefusal, pathMatches, pathPatternProblem } from '../../../electron/core/broker/call-limits';
import { loadSkill } from '../../../electron/core/skills/manifest';
import { tempHome } from '../../helpers/home';

describe('manifest methods and paths', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  let n = 0;
  const write = async (credential: Record<string, unknown>) => {
    const dir = join(home, `skill-${n++}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ id: 'x', name: 'X', tools: [{ name: 't', command: ['node', 'x.mjs'] }], credentials: [credential] }));
    return dir;
  };

  test('methods and paths are read into the manifest; absent they restrict nothing', async () => {
    const dir = await write({ service: 'github', methods: ['GET', 'POST'], paths: ['/user', '/repos/*/issues', '/gists/**'] });
    assert.deepEqual((await loadSkill(dir)).manifest.credentials[0], { service: 'github', scopes: [], access: 'proxy', methods: ['GET', 'POST'], paths: ['/user', '/repos/*/issues', '/gists/**'] });
    const plain = (await loadSkill(await write({ service: 'github' }))).manifest.credentials[0]!;
    assert.equal(plain.methods, undefined);
    assert.equal(plain.paths, undefined);
  });

  test('each bad value is refused naming the field and the problem; unknown fields are still refused', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ service: 'github', methods: ['get'] }, /credentials\.0\.methods\.0: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS \(uppercase\)/],
      [{ service: 'github', methods: ['CONNECT'] }, /credentials\.0\.methods\.0: must be one of/],
      [{ service: 'github', methods: [] }, /credentials\.0\.methods: list at least one method, or leave "methods" out/],
      [{ service: 'github', paths: [] }, /credentials\.0\.paths: list at least one path pattern/],
      [{ service: 'github', paths: ['user'] }, /credentials\.0\.paths\.0: the path pattern "user" must start with "\/"/],
      [{ service: 'github', paths: ['/repos/abc*'] }, /"abc\*": a "\*" or "\*\*" must be a whole segment/],
      [{ service: 'github', paths: ['/user?x=1'] }, /must not contain "\?" or "#"/],
      [{ service: 'github', paths: ['/a/../admin'] }, /must not contain a "\." or "\.\." segment/],
      [{ service: 'github', paths: ['/a%2Fb'] }, /must not percent-encode/],
      [{ service: 'github', paths: ['/a b'] }, /contains a character a path segment cannot hold/],
      [{ service: 'github', access: 'injected', methods: ['GET'] }, /credentials\.0\.methods: "methods" limits calls through the broker; an "injected" credential/],
      [{ service: 'github', access: 'injected', paths: ['/user'] }, /credentials\.0\.paths: "paths" limits calls/],
      [{ service: 'github', path: ['/user'] }, /credentials\.0.*path/],
      [{ service: 'github', method: 'GET' }, /credentials\.0.*method/],
    ];
    for (const [credential, re] of cases) await assert.rejects(loadSkill(await write(credential)), re, JSON.stringify(credential));
  });

  test('patterns: literal segments match exactly (no prefix confusion), * one non-empty segment, ** any depth', () => {
    const yes: [string, string][] = [
      ['/user', '/user'],
      ['/user', '/user?per_page=5'],
      ['/repos/*/issues', '/repos/octo/issues'],
      ['/repos/*/*', '/repos/octo/hello'],
      ['/repos/**', '/repos'],
      ['/repos/**', '/repos/octo/hello/issues/1'],
      ['/**', '/'],
      ['/**', '/anything/at/all'],
      ['/repos/**/issues', '/repos/a/b/c/issues'],
      ['/repos/**/issues', '/repos/issues'],
      ['/', '/'],
      ['/', ''],
      // Matched as the service reads it: percent-decoded segment by segment.
      ['/repos/*/issues', '/rep%6Fs/octo/issues'],
    ];
    const no: [string, string][] = [
      ['/repos/*', '/repos-evil'],
      ['/repos/*', '/repos-evil/x'],
      ['/repos/*', '/repos'],
      ['/repos/*', '/repos/'],
      ['/repos/*', '/repos/a/b'],
      ['/repos/*/issues', '/repos//issues'],
      ['/repos/*/issues', '/repos/octo/issues/1'],
      ['/user', '/user/'],
      ['/user', '/User'],
      ['/user', '/users'],
      ['/user', '/user/keys'],
      ['/repos/**', '/reposx/a'],
      ['/a/**/b', '/a/b/c'],
      // A query string never satisfies a path.
      ['/user', '/admin?/user'],
      ['/user', '/%ZZ'],
    ];
    for (const [p, t] of yes) assert.equal(pathMatches(p, t), true, `${p} matches ${t}`);
    for (const [p, t] of no) assert.equal(pathMatches(p, t), false, `${p} does not match ${t}`);
    for (const [p] of [...yes, ...no]) assert.equal(pathPatternProblem(p), null, p);
  });

  test('many ** against a long path is answered at once (no backtracking blow-up)', () => {
    const pattern = `/${Array.from({ length: 20 }, () => '**/a').join('/')}/nope`;
    const path = `/${Array.from({ length: 2000 }, () => 'a').join('/')}`;
    const started = process.hrtime.bigint();
    assert.equal(pathMatches(pattern, path), false);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 1000);
  });

  test('a call outside the limits is refused naming what the manifest allows', () => {
    const limits = { service: 'github', methods: ['GET'], paths: ['/user'] };
    assert.equal(callRefusal(limits, 'GET', '/user'), null);
    assert.match(callRefusal(limits, 'DELETE', '/user')!, /allows GET on github, not DELETE/);
    assert.match(callRefusal(limits, 'GET', '/user/keys')!, /only the paths \/user/);
    assert.equal(callRefusal({ service: 'github', methods: null, paths: null }, 'DELETE', '/anything'), null);
  });
});
