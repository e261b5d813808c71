import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { Connection } from '../../shared/connections';
import { badgeOf, serviceIcon, type BadgeInput } from './connection-view';
import { serviceLogo } from './service-logos';
import type { ErrorText } from './errors';

export function StateBadge({ connection }: { connection: BadgeInput & Pick<Connection, 'stateReason'> }) {
  const { kind, text } = badgeOf(connection);
  return (
    <span className={`badge badge-${kind}`} title={connection.stateReason ?? undefined} data-state={kind}>
      <span className="badge-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

export function ErrorNote({ error, onDismiss }: { error: ErrorText; onDismiss?: () => void }) {
  return (
    <div className="note note-error" role="alert">
      <p className="note-title">{error.title}</p>
      {error.detail && <p className="note-detail">{error.detail}</p>}
      {onDismiss && (
        <button type="button" className="btn btn-quiet btn-small" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

export function Note({ kind, children }: { kind: 'ok' | 'warn' | 'info'; children: ReactNode }) {
  return (
    <div className={`note note-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <span className="spinner-wrap" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </span>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1 tabIndex={-1} className="page-title">
          {title}
        </h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/** A modal dialog on the native <dialog>: focus is trapped, Escape cancels, focus returns afterwards. */
export function Dialog({ open, title, children, onClose }: { open: boolean; title: string; children: ReactNode; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // showModal focuses the first button (React's autoFocus leaves no attribute for it to find): a
      // dialog about something destructive opens on the safe choice, marked data-autofocus.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

/** A service's logo (service-logos.ts), or its letter monogram where it has none. */
export function ServiceIcon({ name, serviceId }: { name: string; serviceId?: string }) {
  const logo = serviceId ? serviceLogo(serviceId) : null;
  if (logo) {
    return (
      <span className="service-icon service-logo" aria-hidden="true" data-logo={serviceId}>
        <svg viewBox="0 0 24 24" focusable="false">
          <path d={logo.path} fill={logo.color} />
        </svg>
      </span>
    );
  }
  const { letters, hue } = serviceIcon(name);
  return (
    <span className="service-icon" aria-hidden="true" data-hue={hue}>
      {letters}
    </span>
  );
}
