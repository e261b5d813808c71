// What needs the person, and how the tray and the OS notifications say it: expiring keys, untested
// ones, and one notification per event (not one per look).
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { attentionOf, EXPIRES_SOON_MS } from '../../../shared/attention';
import type { Connection } from '../../../shared/connections';
import { decideNotices } from '../../../electron/main/attention-notices';
import { buildTrayModel } from '../../../electron/main/tray-model';

const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

const conn = (id: string, over: Partial<Connection> = {}): Connection => ({
  id,
  userId: 'default',
  serviceId: 'github-pat',
  serviceName: 'GitHub (personal access token)',
  label: id,
  authMethod: 'bearer',
  scopes: [],
  state: 'active',
  stateReason: null,
  account: null,
  secretHint: null,
  fields: {},
  createdAt: '2026-11-25T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  lastTest: null,
  ...over,
});

const labels = (m: ReturnType<typeof buildTrayModel>) => m.items.map((i) => (i.type === 'separator' ? '---' : i.label));

describe('attentionOf', () => {
  test('a key expiring within three days is "expires soon"; past it, "expired"; further off, nothing', () => {
    assert.equal(EXPIRES_SOON_MS, 3 * DAY);
    assert.equal(attentionOf(conn('a', { expiresAt: iso(NOW + 2 * DAY) }), NOW), 'expires_soon');
    assert.equal(attentionOf(conn('a', { expiresAt: iso(NOW + 3 * DAY) }), NOW), 'expires_soon');
    assert.equal(attentionOf(conn('a', { expiresAt: iso(NOW + 3 * DAY + 60_000) }), NOW), null);
    assert.equal(attentionOf(conn('a', { expiresAt: iso(NOW - 1) }), NOW), 'expired');
  });

  test('OAuth access tokens expire all the time and are refreshed by Sophon: never "expires soon"', () => {
    assert.equal(attentionOf(conn('a', { authMethod: 'oauth2', expiresAt: iso(NOW + 30 * 60_000) }), NOW), null);
  });

  test('re-auth and errors outrank an expiry; untested ranks after it', () => {
    assert.equal(attentionOf(conn('a', { state: 'error', expiresAt: iso(NOW + DAY) }), NOW), 'error');
    assert.equal(attentionOf(conn('a', { state: 'needs_reauth', expiresAt: iso(NOW + DAY) }), NOW), 'needs_reauth');
    assert.equal(attentionOf(conn('a', { state: 'untested', expiresAt: iso(NOW + DAY) }), NOW), 'expires_soon');
    assert.equal(attentionOf(conn('a', { state: 'untested' }), NOW), 'untested');
  });
});

describe('tray model: expiry and untested', () => {
  test('an expiring key turns the tray amber and is listed with "expires soon"', () => {
    const m = buildTrayModel([conn('Deploy key', { expiresAt: iso(NOW + DAY) }), conn('Other')], { now: NOW });
    assert.equal(m.state, 'needs_reauth');
    assert.equal(m.tooltip, 'Sophon: 1 key expires soon');
    assert.deepEqual(labels(m).slice(0, 2), ['Needs attention:', 'Deploy key (GitHub (personal access token)) — expires soon']);
  });

  test('order: errors, re-auth, expired, expiring, untested; the tooltip counts each', () => {
    const m = buildTrayModel(
      [conn('u', { state: 'untested' }), conn('s', { expiresAt: iso(NOW + DAY) }), conn('x', { expiresAt: iso(NOW - DAY) }), conn('r', { state: 'needs_reauth' }), conn('e', { state: 'error' })],
      { now: NOW },
    );
    assert.equal(m.state, 'error');
    assert.deepEqual(
      labels(m).slice(1, 6).map((l) => l.replace(/ \(.*\) — /, ' — ')),
      ['e — error', 'r — sign in again', 'x — expired', 's — expires soon', 'u — untested'],
    );
    assert.equal(m.tooltip, 'Sophon: 1 connection has an error; 1 connection needs you to sign in again; 1 key has expired; 1 key expires soon; 1 connection is untested');
  });
});

describe('OS notifications: once per event', () => {
  test('a connection that comes to need the person is notified once, however often the list is looked at', () => {
    const list = [conn('a', { state: 'needs_reauth', stateReason: 'The refresh token was revoked.' }), conn('b')];
    const first = decideNotices(new Set(), list, NOW);
    assert.equal(first.notices.length, 1);
    assert.equal(first.notices[0]!.connectionId, 'a');
    assert.match(first.notices[0]!.title, /a \(GitHub.*\) needs you to sign in again/);
    assert.equal(first.notices[0]!.body, 'The refresh token was revoked.');
    const second = decideNotices(first.current, list, NOW + 600_000);
    assert.deepEqual(second.notices, []);
  });

  test('recovering and breaking again is a new event; so is an expiring key that then expires', () => {
    const broken = [conn('a', { state: 'error', stateReason: 'refused' })];
    const s1 = decideNotices(new Set(), broken, NOW);
    const s2 = decideNotices(s1.current, [conn('a')], NOW);
    assert.deepEqual(s2.notices, []);
    const s3 = decideNotices(s2.current, broken, NOW);
    assert.equal(s3.notices.length, 1, 'broken again: said again');

    const expiresAt = iso(NOW + 2 * DAY);
    const e1 = decideNotices(new Set(), [conn('k', { expiresAt })], NOW, () => 'Sunday');
    assert.equal(e1.notices.length, 1);
    assert.match(e1.notices[0]!.title, /expires soon/);
    assert.match(e1.notices[0]!.body, /Sunday \(in about 2 days\)/);
    assert.deepEqual(decideNotices(e1.current, [conn('k', { expiresAt })], NOW + DAY).notices, []);
    const e2 = decideNotices(e1.current, [conn('k', { expiresAt })], NOW + 3 * DAY);
    assert.equal(e2.notices.length, 1);
    assert.match(e2.notices[0]!.title, /has expired/);
    // A replaced key with a new expiry date, soon again: a new event.
    assert.equal(decideNotices(e1.current, [conn('k', { expiresAt: iso(NOW + 2.5 * DAY) })], NOW).notices.length, 1);
  });

  test('untested and healthy connections notify nothing', () => {
    assert.deepEqual(decideNotices(new Set(), [conn('u', { state: 'untested' }), conn('ok'), conn('o', { authMethod: 'oauth2', expiresAt: iso(NOW + 60_000) })], NOW).notices, []);
  });
});
