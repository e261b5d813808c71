import { z } from 'zod';
import type { Settings } from '../config/settings';
import type { KeyState } from './master-key';

/** `Sophon.Vault.RotateReminderDays`: how old the master key may get before status and doctor suggest a rotation; 0 turns it off. */
const ReminderDaysSchema = z.number().int().min(0).max(36_500).default(365);

const DAY_MS = 86_400_000;

export function reminderDays(settings: Settings): number {
  const parsed = ReminderDaysSchema.safeParse((settings.Sophon.Vault as Record<string, unknown>).RotateReminderDays);
  return parsed.success ? parsed.data : 365;
}

/** Whole days since the current key was made, or null when that is not recorded. */
export function keyAgeDays(state: Pick<KeyState, 'createdAt'>, now = Date.now()): number | null {
  if (!state.createdAt) return null;
  const created = Date.parse(state.createdAt);
  return Number.isNaN(created) ? null : Math.max(0, Math.floor((now - created) / DAY_MS));
}

/** A sentence for `vault status` and `doctor` when the key is older than the setting allows; null otherwise. */
export function keyReminder(state: Pick<KeyState, 'createdAt' | 'keyId'>, settings: Settings, now = Date.now()): string | null {
  const limit = reminderDays(settings);
  const age = keyAgeDays(state, now);
  if (limit === 0 || age === null || state.keyId === null || age < limit) return null;
  return `The vault key ${state.keyId} is ${age} days old (Sophon.Vault.RotateReminderDays is ${limit}); rotate it with \`sophon vault rotate-key\`.`;
}
