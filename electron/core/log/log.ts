import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RotatingFile } from './rotating-file';
import { redactFields, scrubKnownSecrets, SECRET_FIELD_NAMES } from './scrub';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** pino's numbers for its levels. */
const LEVEL_VALUES: Record<LogLevel, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };

/** sophon.log rotates at 5 MiB and three older files are kept: at most 20 MiB of log. */
export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_KEEP = 3;

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Where a SOPHON_HOME's log is. */
export function logFilePath(home: string): string {
  return join(home, 'logs', 'sophon.log');
}

interface LogConfig {
  home?: string;
  /** Set by a door from --debug / SOPHON_LOG_LEVEL: wins over the setting. */
  override?: LogLevel;
  /** Sophon.Log.Level from appsettings.json. */
  setting?: LogLevel;
  maxBytes: number;
  keep: number;
}

const config: LogConfig = { maxBytes: LOG_MAX_BYTES, keep: LOG_KEEP };
let logger: Logger | undefined;
let file: RotatingFile | undefined;

/**
 * Fast path 10 (the list at the top of bin/sophon.cjs). Says where the log goes and how much it records. Nothing is loaded or opened here: pino and the file
 * come with the first line actually logged, so a command that logs nothing (`connect list`) starts as
 * fast as before. The first home set wins (createCore sets it for every door); a level `override`
 * (`--debug`, SOPHON_LOG_LEVEL) wins over the `setting` (Sophon.Log.Level).
 */
export function configureLog(options: { home?: string; override?: LogLevel; setting?: LogLevel; maxBytes?: number; keep?: number }): void {
  if (options.home !== undefined && config.home === undefined) config.home = options.home;
  if (options.override !== undefined) config.override = options.override;
  if (options.setting !== undefined) config.setting = options.setting;
  if (options.maxBytes !== undefined) config.maxBytes = options.maxBytes;
  if (options.keep !== undefined) config.keep = Math.max(1, options.keep);
  if (logger) logger.level = levelNow();
}

/** The level from the environment: `SOPHON_LOG_LEVEL`, ignored unless it names a level. */
export function envLogLevel(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const v = env.SOPHON_LOG_LEVEL?.toLowerCase();
  return isLogLevel(v) ? v : undefined;
}

function levelNow(): LogLevel {
  return config.override ?? config.setting ?? 'info';
}

/** The log file this process writes, once a home is known. */
export function currentLogFile(): string | undefined {
  return config.home === undefined ? undefined : logFilePath(config.home);
}

function load(): Logger | undefined {
  if (logger) return logger;
  if (config.home === undefined) return undefined;
  // pino is not bundled: required from node_modules on the first line logged (CommonJS bundles have
  // `require`; the ES module sources under tsx use createRequire).
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  const pino = req('pino') as typeof import('pino');
  file = new RotatingFile(logFilePath(config.home), { maxBytes: config.maxBytes, keep: config.keep });
  const out = file;
  const paths = SECRET_FIELD_NAMES.flatMap((n) => [n, `*.${n}`]);
  logger = pino.pino(
    {
      level: levelNow(),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[REDACTED]' },
      formatters: { log: (record) => redactFields(record) as Record<string, unknown> },
    },
    // Every line is scrubbed of the secrets this process knows before it reaches the file.
    { write: (line: string) => out.write(scrubKnownSecrets(line)) },
  );
  return logger;
}

/** Whether a line at this level would be written (for callers that would build costly fields). */
export function logEnabled(level: LogLevel): boolean {
  // Decided without pino: a line below the level loads and opens nothing.
  return config.home !== undefined && LEVEL_VALUES[level] >= LEVEL_VALUES[levelNow()];
}

/**
 * One event in the log: a short dotted name (`refresh.failed`) and fields. Never pass a secret (field
 * names like token or password are replaced anyway, and known secret values scrubbed). A log that
 * cannot be written never breaks what was being logged.
 */
export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  try {
    if (!logEnabled(level)) return;
    load()?.[level]({ event, ...fields });
  } catch {
    // No log (a read-only home, a full disk): the failure it would record is reported where it happened.
  }
}

/** An error as log fields: its code and message; the stack only at debug level. */
export function errorFields(err: unknown): { code: string; message: string; stack?: string } {
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error && LEVEL_VALUES[levelNow()] <= LEVEL_VALUES.debug ? err.stack : undefined;
  return stack === undefined ? { code, message } : { code, message, stack };
}

/** A failure nothing else reports (a background task): logged at error level with its code and message. */
export function logFailure(event: string, err: unknown, fields: Record<string, unknown> = {}): void {
  log('error', event, { ...fields, ...errorFields(err) });
}

/** Closes the file (tests; the next line reopens it with the configuration then current). */
export function resetLogForTests(): void {
  file?.close();
  file = undefined;
  logger = undefined;
  config.home = undefined;
  config.override = undefined;
  config.setting = undefined;
  config.maxBytes = LOG_MAX_BYTES;
  config.keep = LOG_KEEP;
}
