import type { EventPayload } from '../../../shared/contract';
import type { EventName } from '../../../shared/operations';
import type { Core } from '../sophon-core';
import { errorFields, log, logFailure } from '../log/log';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Delivers events to the subscribers of one user only (an SSE stream, the app window). */
export class EventHub {
  private readonly subscribers = new Map<string, Set<EventListener>>();

  subscribe(userId: string, listener: EventListener): () => void {
    let set = this.subscribers.get(userId);
    if (!set) this.subscribers.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.subscribers.delete(userId);
    };
  }

  /** Returns how many subscribers it reached: none means no UI of that user is open to hear it. */
  emit<E extends EventName>(userId: string, event: E, payload: EventPayload<E>): number {
    let reached = 0;
    for (const listener of this.subscribers.get(userId) ?? []) {
      try {
        listener(event, payload);
        reached++;
      } catch (err) {
        // One broken subscriber (a closed stream) never stops the others.
        log('warn', 'events.subscriber_failed', { event, ...errorFields(err) });
      }
    }
    return reached;
  }

  users(): string[] {
    return [...this.subscribers.keys()];
  }
}

/**
 * Sends `connections.changed` to a user's subscribers whenever their connections change — through this
 * process (`poke`) or another one (the CLI, the broker, a refresh that flipped a connection to
 * needs_reauth): every `intervalMs` it reads a per-user fingerprint of the connection rows (count, sum
 * of update times, last use) from sophon.db, and sends the new list to users whose fingerprint moved.
 */
export function watchConnections(core: Pick<Core, 'connections'>, hub: EventHub, intervalMs = 1000): { poke: () => void; stop: () => void } {
  const last = new Map<string, string>();
  let running = false;
  let again = false;
  const tick = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const now = core.connections.fingerprints();
        for (const userId of hub.users()) {
          const fp = now.get(userId) ?? 'none';
          if (!last.has(userId)) {
            last.set(userId, fp);
            continue;
          }
          if (last.get(userId) === fp) continue;
          last.set(userId, fp);
          hub.emit(userId, 'connections.changed', { connections: await core.connections.list(userId) });
        }
      } while (again);
    } catch (err) {
      // The database busy for longer than its timeout: the next tick tries again.
      logFailure('events.poll_failed', err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { poke: () => void tick(), stop: () => clearInterval(timer) };
}
