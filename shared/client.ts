import type { Envelope, In, Out, SophonApi } from './contract';
import type { ErrorCode } from './errors';
import { OPERATION_NAMES, type OperationName } from './operations';

/** An operation answered `{ ok: false }`: `code` is what the UI picks its wording from. Never carries a secret. */
export class SophonApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SophonApiError';
  }
}

/** Sends one operation over a transport (IPC bridge, HTTP) and returns its envelope. */
export type Invoke = (operation: OperationName, input: unknown) => Promise<Envelope>;

/**
 * The typed API over any transport, derived from the operation list: `api['connections.list']({})`
 * resolves to the value or throws a SophonApiError. Zod-free, so the renderer bundle stays small
 * (inputs are validated on the main/server side).
 */
export function createApi(invoke: Invoke): SophonApi {
  const api: Partial<Record<OperationName, (input: unknown) => Promise<unknown>>> = {};
  for (const name of OPERATION_NAMES) {
    api[name] = async (input: unknown) => {
      const result = await invoke(name, input ?? {});
      if (result.ok) return result.value;
      throw new SophonApiError(result.error.code, result.error.message);
    };
  }
  return api as SophonApi;
}

/** Calls one operation with its precise types (useful where the operation name is a variable). */
export function call<K extends OperationName>(api: SophonApi, name: K, input: In<K>): Promise<Out<K>> {
  return (api[name] as (input: In<K>) => Promise<Out<K>>)(input);
}

/** Parses one Server-Sent Events block (`event: x\ndata: {...}`) from `GET /api/events`; null for comments/keep-alives. */
export function parseSseBlock(block: string): { event: string; data: unknown } | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return null;
  try {
    return { event, data: JSON.parse(data.join('\n')) as unknown };
  } catch {
    return null;
  }
}
