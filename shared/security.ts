/**
 * The Content-Security-Policy of every page Sophon serves (the dashboard over HTTP, the app window
 * over its app:// protocol): only its own scripts, styles and API; no inline code, no frames, no
 * plugins, no form posts, no <base> tricks.
 */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
