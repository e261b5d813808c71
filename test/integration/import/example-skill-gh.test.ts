import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';
import { DEVELOPER_SERVICES } from '../../../electron/core/catalog/builtin/developer';
import type { ServiceDefinitionInput } from '../../../electron/core/catalog/schema';
import { isSophonError } from '../../../electron/core/errors';
import { loadSkill } from '../../../electron/core/skills/manifest';
import { chooseGrants } from '../../../electron/core/skills/plan';
import { runSkill } from '../../../electron/core/skills/run';
import { openCoreInternals } from '../../helpers/internals';
import { startBrokerServer } from '../../../electron/server/broker/server';
import { cliStores, fakeToken, ghHostsOld, writeStore } from '../../helpers/cli-stores';
import { startUserApi } from '../../helpers/fake-api';
import { tempHome } from '../../helpers/home';
import { catalogOf } from '../../helpers/services';

const EXAMPLE = fileURLToPath(new URL('../../../examples/skills/github-whoami', import.meta.url));

/** The real built-in github and github-pat entries, pointed at a local API: the only way to test without github.com. */
function localGithub(url: string): ServiceDefinitionInput[] {
  const host = new URL(url).host;
  return DEVELOPER_SERVICES.filter((s) => s.id === 'github' || s.id === 'github-pat').map((s) => ({ ...s, apiBaseUrl: url, allowedHosts: [host], local: true }));
}

describe('the shipped example skill with a GitHub login imported from gh (the real gh binary)', () => {
  test('no GitHub connection: refused saying to add one or import gh\'s login, never reauth; after `import --from gh` the example runs through the broker with that login', async () => {
    const stores = await cliStores();
    const octo = fakeToken('gho_');
    const api = await startUserApi(octo, 'octocat');
    await writeStore(join(stores.ghDir, 'hosts.yml'), ghHostsOld({ 'github.com': { user: 'octocat', token: octo } }));
    const { home, cleanup } = await tempHome();
    const core = await openCoreInternals({ home, env: stores.env, catalog: catalogOf(...localGithub(api.url)) });
    try {
      const skill = await loadSkill(EXAMPLE);
      const pick = () => assert.fail('one connection: nobody is asked');
      const refusal = await chooseGrants(core, 'default', skill.manifest, 'whoami', { connections: [], pick }).then(
        () => assert.fail('no connection: refused'),
        (err: unknown) => err,
      );
      assert.ok(isSophonError(refusal, 'auth_failed'), String(refusal));
      assert.match(refusal.message, /needs a GitHub connection and you have none: connect any one of github, github-pat with `sophon connect add github`, `sophon connect add github-pat` or `sophon connect import --from gh`/);
      assert.doesNotMatch(refusal.message, /reauth/);

      const imports = await core.imports();
      const scan = await imports.scan('default', ['gh']);
      const id = (await imports.import('default', scan, ['gh:github.com:octocat'])).imported[0]!.connectionId;
      assert.equal(core.store.get(id)!.serviceId, 'github-pat');

      // The manifest asks for "github" with the OAuth scope read:user: the imported gh login (github-pat) satisfies it.
      const grants = await chooseGrants(core, 'default', skill.manifest, 'whoami', { connections: [], pick });
      assert.deepEqual(grants.map((g) => [g.record.id, g.service.id, g.credential.service]), [[id, 'github-pat', 'github']]);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const result = await runSkill(core, {
        userId: 'default',
        skill,
        tool: 'whoami',
        args: [],
        grants,
        env: { PATH: process.env.PATH },
        stdout: (b) => out.push(b),
        stderr: (b) => err.push(b),
        startProxy: (broker, maxRequestBytes) => startBrokerServer(broker, { maxRequestBytes }),
      });
      const stdout = Buffer.concat(out).toString();
      assert.equal(result.exitCode, 0, Buffer.concat(err).toString());
      assert.deepEqual(JSON.parse(stdout), { login: 'octocat' });
      assert.equal(api.seen.length, 1);
      assert.deepEqual([api.seen[0]!.method, api.seen[0]!.url, api.seen[0]!.headers.authorization], ['GET', '/user', `Bearer ${octo}`]);
      assert.ok(!stdout.includes(octo));
      const minted = core.audit.query({ userId: 'default', skill: 'github-whoami' }).find((r) => r.action === 'broker_mint' && r.outcome === 'ok');
      assert.match(minted?.detail ?? '', /as github: methods GET, paths \/user/);
    } finally {
      core.close();
      await cleanup();
      await stores.cleanup();
      await api.close();
    }
  });
});
