import { Fragment, useId, useState, type ReactNode } from 'react';
import type { Out } from '../../../shared/contract';
import { THEMES, type Theme } from '../../../shared/themes';
import { useApi, useQuery } from '../api';
import { describeError, type ErrorText } from '../errors';
import { href } from '../router';
import { showTheme } from '../theme';
import { ErrorNote, Note, PageHeader, Spinner } from '../ui';

type SettingsView = Out<'settings.get'>['settings'];

const THEME_TEXT: Record<Theme, string> = { system: 'Same as the system', light: 'Light', dark: 'Dark' };

const bytes = (n: number): string => (n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KB` : `${n} bytes`);
const seconds = (n: number): string => (n >= 60 && n % 60 === 0 ? `${n / 60} min` : `${n} s`);

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id} className="card-title">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** Light, dark or the system's: the install's setting for an admin, this browser's look for anyone else. */
function Appearance({ saved, isAdmin, onSaved }: { saved: Theme; isAdmin: boolean; onSaved: (s: SettingsView) => void }) {
  const { api } = useApi();
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.getAttribute('data-theme') as Theme | null) ?? saved);
  const [error, setError] = useState<ErrorText | null>(null);
  const [saving, setSaving] = useState(false);
  const name = useId();
  async function pick(next: Theme) {
    setTheme(next);
    showTheme(next);
    setError(null);
    if (!isAdmin) return;
    setSaving(true);
    try {
      onSaved((await api['settings.set']({ ui: { theme: next } })).settings);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  }
  return (
    <Section title="Appearance">
      <fieldset className="choice-group" aria-busy={saving}>
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <label key={t} className="choice">
            <input type="radio" name={name} value={t} checked={theme === t} onChange={() => void pick(t)} />
            {THEME_TEXT[t]}
          </label>
        ))}
      </fieldset>
      <p className="help">{isAdmin ? 'Kept in Sophon’s settings: the app and every dashboard tab use it.' : 'Kept in this browser only: changing it for everyone takes an admin.'}</p>
      {error && <ErrorNote error={error} />}
    </Section>
  );
}

/** What the settings say of the vault: all a non-admin may see (vault.status covers every user's credentials). */
function VaultSettings({ settings, error }: { settings: SettingsView; error?: ErrorText }) {
  const v = settings.vault;
  return (
    <Section title="Vault">
      <Facts
        rows={[
          ['Key protector', v.keyProtector],
          ['Vault provider', v.provider],
          ...(v.keyProtector === 'keychain' ? ([['Keychain entry', v.keychainService]] as [string, ReactNode][]) : []),
        ]}
      />
      {error && <ErrorNote error={error} />}
    </Section>
  );
}

function VaultStatus({ settings }: { settings: SettingsView }) {
  const [status] = useQuery('vault.status', {});
  if (status.status === 'loading') return <Spinner label="Reading the vault…" />;
  if (status.status === 'error') return <VaultSettings settings={settings} error={status.error} />;
  const s = status.value;
  return (
    <Section title="Vault">
      <Facts
        rows={[
          [
            'Key protector',
            <>
              {s.keyProtector.kind}{' '}
              <span className={s.keyProtector.reachable ? 'badge badge-active' : 'badge badge-error'}>
                <span className="badge-dot" aria-hidden="true" />
                {s.keyProtector.reachable ? 'reachable' : 'not reachable'}
              </span>
            </>,
          ],
          ...(s.keyProtector.location ? ([['Key location', <code key="l">{s.keyProtector.location}</code>]] as [string, ReactNode][]) : []),
          ['Vault provider', s.provider],
          ['Credentials folder', <code key="d">{s.vaultDir}</code>],
          ['Data folder', <code key="h">{s.home}</code>],
          ['Credentials stored', String(s.credentials)],
        ]}
      />
      <p className="help">
        Checks, key rotation and backups: <a href={href.vault}>Vault page</a>.
      </p>
    </Section>
  );
}

/** The OAuth services and whether Sophon has a client registration at each (set up on the service's add page). */
function OAuthClients({ settings }: { settings: SettingsView }) {
  const [services] = useQuery('services.list', {});
  if (services.status === 'loading') return <Spinner label="Loading services…" />;
  if (services.status === 'error') return <ErrorNote error={services.error} />;
  const oauth = services.value.services.filter((s) => s.authMethod === 'oauth2').sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Section title="OAuth sign-in">
      <p className="help">Services you sign in to in the browser need a client registration (a client id, sometimes a secret) before the first sign-in.</p>
      {oauth.length === 0 ? (
        <p className="muted">No service in the catalog signs in with OAuth.</p>
      ) : (
        <ul className="settings-list" role="list" aria-label="OAuth services">
          {oauth.map((s) => {
            const client = settings.oauthClients[s.id];
            const ready = client !== undefined || s.oauthClientConfigured === true;
            return (
              <li key={s.id} className="settings-item" data-service={s.id}>
                <span className="settings-item-name">{s.name}</span>
                <span className={`badge ${ready ? 'badge-active' : 'badge-needs_reauth'}`}>
                  <span className="badge-dot" aria-hidden="true" />
                  {ready ? 'Client registered' : 'Needs setup'}
                </span>
                <a className="btn btn-small" href={href.add(s.id)} aria-label={`${ready ? 'Connect' : 'Set up'} ${s.name}`}>
                  {ready ? 'Connect' : 'Set up'}
                </a>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}

function BrokerFacts({ settings }: { settings: SettingsView }) {
  const b = settings.broker;
  return (
    <Section title="Broker">
      <Facts
        rows={[
          ['Port of sophon broker serve', b.port === 0 ? 'any free port (printed at start)' : String(b.port)],
          ['Broker token lifetime', seconds(b.tokenTtlSeconds)],
          ['Largest request', bytes(b.maxRequestBytes)],
          ['Largest response', bytes(b.maxResponseBytes)],
          ['Service answer timeout', seconds(b.upstreamTimeoutSeconds)],
          ['Wait for re-auth', seconds(b.reauthWaitSeconds)],
          ['Wait for a connection choice', seconds(b.chooseWaitSeconds)],
          ['Worker processes', b.workers === 0 ? 'one per core (at most 4)' : String(b.workers)],
        ]}
      />
      <p className="help">
        Change one with <code>sophon config set Sophon.Broker.Port 7420</code> (or in the settings file below); <code>sophon broker serve</code> reads them when it starts.
      </p>
    </Section>
  );
}

export function SettingsScreen({ isAdmin }: { isAdmin: boolean }) {
  const [query] = useQuery('settings.get', {});
  const [fresh, setFresh] = useState<SettingsView | null>(null);
  if (query.status === 'loading') return <Spinner label="Reading the settings…" />;
  if (query.status === 'error') {
    return (
      <>
        <PageHeader title="Settings" />
        <ErrorNote error={query.error} />
      </>
    );
  }
  const settings = fresh ?? query.value.settings;
  return (
    <>
      <PageHeader title="Settings" subtitle="How this Sophon keeps your credentials, signs in to services, brokers calls and looks. Never a secret here." />
      {!isAdmin && <Note kind="info">Only an admin can change Sophon’s settings; you can see them, and pick this browser’s theme.</Note>}
      <Appearance saved={settings.ui.theme} isAdmin={isAdmin} onSaved={setFresh} />
      {isAdmin ? <VaultStatus settings={settings} /> : <VaultSettings settings={settings} />}
      <OAuthClients settings={settings} />
      <BrokerFacts settings={settings} />
      <Section title="Files">
        <Facts
          rows={[
            ['Settings file', <code key="s">{settings.settingsFile}</code>],
            ['Log file', <code key="l">{settings.logFile}</code>],
          ]}
        />
        <p className="help">The log holds what Sophon did and why it failed, never a secret. Run a command with <code>--debug</code> for more detail in it.</p>
      </Section>
    </>
  );
}
