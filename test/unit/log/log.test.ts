import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'vitest';
import { rememberCredential } from '../../../electron/core/log/known-secrets';
import { configureLog, currentLogFile, log, logFailure, logFilePath, resetLogForTests } from '../../../electron/core/log/log';
import { SophonError } from '../../../electron/core/errors';
import { forms } from '../../helpers/canary';

type Line = Record<string, unknown> & { level: number; event: string };

async function home(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sophon-log-'));
}

async function lines(h: string): Promise<Line[]> {
  return (await readFile(logFilePath(h), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

describe('the structured log', () => {
  const homes: string[] = [];
  afterEach(async () => {
    resetLogForTests();
    for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true });
  });

  test('nothing is created until a line is logged; then logs/sophon.log, 0600 in a 0700 folder, one JSON object a line', async () => {
    const h = await home();
    homes.push(h);
    configureLog({ home: h });
    assert.equal(currentLogFile(), join(h, 'logs', 'sophon.log'));
    log('debug', 'below.the.level');
    assert.equal(existsSync(join(h, 'logs')), false, 'a debug line at level info opens nothing');
    logFailure('refresh.failed', new SophonError('unreachable', 'the token endpoint answered HTTP 503'), { connectionId: 'oidc-0123456789' });
    assert.equal((await stat(join(h, 'logs'))).mode & 0o777, 0o700);
    assert.equal((await stat(logFilePath(h))).mode & 0o777, 0o600);
    const [line, ...rest] = await lines(h);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { level: line!.level, event: line!.event, code: line!.code, message: line!.message, connectionId: line!.connectionId, pid: line!.pid },
      { level: 50, event: 'refresh.failed', code: 'unreachable', message: 'the token endpoint answered HTTP 503', connectionId: 'oidc-0123456789', pid: process.pid },
    );
    assert.match(String(line!.time), /^\d{4}-\d\d-\d\dT/);
  });

  test('the level: info by default, Sophon.Log.Level lowers or raises it, --debug / SOPHON_LOG_LEVEL win over the setting', async () => {
    const h = await home();
    homes.push(h);
    configureLog({ home: h, setting: 'warn' });
    log('info', 'info.at.warn');
    log('warn', 'warn.at.warn');
    configureLog({ override: 'debug' });
    log('debug', 'debug.at.debug');
    assert.deepEqual((await lines(h)).map((l) => l.event), ['warn.at.warn', 'debug.at.debug']);
  });

  test('secrets cannot reach it: secret-named fields at any depth, and every known secret value in any form, anywhere in the line', async () => {
    const h = await home();
    homes.push(h);
    configureLog({ home: h });
    const canary = `canary-${Math.random().toString(36).slice(2)}-log-secret`;
    const refresh = `refresh-${Math.random().toString(36).slice(2)}-log-secret`;
    const smtp = `pw-${Math.random().toString(36).slice(2)}-log-secret`;
    // What the vault does with every credential it reads or writes.
    rememberCredential({ accessToken: canary, refreshToken: refresh, extra: { password: smtp, host: 'smtp.example.com' } });
    logFailure('x.failed', new Error(`upstream said: bad token ${canary} (${Buffer.from(canary).toString('base64')})`), {
      note: `encoded ${encodeURIComponent(refresh)}`,
      request: { headers: { authorization: 'Bearer whatever-unknown-value' }, body: { deep: { password: 'an-unknown-password' } } },
      list: [smtp],
      host: 'smtp.example.com',
    });
    const text = await readFile(logFilePath(h), 'utf8');
    for (const secret of [canary, refresh, smtp, 'whatever-unknown-value', 'an-unknown-password']) {
      for (const form of forms(secret)) assert.ok(!text.includes(form), `${form} in the log: ${text}`);
    }
    assert.ok(text.includes('[REDACTED]'));
    assert.ok(text.includes('smtp.example.com'), 'a host is not a secret and stays readable');
  });
});
