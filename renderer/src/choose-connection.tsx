import { useState, type FormEvent } from 'react';
import type { EventPayload, SophonApi } from '../../shared/contract';
import { useApi } from './api';
import { QuestionDialog, useAnswer, useQuestionQueue } from './question-dialog';
import { StateBadge } from './ui';

type Choice = EventPayload<'connection.choose'>;

const waitingChoices = async (api: SophonApi): Promise<Choice[]> => (await api['broker.questions']({})).questions;

/**
 * Asks the person which of their connections a skill's call should use, when the call named only a
 * service they have several connections of (`connection.choose`). Mounted once; questions queue, one
 * dialog at a time. A question answered in another window, or timed out, disappears here too.
 */
export function ChooseConnection() {
  const { current, waiting, drop } = useQuestionQueue('connection.choose', waitingChoices);
  if (!current) return null;
  return <ChooseDialog key={current.request} choice={current} waiting={waiting} onDone={drop} />;
}

function ChooseDialog({ choice, waiting, onDone }: { choice: Choice; waiting: number; onDone: () => void }) {
  const { api } = useApi();
  const [picked, setPicked] = useState<string | null>(null);
  const { busy, error, answer } = useAnswer((connection: string | null) => api['broker.choose']({ request: choice.request, connection }), onDone);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (picked !== null && !busy) void answer(picked);
  };

  const deadline = new Date(choice.expiresAt).toLocaleTimeString();
  return (
    <QuestionDialog
      focus='input[type="radio"]'
      title={<>Skill {choice.skill} wants to use {choice.serviceName} for tool {choice.tool} — which account?</>}
      description={
        <>
          You have {choice.options.length} {choice.serviceName} connections. The skill gets a short-lived broker token for the one you pick, never its credential. If nobody answers by {deadline}, the call is refused.
        </>
      }
      refuse={() => void answer(null)}
      busy={busy}
      error={error}
      waiting={waiting}
      noun="question"
      onSubmit={submit}
      actions={
        <>
          <button type="submit" className="btn btn-primary" disabled={picked === null || busy}>
            Use this account
          </button>
          <button type="button" className="btn" onClick={() => void answer(null)} disabled={busy}>
            Cancel
          </button>
        </>
      }
    >
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
    </QuestionDialog>
  );
}
