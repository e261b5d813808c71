import { logFailure } from '../core/log/log';
import type { ApiTokenStore } from '../core/api-tokens/token-store';

/** Something open on behalf of one token: an event stream, or a request still being answered. */
export interface TokenUse {
  tokenId: string;
  /** Ends it now, because its token was revoked. Called at most once. */
  end: () => void;
}

export interface RevocationWatch {
  /** Tracks a use until the returned function is called (when it finishes by itself). */
  track(use: TokenUse): () => void;
  /** Whether the token still works now (re-reads the token file if it changed); ends its uses if not. */
  check(tokenId: string): Promise<boolean>;
  stop(): void;
}

/**
 * Ends every open stream and request of a token as soon as it is revoked. A revocation is usually
 * made by another process (`sophon api-token revoke`) while the server runs, so the token file is
 * looked at every `intervalMs` while anything is open (one stat when it has not changed), and before
 * each event is delivered.
 */
export function watchRevocations(tokens: Pick<ApiTokenStore, 'activeIds'>, intervalMs = 500): RevocationWatch {
  const uses = new Set<TokenUse>();
  let timer: NodeJS.Timeout | null = null;
  let sweeping = false;

  const endRevoked = (active: Set<string>) => {
    for (const use of [...uses]) {
      if (active.has(use.tokenId)) continue;
      uses.delete(use);
      use.end();
    }
  };

  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      endRevoked(await tokens.activeIds());
    } catch (err) {
      // A damaged or half-written token file: requests are refused by authentication meanwhile; the next sweep retries.
      logFailure('revocation_watch.sweep_failed', err);
    } finally {
      sweeping = false;
    }
  };

  const arm = () => {
    if (timer || uses.size === 0) return;
    timer = setInterval(() => void sweep(), intervalMs);
    timer.unref();
  };
  const disarm = () => {
    if (timer && uses.size === 0) {
      clearInterval(timer);
      timer = null;
    }
  };

  return {
    track(use) {
      uses.add(use);
      arm();
      return () => {
        uses.delete(use);
        disarm();
      };
    },
    async check(tokenId) {
      let active: Set<string>;
      try {
        active = await tokens.activeIds();
      } catch (err) {
        // Unreadable token file: nothing more goes out on this token's behalf until it reads again.
        logFailure('revocation_watch.read_failed', err);
        return false;
      }
      endRevoked(active);
      disarm();
      return active.has(tokenId);
    },
    stop() {
      uses.clear();
      disarm();
    },
  };
}
