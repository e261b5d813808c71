// The "Add connection" catalog's search and order, without React (unit-tested): words people type for
// a service that its name does not contain ("gpt" for OpenAI, "claude" for Anthropic), and the order
// of the groups.
import type { ServiceSummary } from '../../shared/contract';

/**
 * What a person may type → the catalog ids it means. A word matches a key it equals, or that it begins
 * (from three letters on: "calend" finds the calendars).
 */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  gpt: ['openai', 'codex-chatgpt'],
  chatgpt: ['openai', 'codex-chatgpt'],
  codex: ['codex-chatgpt', 'openai'],
  claude: ['anthropic', 'claude-subscription'],
  sonnet: ['anthropic'],
  opus: ['anthropic'],
  gemini: ['gemini'],
  bard: ['gemini'],
  llama: ['ollama', 'openrouter'],
  llm: ['openai', 'anthropic', 'gemini', 'openrouter', 'ollama'],
  ai: ['openai', 'anthropic', 'gemini', 'openrouter', 'ollama'],
  model: ['openai', 'anthropic', 'gemini', 'openrouter', 'ollama'],
  mail: ['gmail', 'outlook-mail', 'email'],
  email: ['gmail', 'outlook-mail', 'email'],
  inbox: ['gmail', 'outlook-mail', 'email'],
  smtp: ['email'],
  imap: ['email'],
  exchange: ['outlook-mail', 'outlook-calendar'],
  office: ['outlook-mail', 'outlook-calendar', 'onedrive', 'microsoft-graph', 'microsoft-teams'],
  calendar: ['google-calendar', 'outlook-calendar'],
  schedule: ['google-calendar', 'outlook-calendar'],
  files: ['google-drive', 'onedrive', 'dropbox', 'box'],
  storage: ['google-drive', 'onedrive', 'dropbox', 'box'],
  documents: ['google-docs', 'google-drive', 'notion', 'confluence'],
  spreadsheet: ['google-sheets'],
  excel: ['google-sheets', 'onedrive'],
  git: ['github', 'github-pat', 'gitlab', 'gitlab-pat', 'github-enterprise'],
  code: ['github', 'github-pat', 'gitlab', 'gitlab-pat'],
  repo: ['github', 'github-pat', 'gitlab', 'gitlab-pat'],
  chat: ['slack', 'slack-bot', 'discord', 'microsoft-teams'],
  messaging: ['slack', 'slack-bot', 'discord', 'microsoft-teams', 'twilio', 'telnyx'],
  tasks: ['todoist', 'todoist-token', 'asana', 'asana-pat', 'linear', 'linear-api-key', 'trello', 'jira'],
  todo: ['todoist', 'todoist-token'],
  issues: ['jira', 'jira-oauth', 'linear', 'linear-api-key', 'github', 'gitlab'],
  tickets: ['jira', 'jira-oauth', 'linear', 'linear-api-key'],
  wiki: ['confluence', 'confluence-oauth', 'notion', 'notion-token'],
  notes: ['notion', 'notion-token'],
  atlassian: ['jira', 'jira-oauth', 'confluence', 'confluence-oauth'],
  sms: ['twilio', 'telnyx'],
  phone: ['twilio', 'telnyx'],
  webhook: ['zapier', 'make', 'ifttt'],
  automation: ['zapier', 'make', 'ifttt'],
  api: ['http-bearer'],
};

/** Lowercase words of a query. */
function words(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** The ids a word means by synonym. */
function synonymIds(word: string): Set<string> {
  const ids = new Set<string>();
  for (const [key, list] of Object.entries(SYNONYMS)) {
    if (key === word || (word.length >= 3 && key.startsWith(word))) for (const id of list) ids.add(id);
  }
  return ids;
}

/** Whether a service matches every word of the query, by its text or by a synonym. */
export function serviceMatches(s: Pick<ServiceSummary, 'id' | 'name' | 'group' | 'description'>, query: string): boolean {
  const hay = `${s.name} ${s.id} ${s.group} ${s.description}`.toLowerCase();
  return words(query).every((w) => hay.includes(w) || synonymIds(w).has(s.id));
}

/**
 * The catalog's groups, most used first: LLM providers (what an agent needs first), then developer
 * tools, mail and calendars, chat, work management, files; webhooks, telephony and the generic entries
 * last. A group not named here (a connector's own) comes after these, alphabetically.
 */
export const GROUP_ORDER: readonly string[] = ['LLM providers', 'Developer', 'Google', 'Microsoft 365', 'Chat', 'Work management', 'Storage', 'Automation', 'Telephony', 'Generic'];

/** The services matching `query` (all for an empty one), grouped, in GROUP_ORDER; each group keeps the catalog's order. */
export function catalogGroups<S extends Pick<ServiceSummary, 'id' | 'name' | 'group' | 'description'>>(services: readonly S[], query: string, onlyGroup?: string): [group: string, services: S[]][] {
  const m = new Map<string, S[]>();
  for (const s of services) {
    if (onlyGroup && s.group !== onlyGroup) continue;
    if (!serviceMatches(s, query)) continue;
    const list = m.get(s.group) ?? [];
    list.push(s);
    m.set(s.group, list);
  }
  const rank = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  return [...m.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/** An OAuth service Sophon has no client registration for yet: it needs setting up before anyone can sign in. */
export function needsSetup(s: Pick<ServiceSummary, 'authMethod' | 'oauthClientConfigured' | 'oauthSetup'>): boolean {
  // A service that registers Sophon itself (dynamic registration) needs nothing from the person.
  if (s.oauthSetup) return s.oauthSetup.client === 'none';
  return s.authMethod === 'oauth2' && s.oauthClientConfigured === false;
}
