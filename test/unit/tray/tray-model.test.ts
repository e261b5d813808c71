import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { Connection } from '../../../shared/connections';
import { buildTrayModel, TRAY_MAX_LISTED } from '../../../electron/main/tray-model';

const conn = (id: string, label: string, state: Connection['state']): Connection => ({
  id,
  userId: 'default',
  serviceId: id.split('-')[0]!,
  serviceName: id.split('-')[0]!.toUpperCase(),
  label,
  authMethod: 'oauth2',
  scopes: [],
  state,
  stateReason: state === 'active' ? null : 'why',
  account: null,
  secretHint: null,
  fields: {},
  createdAt: '2026-11-25T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  lastTest: null,
});

const labels = (m: ReturnType<typeof buildTrayModel>) => m.items.map((i) => (i.type === 'separator' ? '---' : i.label));

describe('tray model', () => {
  test('no connections: all-good icon, no attention list, Open and Quit', () => {
    const m = buildTrayModel([]);
    assert.equal(m.state, 'ok');
    assert.deepEqual(labels(m), ['No connections yet', '---', 'Open Sophon', 'Quit Sophon']);
    assert.match(m.tooltip, /no connections yet/);
  });

  test('all active: all-good, counted in the tooltip', () => {
    const m = buildTrayModel([conn('gmail-1', 'Work', 'active'), conn('github-2', 'Home', 'active')]);
    assert.equal(m.state, 'ok');
    assert.equal(m.tooltip, 'Sophon: all 2 connections OK');
    assert.equal(labels(m)[0], 'All connections OK');
  });

  test('needs re-auth: amber state, the connection listed and clickable to its page', () => {
    const m = buildTrayModel([conn('gmail-1', 'Work', 'needs_reauth'), conn('github-2', 'Home', 'active')]);
    assert.equal(m.state, 'needs_reauth');
    assert.match(m.tooltip, /1 connection needs you to sign in again/);
    const item = m.items[1]!;
    assert.equal(item.type === 'normal' && item.label, 'Work (GMAIL) — sign in again');
    assert.deepEqual(item.type === 'normal' && item.action, { kind: 'show-connection', connectionId: 'gmail-1' });
    assert.ok(!labels(m).some((l) => l.startsWith('Home')), 'healthy connections are not listed');
  });

  test('an error outranks re-auth; errors are listed first, each group by label', () => {
    const m = buildTrayModel([conn('slack-1', 'b-reauth', 'needs_reauth'), conn('jira-2', 'z-broken', 'error'), conn('gmail-3', 'a-reauth', 'needs_reauth'), conn('notion-4', 'a-broken', 'error')]);
    assert.equal(m.state, 'error');
    assert.deepEqual(labels(m).slice(0, 5), ['Needs attention:', 'a-broken (NOTION) — error', 'z-broken (JIRA) — error', 'a-reauth (GMAIL) — sign in again', 'b-reauth (SLACK) — sign in again']);
    assert.match(m.tooltip, /2 connections have errors; 2 connections need you to sign in again/);
  });

  test('a long list is cut, with a count of the rest', () => {
    const many = Array.from({ length: TRAY_MAX_LISTED + 3 }, (_, i) => conn(`gmail-${i}`, `L${String(i).padStart(2, '0')}`, 'needs_reauth'));
    const m = buildTrayModel(many);
    const actions = m.items.filter((i) => i.type === 'normal' && i.action?.kind === 'show-connection');
    assert.equal(actions.length, TRAY_MAX_LISTED);
    assert.ok(labels(m).includes('…and 3 more'));
  });

  test('the vault could not be opened: error state, saying so', () => {
    const m = buildTrayModel([], { loadError: 'The vault key is missing' });
    assert.equal(m.state, 'error');
    assert.equal(m.tooltip, 'Sophon: The vault key is missing');
    assert.deepEqual(labels(m), ['Sophon cannot open its vault', '---', 'Open Sophon', 'Quit Sophon']);
    const quit = m.items.at(-1)!;
    assert.deepEqual(quit.type === 'normal' && quit.action, { kind: 'quit' });
  });
});

describe('tray model: scheduled backups', () => {
  test('a failed last run: amber icon, said in the tooltip, an item that opens the Vault page', () => {
    const m = buildTrayModel([conn('a', 'A', 'active')], { backup: 'failed' });
    assert.equal(m.state, 'needs_reauth');
    assert.equal(m.tooltip, 'Sophon: the last scheduled backup failed');
    assert.deepEqual(labels(m), ['Needs attention:', 'Scheduled backup failed — open the Vault page', '---', 'Open Sophon', 'Quit Sophon']);
    const item = m.items[1]!;
    assert.deepEqual(item.type === 'normal' && [item.enabled, item.action], [true, { kind: 'show-vault' }]);
  });

  test('overdue, after the connections that need attention; a connection error still makes the icon red', () => {
    const m = buildTrayModel([conn('jira-1', 'broken', 'error'), conn('jira-2', 'fine', 'active')], { backup: 'overdue' });
    assert.equal(m.state, 'error');
    assert.equal(m.tooltip, 'Sophon: 1 connection has an error; scheduled backups are overdue');
    assert.deepEqual(labels(m).slice(0, 3), ['Needs attention:', 'broken (JIRA) — error', 'Scheduled backups are overdue — open the Vault page']);
  });

  test('never cut off by the limit on listed connections', () => {
    const many = Array.from({ length: TRAY_MAX_LISTED + 2 }, (_, i) => conn(`gmail-${i}`, `c${String(i).padStart(2, '0')}`, 'needs_reauth'));
    const m = buildTrayModel(many, { backup: 'failed' });
    assert.ok(labels(m).includes('…and 2 more'));
    assert.equal(labels(m).filter((l) => l.startsWith('Scheduled backup failed')).length, 1);
  });

  test('nothing to say about backups: the model is as before', () => {
    assert.deepEqual(buildTrayModel([conn('a', 'A', 'active')], { backup: null }), buildTrayModel([conn('a', 'A', 'active')]));
  });
});
