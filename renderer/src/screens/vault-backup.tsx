import { useId, useState, type FormEvent } from 'react';
import type { Out } from '../../../shared/contract';
import { useApi } from '../api';
import { useBackupStatus } from '../backup-status';
import { ErrorNote, Note, Spinner } from '../ui';
import { RecoveryKit, type RecoveryKitProps } from './recovery-kit';
import { useAction } from '../use-action';
import { ScheduleStatus } from './vault-schedule-status';
import './vault.css';

type Kit = Omit<RecoveryKitProps, 'onDone'>;

/** Either a generated recovery phrase (the default: 160 random bits) or the person's own passphrase. */
function PassphraseChoice({ own, setOwn, name }: { own: boolean; setOwn: (v: boolean) => void; name: string }) {
  const id = useId();
  return (
    <>
      <div className="field field-check">
        <input id={`${id}-gen`} type="radio" name={`${name}-kind`} checked={!own} onChange={() => setOwn(false)} />
        <label htmlFor={`${id}-gen`}>Generate a recovery phrase (shown once, printable)</label>
      </div>
      <div className="field field-check">
        <input id={`${id}-own`} type="radio" name={`${name}-kind`} checked={own} onChange={() => setOwn(true)} />
        <label htmlFor={`${id}-own`}>Use my own passphrase</label>
      </div>
      {own && (
        <div className="field">
          <label htmlFor={`${id}-pass`}>Passphrase (at least 12 characters)</label>
          <input id={`${id}-pass`} name={`${name}-passphrase`} type="password" required minLength={12} autoComplete="new-password" />
        </div>
      )}
    </>
  );
}

function BackupCard({ showKit }: { showKit: (kit: Kit) => void }) {
  const { api } = useApi();
  const id = useId();
  const [own, setOwn] = useState(false);
  const [done, setDone] = useState<Out<'vault.backup'> | null>(null);
  const action = useAction();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const folder = String(form.get('folder') ?? '').trim();
    const passphrase = own ? String(form.get('backup-passphrase') ?? '') : null;
    void action.run(async () => {
      setDone(null);
      const result = await api['vault.backup']({ folder, passphrase });
      setDone(result);
      if (result.recoveryPhrase) showKit({ phrase: result.recoveryPhrase, createdAt: result.createdAt, keyId: result.keyId, where: result.file });
      formEl.reset();
    });
  };
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Back up
      </h2>
      <p>One file with every connection and its credential, encrypted under a passphrase. Restoring it needs only the file and the passphrase.</p>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-folder`}>Folder (absolute path)</label>
          <input id={`${id}-folder`} name="folder" required spellCheck={false} placeholder="/home/me/Backups" />
        </div>
        <PassphraseChoice own={own} setOwn={setOwn} name="backup" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Back up now
          </button>
        </div>
      </form>
      {action.busy && <Spinner label="Deriving the key and writing the backup…" />}
      {action.error && <ErrorNote error={action.error} />}
      {done && (
        <p className="text-ok" data-testid="backup-summary">
          Backed up {done.connections} connection{done.connections === 1 ? '' : 's'} to <code data-testid="backup-file">{done.file}</code>.
        </p>
      )}
    </section>
  );
}

function RestoreCard({ onRestored }: { onRestored: () => void }) {
  const { api } = useApi();
  const id = useId();
  const [input, setInput] = useState<{ file: string; passphrase: string; mode: 'merge' | 'replace' } | null>(null);
  const [plan, setPlan] = useState<Out<'vault.restore'> | null>(null);
  const action = useAction();
  const check = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = { file: String(form.get('file') ?? '').trim(), passphrase: String(form.get('restore-passphrase') ?? ''), mode: form.get('mode') === 'replace' ? ('replace' as const) : ('merge' as const) };
    void action.run(async () => {
      setPlan(null);
      setPlan(await api['vault.restore']({ ...next, apply: false }));
      setInput(next);
    });
  };
  const apply = () =>
    void action.run(async () => {
      if (!input) return;
      setPlan(await api['vault.restore']({ ...input, apply: true }));
      // The passphrase is dropped as soon as it has served.
      setInput(null);
      onRestored();
    });
  const items = plan
    ? [
        ...plan.connections.map((c) => ({ key: `c-${c.id}`, action: c.action, what: `${c.label} (${c.serviceId}, ${c.userId})`, note: c.note })),
        ...plan.connectors.filter((c) => c.action !== 'same').map((c) => ({ key: `f-${c.file}`, action: c.action, what: `connector ${c.file}`, note: c.note })),
        ...plan.systemSecrets.filter((s) => s.action !== 'same').map((s) => ({ key: `s-${s.name}`, action: s.action, what: `Sophon secret ${s.name}`, note: s.note })),
        ...plan.oauthClients.filter((c) => c.action !== 'same').map((c) => ({ key: `o-${c.serviceId}`, action: c.action, what: `OAuth client for ${c.serviceId}`, note: c.note })),
      ]
    : [];
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Restore
      </h2>
      <form className="form" onSubmit={check}>
        <div className="field">
          <label htmlFor={`${id}-file`}>Backup file (absolute path)</label>
          <input id={`${id}-file`} name="file" required spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-pass`}>Passphrase or recovery phrase</label>
          <input id={`${id}-pass`} name="restore-passphrase" type="password" required autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-mode`}>When a connection is already here</label>
          <select id={`${id}-mode`} name="mode" defaultValue="merge">
            <option value="merge">Keep this machine’s (merge)</option>
            <option value="replace">Take the backup’s (replace)</option>
          </select>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn" disabled={action.busy}>
            Check backup
          </button>
        </div>
      </form>
      {action.busy && <Spinner label="Opening the backup…" />}
      {action.error && <ErrorNote error={action.error} />}
      {plan && (
        <div data-testid="restore-plan">
          <p>{plan.applied ? 'Restored:' : 'What the restore will do (nothing is changed yet):'}</p>
          <ul className="plan-list">
            {items.map((i) => (
              <li key={i.key}>
                <span className={`plan-action plan-action-${i.action}`}>{i.action}</span> {i.what}
                {i.note ? ` — ${i.note}` : ''}
              </li>
            ))}
          </ul>
          {!plan.applied && input && (
            <button type="button" className="btn btn-primary" onClick={apply} disabled={action.busy}>
              Restore ({plan.mode})
            </button>
          )}
          {plan.applied && <p className="text-ok" data-testid="restore-done">The restore is done. Test each connection to check it works here.</p>}
        </div>
      )}
    </section>
  );
}

function ScheduleCard({ showKit }: { showKit: (kit: Kit) => void }) {
  const { api } = useApi();
  const id = useId();
  const [own, setOwn] = useState(false);
  // Shared with the sidebar's badge: a run or a change here updates it too.
  const { state: current, reload, set } = useBackupStatus();
  const action = useAction();
  const running = useAction();
  const runNow = () =>
    void running.run(async () => {
      const { schedule, lastRun } = await api['vault.runBackupSchedule']({});
      set({ schedule, lastRun });
    });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const schedule = {
      folder: String(form.get('folder') ?? '').trim(),
      keep: Number(form.get('keep')),
      everyHours: Number(form.get('every')),
      passphrase: own ? String(form.get('schedule-passphrase') ?? '') : null,
    };
    void action.run(async () => {
      const result = await api['vault.setBackupSchedule']({ schedule });
      if (result.recoveryPhrase && result.schedule) showKit({ phrase: result.recoveryPhrase, createdAt: new Date().toISOString(), keyId: null, where: result.schedule.folder });
      reload();
    });
  };
  const off = () =>
    void action.run(async () => {
      await api['vault.setBackupSchedule']({ schedule: null });
      reload();
    });
  const s = current.status === 'ready' ? current.value.schedule : null;
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Scheduled backups
      </h2>
      {current.status === 'error' && <ErrorNote error={current.error} />}
      {s ? (
        <>
          <p data-testid="schedule-summary">
            Every {s.everyHours} h to <code>{s.folder}</code>, keeping {s.keep}. Last: {s.lastBackupAt ?? 'none yet'}; next due {s.nextDueAt}.{' '}
            <button type="button" className="btn btn-small" onClick={runNow} disabled={action.busy || running.busy}>
              Run now
            </button>{' '}
            <button type="button" className="btn btn-small" onClick={off} disabled={action.busy || running.busy}>
              Turn off
            </button>
          </p>
          {running.busy && <Spinner label="Writing a backup…" />}
          {running.error && <ErrorNote error={running.error} />}
          {current.status === 'ready' && <ScheduleStatus status={current.value} />}
        </>
      ) : (
        <p>Off. The app and the dashboard write them while they run; cron can run <code>sophon vault backup --run-scheduled</code>.</p>
      )}
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-folder`}>Folder (absolute path)</label>
          <input id={`${id}-folder`} name="folder" required spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-keep`}>Keep</label>
          <input id={`${id}-keep`} name="keep" type="number" min={1} max={1000} defaultValue={7} required />
        </div>
        <div className="field">
          <label htmlFor={`${id}-every`}>Every (hours)</label>
          <input id={`${id}-every`} name="every" type="number" min={1} max={8784} defaultValue={24} required />
        </div>
        <PassphraseChoice own={own} setOwn={setOwn} name="schedule" />
        <div className="form-actions">
          <button type="submit" className="btn" disabled={action.busy}>
            {s ? 'Change schedule' : 'Schedule backups'}
          </button>
        </div>
      </form>
      {action.busy && <Spinner label="Deriving the backup key…" />}
      {action.error && <ErrorNote error={action.error} />}
    </section>
  );
}

function RotateCard({ onRotated }: { onRotated: () => void }) {
  const { api } = useApi();
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<Out<'vault.rotateKey'> | null>(null);
  const action = useAction();
  const rotate = () =>
    void action.run(async () => {
      setConfirming(false);
      setResult(await api['vault.rotateKey']({}));
      onRotated();
    });
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Rotate the key
      </h2>
      <p>A new master key, every credential re-encrypted under it, then the old key removed. Safe to interrupt; backups stay valid.</p>
      {confirming ? (
        <div className="form-actions">
          <button type="button" className="btn btn-primary" onClick={rotate} disabled={action.busy}>
            Rotate now
          </button>
          <button type="button" className="btn" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="btn" onClick={() => setConfirming(true)} disabled={action.busy}>
          Rotate key…
        </button>
      )}
      {action.busy && <Spinner label="Re-encrypting every credential…" />}
      {action.error && <ErrorNote error={action.error} />}
      {result && (
        <Note kind="ok">
          <p data-testid="rotate-summary">
            Rotated: <code>{result.from.keyId}</code> → <code>{result.to.keyId}</code>; {result.resealed} file{result.resealed === 1 ? '' : 's'} re-encrypted
            {result.unreadable.length ? `, ${result.unreadable.length} unreadable left as they were` : ''}.
          </p>
        </Note>
      )}
    </section>
  );
}

/** Backup, restore, schedule and rotation on the Vault page; a generated phrase replaces them with the kit until dismissed. */
export function VaultMaintenance({ onChanged }: { onChanged: () => void }) {
  const [kit, setKit] = useState<Kit | null>(null);
  if (kit) return <RecoveryKit {...kit} onDone={() => setKit(null)} />;
  return (
    <div className="vault-grid">
      <BackupCard showKit={setKit} />
      <RestoreCard onRestored={onChanged} />
      <ScheduleCard showKit={setKit} />
      <RotateCard onRotated={onChanged} />
    </div>
  );
}
