import type { ErrorCode, ErrorInfo } from '../../shared/errors';

/**
 * The one error type core throws on purpose. `message` is written for a person and must never carry a
 * secret; `cause` may hold the underlying error for `--debug` output.
 */
export class SophonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SophonError';
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isSophonError(err: unknown, code?: ErrorCode): err is SophonError {
  return err instanceof SophonError && (code === undefined || err.code === code);
}

/** errno of a Node system error, if it is one. */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
