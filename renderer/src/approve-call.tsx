import type { EventPayload, SophonApi } from '../../shared/contract';
import { hasOperation, useApi } from './api';
import { QuestionDialog, useAnswer, useQuestionQueue } from './question-dialog';
import './approve-call.css';

type Approval = EventPayload<'agent.approval'>;

const waitingApprovals = async (api: SophonApi): Promise<Approval[]> => (hasOperation(api, 'agents.approvals') ? (await api['agents.approvals']({})).approvals : []);

/**
 * Asks the person to approve an MCP agent's call that changes things, when the agent's client cannot ask them
 * itself (`agent.approval`). Mounted once; approvals queue, one dialog at a time; one answered in another
 * window, timed out or abandoned disappears here too.
 */
export function ApproveCall() {
  const { current, waiting, drop } = useQuestionQueue('agent.approval', waitingApprovals);
  if (!current) return null;
  return <ApproveDialog key={current.request} approval={current} waiting={waiting} onDone={drop} />;
}

function ApproveDialog({ approval, waiting, onDone }: { approval: Approval; waiting: number; onDone: () => void }) {
  const { api } = useApi();
  const { busy, error, answer } = useAnswer((approve: boolean) => api['agents.approve']({ request: approval.request, approve }), onDone);

  const a = approval;
  const deadline = new Date(a.expiresAt).toLocaleTimeString();
  return (
    <QuestionDialog
      alert
      className="approve-dialog"
      // Focus starts on Decline: a stray Enter never approves a write.
      focus="button[data-decline]"
      title={<>Agent {a.agent} wants to {a.method ? 'make a call that changes things' : `run ${a.tool}`}</>}
      description={<>Its MCP client cannot ask you itself, so Sophon asks here. Nothing is sent until you approve; if nobody answers by {deadline}, the call is refused.</>}
      refuse={() => void answer(false)}
      busy={busy}
      error={error}
      waiting={waiting}
      noun="approval"
      actions={
        <>
          <button type="button" className="btn btn-primary" onClick={() => void answer(true)} disabled={busy}>
            Approve
          </button>
          <button type="button" className="btn" data-decline onClick={() => void answer(false)} disabled={busy}>
            Decline
          </button>
        </>
      }
    >
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
    </QuestionDialog>
  );
}
