import { randomUUID } from 'node:crypto';
import type { ConnectionOption, EventPayload } from '../../../shared/contract';
import { SophonError } from '../errors';

export type ChoicePayload = EventPayload<'connection.choose'>;

/** What the person is asked: which of these connections skill S may use for tool T. */
export interface ChoiceQuestion {
  skill: string;
  tool: string;
  serviceId: string;
  serviceName: string;
  options: ConnectionOption[];
}

export type ChoiceOutcome =
  | { kind: 'picked'; connectionId: string }
  | { kind: 'cancelled' }
  | { kind: 'timeout' }
  /** No UI of the user was open to hear the question. */
  | { kind: 'unattended' }
  /** The one who asked went away (its API token was revoked): nobody may get the answer now. */
  | { kind: 'aborted' };

interface Pending {
  userId: string;
  payload: ChoicePayload;
  settle: (outcome: ChoiceOutcome) => void;
}

export interface ConnectionChoicesDeps {
  /** Sends `connection.choose` to one user's UIs; returns how many heard it (0: nobody to ask). */
  announce: (userId: string, payload: ChoicePayload) => number;
  now?: () => number;
}

/**
 * Questions waiting for a person: which of their connections a skill's call should use. Each belongs to
 * one user — announced to that user's UIs only, answerable by that user only (another user's answer
 * finds nothing, as if it did not exist). Bounded: no answer in time settles as a timeout, which the
 * caller turns into a refusal, never a guess.
 */
export class ConnectionChoices {
  private readonly pending = new Map<string, Pending>();
  private readonly now: () => number;

  constructor(private readonly deps: ConnectionChoicesDeps) {
    this.now = deps.now ?? Date.now;
  }

  ask(userId: string, question: ChoiceQuestion, timeoutMs: number, signal?: AbortSignal): Promise<ChoiceOutcome> {
    const request = `choice-${randomUUID()}`;
    const payload: ChoicePayload = { request, phase: 'open', ...question, expiresAt: new Date(this.now() + timeoutMs).toISOString() };
    return new Promise<ChoiceOutcome>((resolve) => {
      const settle = (outcome: ChoiceOutcome) => {
        if (!this.pending.delete(request)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        // Every window of the user drops the question, whoever answered it.
        if (outcome.kind !== 'unattended') this.deps.announce(userId, { ...payload, phase: 'closed' });
        resolve(outcome);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      // A stopping server or app is not held open by a question nobody will answer now.
      timer.unref();
      const abort = () => settle({ kind: 'aborted' });
      this.pending.set(request, { userId, payload, settle });
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      if (this.deps.announce(userId, payload) === 0) settle({ kind: 'unattended' });
    });
  }

  /** The person's answer: one of the offered connection ids, or null to refuse the call. */
  answer(userId: string, request: string, connectionId: string | null): 'picked' | 'cancelled' {
    const p = this.pending.get(request);
    if (!p || p.userId !== userId) {
      throw new SophonError('not_found', `No open question "${request.slice(0, 100)}": it was answered in another window, cancelled, or timed out.`);
    }
    if (connectionId === null) {
      p.settle({ kind: 'cancelled' });
      return 'cancelled';
    }
    if (!p.payload.options.some((o) => o.id === connectionId)) {
      throw new SophonError('invalid_input', `"${connectionId.slice(0, 100)}" is not one of the connections offered: ${p.payload.options.map((o) => o.id).join(', ')}.`);
    }
    p.settle({ kind: 'picked', connectionId });
    return 'picked';
  }

  /** A user's open questions, oldest first (for a window opened after they were asked). */
  openFor(userId: string): ChoicePayload[] {
    return [...this.pending.values()].filter((p) => p.userId === userId).map((p) => p.payload);
  }
}
