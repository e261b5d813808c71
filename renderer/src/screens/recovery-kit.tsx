import './vault.css';

export interface RecoveryKitProps {
  phrase: string;
  /** When the backup (or the schedule) was made, ISO 8601. */
  createdAt: string;
  /** The vault key id at that time: which vault the kit belongs to (not the key itself). */
  keyId: string | null;
  /** The backup file, or the folder of scheduled backups. */
  where: string;
  onDone: () => void;
}

/**
 * The generated recovery phrase, shown once, laid out to be printed (`@media print` in vault.css hides
 * everything else on the page). Nothing keeps it: leaving this view forgets it.
 */
export function RecoveryKit({ phrase, createdAt, keyId, where, onDone }: RecoveryKitProps) {
  return (
    <section className="card recovery-kit" aria-labelledby="recovery-kit-h" data-testid="recovery-kit">
      <h2 id="recovery-kit-h" className="card-title">
        Sophon recovery kit
      </h2>
      <p>
        This phrase opens your Sophon backup. Without it the backup cannot be restored, and Sophon does not keep a copy: it is shown only now. Print this page or write
        the phrase down, and keep it apart from the backup file.
      </p>
      <p className="recovery-phrase" data-testid="recovery-phrase">
        {phrase}
      </p>
      <dl className="facts">
        <dt>Made</dt>
        <dd>{new Date(createdAt).toUTCString()}</dd>
        <dt>Vault key id</dt>
        <dd>
          <code>{keyId ?? 'none yet'}</code>
        </dd>
        <dt>Backup</dt>
        <dd>
          <code>{where}</code>
        </dd>
      </dl>
      <p className="recovery-how">
        To restore: open Sophon on any machine, Vault → Restore (or <code>sophon vault restore FILE</code>), and type the phrase; capitals and dashes as printed, lower case
        works too.
      </p>
      <div className="form-actions no-print">
        <button type="button" className="btn btn-primary" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" className="btn" onClick={onDone}>
          I have written it down
        </button>
      </div>
    </section>
  );
}
