// Service logos from simple-icons (CC0; the brands remain their owners' trademarks, see
// docs/desktop-app.md). Only the icons named here are bundled: each is a named import, and the package
// is side-effect free, so Vite and the boot script's esbuild leave the other ~3,400 out (the renderer's
// JavaScript grows by these paths, ~10 KB gzipped per chunk that shows logos: the first paint's and the app's). A service without one here (OpenAI,
// Slack and Microsoft are not in simple-icons; connectors) shows its letter monogram.
import {
  siAnthropic,
  siAsana,
  siBox,
  siClaude,
  siConfluence,
  siDiscord,
  siDropbox,
  siGithub,
  siGitlab,
  siGmail,
  siGooglecalendar,
  siGoogledocs,
  siGoogledrive,
  siGooglegemini,
  siGooglesheets,
  siIfttt,
  siJira,
  siLinear,
  siMake,
  siNotion,
  siOllama,
  siOpenrouter,
  siTodoist,
  siTrello,
  siZapier,
  type SimpleIcon,
} from 'simple-icons';

/** Catalog service id → its logo. Variants of one service (an API key and an OAuth entry) share it. */
const LOGOS: Readonly<Record<string, SimpleIcon>> = {
  anthropic: siAnthropic,
  'claude-subscription': siClaude,
  asana: siAsana,
  'asana-pat': siAsana,
  box: siBox,
  confluence: siConfluence,
  'confluence-oauth': siConfluence,
  discord: siDiscord,
  dropbox: siDropbox,
  github: siGithub,
  'github-pat': siGithub,
  'github-enterprise': siGithub,
  gitlab: siGitlab,
  'gitlab-pat': siGitlab,
  gmail: siGmail,
  'google-calendar': siGooglecalendar,
  'google-docs': siGoogledocs,
  'google-drive': siGoogledrive,
  'google-sheets': siGooglesheets,
  gemini: siGooglegemini,
  ifttt: siIfttt,
  jira: siJira,
  'jira-oauth': siJira,
  linear: siLinear,
  'linear-api-key': siLinear,
  make: siMake,
  notion: siNotion,
  'notion-token': siNotion,
  ollama: siOllama,
  openrouter: siOpenrouter,
  todoist: siTodoist,
  'todoist-token': siTodoist,
  trello: siTrello,
  zapier: siZapier,
};

/** The SVG path (24×24 view box) and brand colour of a service's logo, or null for a monogram. */
export function serviceLogo(serviceId: string): { path: string; color: string } | null {
  const icon = Object.hasOwn(LOGOS, serviceId) ? LOGOS[serviceId] : undefined;
  return icon ? { path: icon.path, color: `#${icon.hex}` } : null;
}

/** Every service id that has a logo (tests). */
export const SERVICES_WITH_LOGOS: readonly string[] = Object.keys(LOGOS);
