/**
 * What the UI needs from a door: call an operation by name and get its result envelope, and subscribe
 * to events. Typing happens one level up (shared/client.ts turns `invoke` into the typed SophonApi).
 */
export interface WireEnvelope {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

export interface Transport {
  readonly kind: 'ipc' | 'http';
  invoke(operation: string, input: unknown): Promise<WireEnvelope>;
  /** Calls `listener` with each event of that name; returns the unsubscribe. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}
