import { useEffect, useId, useRef, useState } from 'react';
import type { EventPayload } from '../../shared/contract';
import { hasOperation, useApi, useEvent } from './api';
import { mergedQuestion } from './question-queue';
import { describeError, type ErrorText } from './errors';
import { ErrorNote, Spinner } from './ui';
import './choose-connection.css';
import './approve-call.css';

type Approval = EventPayload<'agent.approval'>;

/**
 * Asks the person to approve an MCP agent's call that changes things, when the agent's client cannot ask them
 * itself (`agent.approval`). Mounted once; approvals queue, one dialog at a time; one answered in another
 * window, timed out or abandoned disappears here too.
 */
export function ApproveCall() {
  const { api } = useApi();
  const [queue, setQueue] = useState<Approval[]>([]);
  useEvent('agent.approval', (p) => setQueue((q) => mergedQuestion(q, p)));
  useEffect(() => {
    if (!hasOperation(api, 'agents.approvals')) return;
    api['agents.approvals']({}).then(
      (r) => setQueue((q) => r.approvals.reduce(mergedQuestion, q)),
      () => undefined,
    );
  }, [api]);
  const current = queue[0];
  if (!current) return null;
  const drop = () => setQueue((q) => q.filter((a) => a.request !== current.request));
  return <ApproveDialog key={current.request} approval={current} waiting={queue.length - 1} onDone={drop} />;
}

function ApproveDialog({ approval, waiting, onDone }: { approval: Approval; waiting: number; onDone: () => void }) {
  const { api } = useApi();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // Focus starts on Decline: a stray Enter never approves a write.
    dialog.querySelector<HTMLButtonElement>('button[data-decline]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (before?.isConnected) before.focus();
    };
  }, []);

  const answer = async (approve: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await api['agents.approve']({ request: approval.request, approve });
      onDone();
    } catch (err) {
      setBusy(false);
      setError(describeError(err));
    }
  };

  const a = approval;
  const deadline = new Date(a.expiresAt).toLocaleTimeString();
  return (
    <dialog
      ref={ref}
      className="dialog choose-dialog approve-dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      // Escape declines: the call must not go on without a yes.
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) void answer(false);
      }}
    >
      <h2 id={titleId} className="dialog-title">
        Agent {a.agent} wants to {a.method ? 'make a call that changes things' : `run ${a.tool}`}
      </h2>
      <p id={descId} className="muted">
        Its MCP client cannot ask you itself, so Sophon asks here. Nothing is sent until you approve; if nobody answers by {deadline}, the call is refused.
      </p>
      <dl className="approve-facts">
        {a.method ? (
          <>
            <dt>Request</dt>
            <dd>
              <code data-field="request">
                {a.method} {a.host}
                {a.path}
              </code>
              {a.hasQuery && <span className="muted"> (with a query, not shown)</span>}
            </dd>
          </>
        ) : (
          <>
            <dt>Tool</dt>
            <dd>
              <code>{a.tool}</code>
            </dd>
          </>
        )}
        {a.connection && (
          <>
            <dt>Connection</dt>
            <dd>
              {a.connection.label} <span className="muted">({a.connection.serviceId}, {a.connection.id})</span>
            </dd>
          </>
        )}
        <dt>{a.method ? 'Body' : 'Details'}</dt>
        <dd data-field="body">{a.body}</dd>
      </dl>
      {waiting > 0 && <p className="muted">{waiting === 1 ? 'One more approval is waiting.' : `${waiting} more approvals are waiting.`}</p>}
      {error && <ErrorNote error={error} />}
      {busy && <Spinner label="Sending your answer…" />}
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={() => void answer(true)} disabled={busy}>
          Approve
        </button>
        <button type="button" className="btn" data-decline onClick={() => void answer(false)} disabled={busy}>
          Decline
        </button>
      </div>
    </dialog>
  );
}
