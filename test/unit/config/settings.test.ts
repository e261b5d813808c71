import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { createOperations } from '../../../electron/core/api/operations';
import { chooseWaitMs } from '../../../electron/core/api/broker-mint';
import { brokerSettings } from '../../../electron/core/broker/settings';
import { loadSettings } from '../../../electron/core/config/settings';
import { writeSettings } from '../../../electron/core/config/settings-writer';
import { isSophonError } from '../../../electron/core/errors';
import { keyProtectorSettingsShape } from '../../../electron/core/keys/registry';
import { logFilePath } from '../../../electron/core/log/log';
import { mcpSettings } from '../../../electron/core/mcp/settings';
import { createCore } from '../../../electron/core/sophon-core';
import { OPERATIONS } from '../../../shared/contract';
import { tempHome } from '../../helpers/home';

const admin = { userId: 'default', isAdmin: true };

describe('one settings schema: every section of appsettings.json is validated once, when it is read', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const file = join(home, 'config', 'appsettings.json');

  test('an empty file is every default: the broker and MCP sections included', async () => {
    await writeFile(file, '{}');
    const s = await loadSettings(file, {});
    assert.deepEqual(brokerSettings(s), {
      TokenTtlSeconds: 300,
      Port: 0,
      MaxRequestBytes: 1024 * 1024,
      MaxResponseBytes: 16 * 1024 * 1024,
      ReauthWaitSeconds: 120,
      ChooseWaitSeconds: 120,
      Workers: 2,
      UpstreamTimeoutSeconds: 60,
    });
    assert.deepEqual(mcpSettings(s), { ApprovalTimeoutSeconds: 120 });
    assert.equal(s.Sophon.Vault.Pkcs11, undefined);
  });

  test('the values given are what every reader sees (broker, mint wait, MCP)', async () => {
    await writeFile(file, JSON.stringify({ Sophon: { Broker: { Workers: 1, ChooseWaitSeconds: 7 }, Mcp: { ApprovalTimeoutSeconds: 3 } } }));
    const s = await loadSettings(file, {});
    assert.equal(brokerSettings(s).Workers, 1);
    assert.equal(chooseWaitMs({ settings: s }), 7000);
    assert.equal(mcpSettings(s).ApprovalTimeoutSeconds, 3);
  });

  test('a bad value in any section is a settings error at load naming the field (the broker, MCP and a key protector\'s own section too)', async () => {
    const cases: [object, RegExp][] = [
      [{ Broker: { Port: -1 } }, /Sophon\.Broker\.Port/],
      [{ Broker: { ChooseWaitSeconds: 'soon' } }, /Sophon\.Broker\.ChooseWaitSeconds/],
      [{ Mcp: { ApprovalTimeoutSeconds: 0 } }, /Sophon\.Mcp\.ApprovalTimeoutSeconds/],
      [{ Vault: { KeyProtector: 'file', Pkcs11: { Module: 5 } } }, /Sophon\.Vault\.Pkcs11\.Module/],
    ];
    for (const [sophon, field] of cases) {
      await writeFile(file, JSON.stringify({ Sophon: sophon }));
      await assert.rejects(loadSettings(file, {}), (err: unknown) => {
        assert.ok(isSophonError(err, 'settings_invalid'), String(err));
        assert.match(err.message, field);
        assert.match(err.message, /appsettings\.json/);
        return true;
      });
    }
  });

  test('a key protector\'s own section comes from its registration', () => {
    assert.deepEqual(Object.keys(keyProtectorSettingsShape()), ['Pkcs11']);
  });
});

describe('one settings writer: small edits, validated, atomic, 0600', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const file = join(home, 'config', 'appsettings.json');
  // The person's own layout: 4-space indent, keys Sophon does not know, a key order of their own.
  const mine = ['{', '    "MyNote": "keep me",', '    "Sophon": {', '        "Vault": { "KeyProtector": "file" },', '        "Broker": { "Workers": 1 },', '        "Later": [1, 2, 3]', '    }', '}', ''].join('\n');

  test('settings.set adds an OAuth client and changes nothing else of the file, its layout included', async () => {
    await writeFile(file, mine, { mode: 0o644 });
    const core = await createCore({ home });
    try {
      const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
      const out = OPERATIONS['settings.set'].output.parse(await ops['settings.set'](admin, { oauthClients: { github: { clientId: 'Iv1.abc' } } }));
      assert.equal(out.settings.oauthClients.github?.clientId, 'Iv1.abc');
      const after1 = await readFile(file, 'utf8');
      // Every line of the person's file is still there, in order, as written.
      const lines = after1.split('\n');
      let at = 0;
      for (const line of mine.split('\n').filter((l) => l !== '' && l !== '    }' && l !== '}')) {
        const found = lines.indexOf(line, at);
        assert.ok(found >= at, `kept as written: ${JSON.stringify(line)} in\n${after1}`);
        at = found + 1;
      }
      assert.match(after1, /\n {16}"ClientId": "Iv1\.abc"/, `the new key follows the file's 4-space indent:\n${after1}`);
      const parsed = JSON.parse(after1) as { MyNote: string; Sophon: { Later: number[]; OAuth: Record<string, unknown> } };
      assert.equal(parsed.MyNote, 'keep me');
      assert.deepEqual(parsed.Sophon.Later, [1, 2, 3]);
      assert.deepEqual(parsed.Sophon.OAuth, { github: { ClientId: 'Iv1.abc' } });
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepEqual((await readdir(join(home, 'config'))).filter((n) => n !== 'appsettings.json' && n !== 'api-tokens.json'), [], 'no temp file left');

      // Removing it takes out only that entry.
      await ops['settings.set'](admin, { oauthClients: { github: { clientId: null } } });
      assert.deepEqual((JSON.parse(await readFile(file, 'utf8')) as { Sophon: { OAuth: object } }).Sophon.OAuth, {});
      assert.equal((JSON.parse(await readFile(file, 'utf8')) as { MyNote: string }).MyNote, 'keep me');
    } finally {
      core.close();
    }
  });

  test('an edit that would make the file invalid is refused, naming the field, and the file is left byte for byte', async () => {
    await writeFile(file, mine);
    await assert.rejects(writeSettings(file, [{ path: ['Sophon', 'Broker', 'Port'], value: 70_000 }]), (err: unknown) => {
      assert.ok(isSophonError(err, 'settings_invalid'), String(err));
      assert.match(err.message, /left unchanged/);
      assert.match(err.message, /Sophon\.Broker\.Port/);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), mine);
  });

  test('a file that is not JSON is reported, never edited blind', async () => {
    await writeFile(file, '{ "Sophon": ');
    await assert.rejects(writeSettings(file, [{ path: ['Sophon', 'Log', 'Level'], value: 'debug' }]), /is not valid JSON/);
    assert.equal(await readFile(file, 'utf8'), '{ "Sophon": ');
  });

  test('no other module writes appsettings.json: every writer goes through config/settings-writer.ts', async () => {
    const root = new URL('../../../electron/', import.meta.url);
    const offenders: string[] = [];
    const walk = async (dir: URL): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(new URL(`${entry.name}/`, dir));
        else if (entry.name.endsWith('.ts')) {
          const path = new URL(entry.name, dir);
          if (path.pathname.endsWith('/config/settings-writer.ts')) continue;
          const text = await readFile(path, 'utf8');
          if (/\b(?:atomicWriteFile|writeFile|writeFileSync|write)\(\s*[\w.]*settingsFile\b/.test(text)) offenders.push(path.pathname);
        }
      }
    };
    await walk(root);
    assert.deepEqual(offenders, []);
  });
});

test('vault.status says where the log is (a path, no log content), as the Vault page shows it', async () => {
  const { home, cleanup } = await tempHome();
  afterAll(cleanup);
  const core = await createCore({ home });
  try {
    const ops = createOperations({ core, ownerUserId: 'default', emit: () => undefined });
    const status = OPERATIONS['vault.status'].output.parse(await ops['vault.status'](admin, {}));
    assert.equal(status.logFile, join(home, 'logs', 'sophon.log'));
    assert.equal(status.logFile, logFilePath(home));
  } finally {
    core.close();
  }
});
