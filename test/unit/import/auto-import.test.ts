import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { autoImportOnStart } from '../../../electron/core/import/auto-import';
import { CLAUDE_SUBSCRIPTION_SERVICE_ID, proxyRefusal } from '../../../electron/core/import/broker-policy';
import { isSophonError } from '../../../electron/core/errors';
import { createCore } from '../../../electron/core/sophon-core';
import { claudeCredentials, cliStores, codexApiKeyAuth, fakeToken, writeStore, type CliStores } from '../../helpers/cli-stores';
import { tempHome } from '../../helpers/home';

async function withStart(stores: CliStores, auto: unknown, fn: (result: Awaited<ReturnType<typeof autoImportOnStart>>, list: () => Promise<{ serviceId: string; state: string; stateReason: string | null }[]>) => Promise<void>): Promise<void> {
  const settings = { Sophon: { Vault: { KeyProtector: 'file' }, ...(auto === undefined ? {} : { Import: { Auto: auto } }) } };
  const { home, cleanup } = await tempHome(settings);
  const core = await createCore({ home, env: { ...stores.env, OPENAI_API_KEY: fakeToken('sk-env') } });
  try {
    await fn(await autoImportOnStart(core), () => core.connections.list('default'));
  } finally {
    core.close();
    await cleanup();
  }
}

describe('Sophon.Import.Auto: the look the desktop app makes on start', () => {
  test('default (on): new CLI logins are offered, not imported; environment variables are not offered', async () => {
    const stores = await cliStores();
    try {
      await writeStore(join(stores.claudeDir, '.credentials.json'), claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() + 3600_000 }));
      await writeStore(join(stores.codexHome, 'auth.json'), codexApiKeyAuth(fakeToken('sk-')));
      await withStart(stores, undefined, async (result, list) => {
        assert.equal(result.mode, 'offer');
        assert.deepEqual(result.offered.map((l) => l.serviceId).sort(), ['claude-subscription', 'openai']);
        assert.ok(result.offered.every((l) => l.source !== 'env'));
        assert.deepEqual(result.imported, []);
        assert.deepEqual(await list(), []);
      });
    } finally {
      await stores.cleanup();
    }
  });

  test('"import": new logins are imported (linked) once; a later start offers nothing new and notices a login that disappeared', async () => {
    const stores = await cliStores();
    try {
      const claudeFile = join(stores.claudeDir, '.credentials.json');
      await writeStore(claudeFile, claudeCredentials({ accessToken: fakeToken('sk-ant-oat01-'), expiresAt: Date.now() + 3600_000 }));
      const settings = { Sophon: { Vault: { KeyProtector: 'file' }, Import: { Auto: 'import' } } };
      const { home, cleanup } = await tempHome(settings);
      try {
        let core = await createCore({ home, env: stores.env });
        const first = await autoImportOnStart(core);
        assert.equal(first.mode, 'import');
        assert.equal(first.imported.length, 1);
        assert.equal(first.imported[0]!.mode, 'linked');
        core.close();
        await writeStore(claudeFile, JSON.stringify({ mcpOAuth: {} }));
        core = await createCore({ home, env: stores.env });
        const second = await autoImportOnStart(core);
        assert.deepEqual(second.imported, []);
        assert.deepEqual(second.offered, []);
        const [conn] = await core.connections.list('default');
        assert.equal(conn!.state, 'needs_reauth');
        assert.match(conn!.stateReason ?? '', /Claude Code logged out/);
        core.close();
      } finally {
        await cleanup();
      }
    } finally {
      await stores.cleanup();
    }
  });

  test('false or "off": nothing is looked at', async () => {
    const stores = await cliStores();
    try {
      await writeStore(join(stores.codexHome, 'auth.json'), codexApiKeyAuth(fakeToken('sk-')));
      for (const off of [false, 'off']) {
        await withStart(stores, off, async (result) => {
          assert.deepEqual(result, { mode: 'off', offered: [], imported: [], sources: [] });
        });
      }
    } finally {
      await stores.cleanup();
    }
  });

  test('any other value is a settings error naming Sophon.Import.Auto', async () => {
    const { home, cleanup } = await tempHome({ Sophon: { Import: { Auto: 'always' } } });
    try {
      await assert.rejects(createCore({ home }), (err: unknown) => isSophonError(err, 'settings_invalid') && /Sophon\.Import\.Auto/.test(err.message));
    } finally {
      await cleanup();
    }
  });
});

describe('broker policy (imported by the broker)', () => {
  test('an imported Claude subscription login is refused, by service or by its recorded policy; everything else is allowed', () => {
    assert.match(proxyRefusal({ serviceId: CLAUDE_SUBSCRIPTION_SERVICE_ID, fields: {} }) ?? '', /only in Claude Code itself.*API key/);
    assert.match(proxyRefusal({ serviceId: 'anthropic', fields: { importPolicy: 'claude-code-only' } }) ?? '', /Claude Code/);
    assert.equal(proxyRefusal({ serviceId: 'anthropic', fields: {} }), null);
    assert.equal(proxyRefusal({ serviceId: 'github-pat', fields: { importSource: 'gh', importMode: 'linked' } }), null);
    assert.equal(proxyRefusal({ serviceId: 'codex-chatgpt', fields: { importSource: 'codex' } }), null);
  });

  test('the catalog records the rule per service: a service with proxyAllowed false is refused, named', async () => {
    const { BUILTIN_SERVICES } = await import('../../../electron/core/catalog/builtin');
    const { ServiceSchema } = await import('../../../electron/core/catalog/schema');
    const services = BUILTIN_SERVICES.map((s) => ServiceSchema.parse(s));
    assert.deepEqual(services.filter((s) => !s.proxyAllowed).map((s) => s.id), [CLAUDE_SUBSCRIPTION_SERVICE_ID]);
    for (const s of services) assert.equal(proxyRefusal({ serviceId: s.id, fields: {} }, s) === null, s.proxyAllowed, s.id);
    const own = { name: 'Acme CLI login', proxyAllowed: false };
    assert.match(proxyRefusal({ serviceId: 'acme-cli', fields: {} }, own) ?? '', /Acme CLI login allow this credential only in its own program/);
  });
});
