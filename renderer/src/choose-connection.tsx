import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { EventPayload } from '../../shared/contract';
import { useApi, useEvent } from './api';
import { mergedQuestion } from './question-queue';
import { describeError, type ErrorText } from './errors';
import { ErrorNote, Spinner, StateBadge } from './ui';
import './choose-connection.css';

type Choice = EventPayload<'connection.choose'>;

/**
 * Asks the person which of their connections a skill's call should use, when the call named only a
 * service they have several connections of (`connection.choose`). Mounted once; questions queue, one
 * dialog at a time. A question answered in another window, or timed out, disappears here too.
 */
export function ChooseConnection() {
  const { api } = useApi();
  const [queue, setQueue] = useState<Choice[]>([]);
  useEvent('connection.choose', (p) => setQueue((q) => mergedQuestion(q, p)));
  // Questions asked before this window opened (the app shows its window when one is asked).
  useEffect(() => {
    api['broker.questions']({}).then(
      (r) => setQueue((q) => r.questions.reduce(mergedQuestion, q)),
      () => undefined,
    );
  }, [api]);
  const current = queue[0];
  if (!current) return null;
  const drop = () => setQueue((q) => q.filter((c) => c.request !== current.request));
  return <ChooseDialog key={current.request} choice={current} waiting={queue.length - 1} onDone={drop} />;
}

function ChooseDialog({ choice, waiting, onDone }: { choice: Choice; waiting: number; onDone: () => void }) {
  const { api } = useApi();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);

  // Modal from the start; focus goes to the first option and, once the dialog is gone, back to where it was.
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLInputElement>('input[type="radio"]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (before?.isConnected) before.focus();
    };
  }, []);

  const answer = async (connection: string | null) => {
    setBusy(true);
    setError(null);
    try {
      await api['broker.choose']({ request: choice.request, connection });
      onDone();
    } catch (err) {
      setBusy(false);
      setError(describeError(err));
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (picked !== null && !busy) void answer(picked);
  };

  const deadline = new Date(choice.expiresAt).toLocaleTimeString();
  return (
    <dialog
      ref={ref}
      className="dialog choose-dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      // Escape is a refusal too: the skill's call must not go on without an answer.
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) void answer(null);
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId} className="dialog-title">
          Skill {choice.skill} wants to use {choice.serviceName} for tool {choice.tool} — which account?
        </h2>
        <p id={descId} className="muted">
          You have {choice.options.length} {choice.serviceName} connections. The skill gets a short-lived broker token for the one you pick, never its credential. If nobody answers by {deadline}, the call is refused.
        </p>
        <fieldset className="choose-options">
          <legend className="visually-hidden">{choice.serviceName} connections</legend>
          {choice.options.map((o) => (
            <label key={o.id} className="choose-option" data-selected={picked === o.id ? 'true' : undefined}>
              <input type="radio" name="connection" value={o.id} checked={picked === o.id} onChange={() => setPicked(o.id)} disabled={busy} />
              <span className="choose-text">
                <span className="conn-label">{o.label}</span>
                <span className="conn-sub">{o.account ?? 'account not known yet'} · {o.id}</span>
              </span>
              <StateBadge connection={{ state: o.state, stateReason: null }} />
            </label>
          ))}
        </fieldset>
        {waiting > 0 && <p className="muted">{waiting === 1 ? 'One more question is waiting.' : `${waiting} more questions are waiting.`}</p>}
        {error && <ErrorNote error={error} />}
        {busy && <Spinner label="Sending your answer…" />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={picked === null || busy}>
            Use this account
          </button>
          <button type="button" className="btn" onClick={() => void answer(null)} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
