import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { EventPayload, SophonApi } from '../../shared/contract';
import { useApi, useEvent } from './api';
import { describeError, type ErrorText } from './errors';
import { mergedQuestion } from './question-queue';
import { ErrorNote, Spinner } from './ui';
import './choose-connection.css';

/** The events that put a question to the person: which connection a skill's call uses, and whether an agent's write may go. */
type QuestionEvent = 'agent.approval' | 'connection.choose';

/**
 * The questions of one kind, asked one at a time: those already waiting when this window opened (`load`;
 * the app shows its window when one is asked), then each the event brings. One answered in another
 * window, timed out or abandoned leaves here too. `load` is a module-level function, so it is asked once.
 */
export function useQuestionQueue<E extends QuestionEvent>(event: E, load: (api: SophonApi) => Promise<EventPayload<E>[]>) {
  const { api } = useApi();
  const [queue, setQueue] = useState<EventPayload<E>[]>([]);
  useEvent(event, (p) => setQueue((q) => mergedQuestion(q, p)));
  useEffect(() => {
    load(api).then(
      (open) => setQueue((q) => open.reduce(mergedQuestion, q)),
      () => undefined,
    );
  }, [api, load]);
  const current = queue[0];
  const drop = () => setQueue((q) => q.filter((x) => x.request !== current?.request));
  return { current, waiting: Math.max(0, queue.length - 1), drop };
}

/** Sending the person's answer: busy while it goes (and after, until the dialog is gone), its error kept to show. */
export function useAnswer<A>(send: (answer: A) => Promise<unknown>, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorText | null>(null);
  const answer = async (a: A) => {
    setBusy(true);
    setError(null);
    try {
      await send(a);
      onDone();
    } catch (err) {
      setBusy(false);
      setError(describeError(err));
    }
  };
  return { busy, error, answer };
}

interface QuestionDialogProps {
  /** An `alertdialog` for a question whose yes has consequences (a write); otherwise a `dialog`. */
  alert?: boolean;
  className?: string;
  /** The control focused first (a selector): the safe answer, or the first option. */
  focus: string;
  title: ReactNode;
  description: ReactNode;
  /** Escape: a refusal, since the call must not go on without an answer. */
  refuse: () => void;
  busy: boolean;
  error: ErrorText | null;
  /** How many more questions of this kind wait, and what they are called ("approval", "question"). */
  waiting: number;
  noun: string;
  /** When given, the content is a form (Enter on an option submits). */
  onSubmit?: (e: FormEvent) => void;
  actions: ReactNode;
  children: ReactNode;
}

/** A modal question on the native <dialog>: modal from the start, focus on `focus`, and back where it was once the dialog is gone. */
export function QuestionDialog({ alert, className, focus, title, description, refuse, busy, error, waiting, noun, onSubmit, actions, children }: QuestionDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const initialFocus = useRef(focus);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>(initialFocus.current)?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (before?.isConnected) before.focus();
    };
  }, []);
  const content = (
    <>
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      <p id={descId} className="muted">
        {description}
      </p>
      {children}
      {waiting > 0 && <p className="muted">{waiting === 1 ? `One more ${noun} is waiting.` : `${waiting} more ${noun}s are waiting.`}</p>}
      {error && <ErrorNote error={error} />}
      {busy && <Spinner label="Sending your answer…" />}
      <div className="form-actions">{actions}</div>
    </>
  );
  return (
    <dialog
      ref={ref}
      className={`dialog choose-dialog${className ? ` ${className}` : ''}`}
      role={alert ? 'alertdialog' : 'dialog'}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) refuse();
      }}
    >
      {onSubmit ? <form onSubmit={onSubmit}>{content}</form> : content}
    </dialog>
  );
}
