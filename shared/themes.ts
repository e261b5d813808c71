/**
 * The app's looks, the one list: the settings schema (electron/core/config/settings.ts), the contract
 * and the renderer's Settings page take it from here. `system` follows the OS's light or dark mode.
 */
export const THEMES = ['system', 'light', 'dark'] as const;

export type Theme = (typeof THEMES)[number];

export function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}
