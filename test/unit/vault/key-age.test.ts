import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { loadSettings } from '../../../electron/core/config/settings';
import { keyAgeDays, keyReminder, reminderDays } from '../../../electron/core/keys/key-age';

const DAY = 86_400_000;
const now = Date.parse('2026-12-03T12:00:00Z');
const made = (daysAgo: number) => ({ keyId: '0123456789abcdef', createdAt: new Date(now - daysAgo * DAY).toISOString() });

describe('the vault key age and its rotation reminder', async () => {
  // Real settings parsing, so a setting the schema drops or renames is caught here.
  const defaults = await loadSettings('/nonexistent/appsettings.json', {});

  test('age in whole days from keyinfo.json, null when it is not recorded', () => {
    assert.equal(keyAgeDays(made(0), now), 0);
    assert.equal(keyAgeDays(made(400.5), now), 400);
    assert.equal(keyAgeDays({}, now), null);
    assert.equal(keyAgeDays({ createdAt: 'not a date' }, now), null);
  });

  test('365 days by default: due on the day, not before', () => {
    assert.equal(reminderDays(defaults), 365);
    assert.equal(keyReminder(made(364), defaults, now), null);
    assert.match(keyReminder(made(365), defaults, now) ?? '', /The vault key 0123456789abcdef is 365 days old \(Sophon\.Vault\.RotateReminderDays is 365\); rotate it with `sophon vault rotate-key`\./);
  });

  test('Sophon.Vault.RotateReminderDays sets the limit; 0 turns it off; no key, no reminder', () => {
    const custom = structuredClone(defaults);
    (custom.Sophon.Vault as Record<string, unknown>).RotateReminderDays = 30;
    assert.equal(keyReminder(made(29), custom, now), null);
    assert.match(keyReminder(made(30), custom, now) ?? '', /30 days old/);
    (custom.Sophon.Vault as Record<string, unknown>).RotateReminderDays = 0;
    assert.equal(keyReminder(made(5000), custom, now), null);
    assert.equal(keyReminder({ keyId: null, createdAt: made(5000).createdAt }, defaults, now), null);
  });
});
