import type { LoginSource } from '../types';
import { claudeSource } from './claude';
import { codexSource } from './codex';
import { envSource } from './env';
import { ghSource } from './gh';
import { openAiFileSource } from './openai-file';

/**
 * Every place CLI logins are found, in the order they are looked in and listed: one file per source
 * plus one line here (docs/architecture.md, "Extension points"). The importer, `--from`, shell
 * completion and the app's start-up look all derive from this list.
 */
export const LOGIN_SOURCES: readonly LoginSource[] = [ghSource, claudeSource, codexSource, openAiFileSource, envSource];

/** Every source kind, in order. */
export const IMPORT_SOURCES: readonly string[] = LOGIN_SOURCES.map((s) => s.kind);

/** The registered source of this kind, or undefined (a connection imported by a source this build no longer has). */
export function loginSource(kind: string): LoginSource | undefined {
  return LOGIN_SOURCES.find((s) => s.kind === kind);
}

/** `--from` choices, each with the source kinds it includes, in the order sources are registered. */
export function fromChoices(): Map<string, string[]> {
  const choices = new Map<string, string[]>();
  for (const s of LOGIN_SOURCES) choices.set(s.from, [...(choices.get(s.from) ?? []), s.kind]);
  return choices;
}

/** The sources the app's start-up look includes (Sophon.Import.Auto). */
export function onStartSources(): string[] {
  return LOGIN_SOURCES.filter((s) => s.onStart).map((s) => s.kind);
}
