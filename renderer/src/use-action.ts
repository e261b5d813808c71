import { useState } from 'react';
import { describeError, type ErrorText } from './errors';

/** One async action of a card: busy while it runs, its error kept for the card that started it until the next run. */
export function useAction(): { busy: boolean; error: ErrorText | null; run: (fn: () => Promise<void>) => Promise<void>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}
