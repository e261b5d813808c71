// The windows' look (light, dark, or the OS's), applied as <html data-theme>: the style sheet's colours
// are light-dark() pairs, which follow `color-scheme` (styles.css). The choice is a setting of the
// install (Sophon.Ui.Theme, settings.get/settings.set); this tab also keeps the last one it saw so the
// boot script can apply it before the first paint instead of flashing the other look while it asks.
import { isTheme, type Theme } from '../../shared/themes';

const KEY = 'sophon.theme';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
}

/** The look this browser last showed (localStorage: a look, not a secret), or null. */
export function rememberedTheme(): Theme | null {
  try {
    const v = window.localStorage.getItem(KEY);
    return isTheme(v) ? v : null;
  } catch {
    return null;
  }
}

/** Applies `theme` and remembers it for the next page load. */
export function showTheme(theme: Theme): void {
  applyTheme(theme);
  try {
    window.localStorage.setItem(KEY, theme);
  } catch {
    // storage blocked: the setting still holds; only the first paint may flash
  }
}
