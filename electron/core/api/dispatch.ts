import { OPERATIONS, type Envelope } from '../../../shared/contract';
import { isOperationName } from '../../../shared/operations';
import { SophonError } from '../errors';
import { databaseError, unhandledStorageError } from '../fs/storage-errors';
import { validate } from '../validation/parse';
import { currentLogFile, log, logEnabled, logFailure } from '../log/log';
import type { Caller, OperationImpls } from './operations';

/**
 * Runs one operation for one caller, whatever the door: the input is validated against the contract,
 * the result is parsed against the contract's output schema (which drops any property the contract
 * does not declare, so nothing undeclared — let alone a secret — can ride along), and every outcome is
 * an envelope. An unexpected error becomes `internal` without its message (it could quote anything).
 */
export async function dispatch(impls: OperationImpls, caller: Caller, name: string, input: unknown, signal?: AbortSignal): Promise<Envelope> {
  try {
    if (!isOperationName(name)) throw new SophonError('not_found', `No operation "${name.slice(0, 80)}".`);
    const op = OPERATIONS[name];
    const parsed = validate(op.input, input ?? {}, `Input of ${name}`);
    const impl = impls[name] as (caller: Caller, input: unknown, signal?: AbortSignal) => Promise<unknown>;
    const value: unknown = op.output.parse(await impl(caller, parsed, signal));
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}

export function toErrorInfo(thrown: unknown): { code: SophonError['code']; message: string } {
  // A damaged sophon.db, a full disk, a read-only folder: a person can act on these (their messages hold only paths).
  const err = unhandledStorageError(databaseError(thrown, 'sophon.db'));
  if (err instanceof SophonError) return { code: err.code, message: err.message };
  // Its text could hold data: the log gets the kind at error level, the message itself only at debug.
  log('error', 'unexpected_error', { code: 'internal', kind: thrown instanceof Error ? thrown.name : typeof thrown });
  if (logEnabled('debug')) logFailure('unexpected_error.detail', thrown);
  return { code: 'internal', message: `Unexpected error inside Sophon (nothing was shown of it, as it could contain data; see ${currentLogFile() ?? 'logs/sophon.log in the Sophon data folder'}, or run the CLI with --debug).` };
}
