import { useId, useState, type FormEvent } from 'react';
import type { Connection } from '../../../shared/connections';
import type { Out } from '../../../shared/contract';
import { useApi, useConnections, useQuery } from '../api';
import { relative } from '../format';
import { href } from '../router';
import { Dialog, ErrorNote, Note, PageHeader, Spinner } from '../ui';
import { useAction } from '../use-action';
import '../approve-call.css';

type Agent = Out<'agents.list'>['agents'][number];
type Install = Out<'agents.install'>;
type McpClientId = Install['client'];

const CLIENTS: { id: McpClientId; name: string }[] = [
  { id: 'claude-code', name: 'Claude Code' },
  { id: 'claude-desktop', name: 'Claude Desktop' },
  { id: 'codex', name: 'Codex' },
  { id: 'cursor', name: 'Cursor' },
  { id: 'vscode', name: 'VS Code' },
];

const WRITES: Record<Agent['writes'], string> = { allow: 'allowed', ask: 'ask me each time', deny: 'refused' };

/**
 * The AI agents that reach the person's services through Sophon's MCP door: what each may do (policy), what it
 * did last (its audit rows), adding Sophon to an MCP client, the MCP HTTP server and its bearer tokens.
 */
export function AgentsScreen() {
  const [agents, reloadAgents] = useQuery('agents.list', {});
  const [tokens, reloadTokens] = useQuery('agents.tokens', {});
  return (
    <>
      <PageHeader title="Agents" subtitle="AI agents (MCP clients) that call your services through Sophon. They never see a secret; you decide what each may use." />
      <InstallCard />
      <HttpServerCard />
      <h2 className="section-title">Your agents</h2>
      {agents.status === 'loading' && <Spinner label="Loading agents…" />}
      {agents.status === 'error' && <ErrorNote error={agents.error} />}
      {agents.status === 'ready' &&
        (agents.value.agents.length === 0 ? (
          <p className="muted">No agent has connected yet. Add Sophon to one above; it shows here once it starts.</p>
        ) : (
          agents.value.agents.map((a) => <AgentCard key={a.agent} agent={a} onChanged={reloadAgents} />)
        ))}
      <TokensCard tokens={tokens} reload={() => (reloadTokens(), reloadAgents())} />
    </>
  );
}

function AgentCard({ agent, onChanged }: { agent: Agent; onChanged: () => void }) {
  const { api } = useApi();
  const { state } = useConnections();
  const connections: Connection[] = state.status === 'ready' ? state.value : [];
  const [all, setAll] = useState(agent.connections === null);
  const [picked, setPicked] = useState<Set<string>>(new Set(agent.connections ?? []));
  const [writes, setWrites] = useState<Agent['writes']>(agent.writes);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const ids = { writes: useId(), heading: useId() };
  const [calls] = useQuery('audit.query', { skill: agent.agent, action: 'mcp_call', limit: 5 });

  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await api['agents.setPolicy']({ agent: agent.agent, connections: all ? null : [...picked], writes });
      setSaved(true);
      onChanged();
    });
  };
  const toggle = (id: string) => {
    setSaved(false);
    setPicked((p) => {
      const next = new Set(p);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  return (
    <section className="card agent-card" aria-labelledby={ids.heading} data-agent={agent.agent}>
      <h2 id={ids.heading}>{agent.agent}</h2>
      <p className="muted">
        {agent.clientName ? `${agent.clientName} · ` : ''}
        {agent.lastSeenAt ? `last seen ${relative(agent.lastSeenAt)}` : 'not connected yet'} · writes {WRITES[agent.writes]}
      </p>
      <form onSubmit={save} aria-label={`Policy of ${agent.agent}`}>
        <div className="agent-policy">
          <fieldset>
            <legend>Connections it may use</legend>
            <label>
              <input type="radio" name={`all-${agent.agent}`} checked={all} onChange={() => (setAll(true), setSaved(false))} /> All my connections
            </label>
            <label>
              <input type="radio" name={`all-${agent.agent}`} checked={!all} onChange={() => (setAll(false), setSaved(false))} /> Only these:
            </label>
            {connections.map((c) => (
              <label key={c.id}>
                <input type="checkbox" checked={picked.has(c.id)} disabled={all} onChange={() => toggle(c.id)} />
                {c.label} <span className="muted">({c.serviceName})</span>
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={ids.writes}>Calls that change things (not GET/HEAD)</label>
            <select id={ids.writes} value={writes} onChange={(e) => (setWrites(e.target.value as Agent['writes']), setSaved(false))}>
              <option value="ask">Ask me each time</option>
              <option value="allow">Allow</option>
              <option value="deny">Refuse</option>
            </select>
          </div>
        </div>
        {action.error && <ErrorNote error={action.error} onDismiss={action.clear} />}
        {saved && <Note kind="ok">Saved. Running sessions follow it at their next call.</Note>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Save policy
          </button>
        </div>
      </form>
      <h3>Last calls</h3>
      {calls.status === 'loading' && <Spinner label="Loading its calls…" />}
      {calls.status === 'error' && <ErrorNote error={calls.error} />}
      {calls.status === 'ready' &&
        (calls.value.rows.length === 0 ? (
          <p className="muted">No calls yet.</p>
        ) : (
          <ul className="agent-calls" aria-label={`Last calls of ${agent.agent}`}>
            {calls.value.rows.map((r) => (
              <li key={r.id}>
                <time dateTime={r.at}>{relative(r.at)}</time> · {r.tool} · <span className={r.outcome === 'ok' ? 'text-ok' : 'text-bad'}>{r.outcome}</span>
                {r.detail ? <span className="muted"> · {r.detail}</span> : null}
              </li>
            ))}
          </ul>
        ))}
      <a href={href.auditOfAgent(agent.agent)}>All its audit rows</a>
    </section>
  );
}

/** "Install into <client>": a dry run shows the change first; confirming writes it (a backup is kept). */
function InstallCard() {
  const { api } = useApi();
  const [preview, setPreview] = useState<Install | null>(null);
  const [done, setDone] = useState<Install | null>(null);
  const action = useAction();
  const ask = (client: McpClientId, uninstall = false) =>
    void action.run(async () => {
      setDone(null);
      setPreview(await api['agents.install']({ client, dryRun: true, uninstall }));
    });
  const confirm = () =>
    void action.run(async () => {
      if (!preview) return;
      const uninstall = preview.entry === null;
      const result = await api['agents.install']({ client: preview.client, uninstall });
      setPreview(null);
      setDone(result);
    });
  return (
    <section className="card" aria-labelledby="install-heading">
      <h2 id="install-heading">Add Sophon to an agent</h2>
      <p className="muted">Writes the client’s own MCP configuration so it starts Sophon (stdio). You see the change before anything is written.</p>
      <div className="install-buttons">
        {CLIENTS.map((c) => (
          <button key={c.id} type="button" className="btn" onClick={() => ask(c.id)} disabled={action.busy}>
            Install into {c.name}
          </button>
        ))}
      </div>
      {action.error && <ErrorNote error={action.error} onDismiss={action.clear} />}
      {done && (
        <Note kind="ok">
          {done.action === 'unchanged' ? `${done.file} already ${done.entry ? 'starts Sophon' : 'has no Sophon entry'}; nothing changed.` : `${done.action === 'removed' ? 'Removed Sophon from' : done.action === 'created' ? 'Created' : 'Updated'} ${done.file}.`}
          {done.backup ? ` The previous file is kept as ${done.backup}.` : ''} {done.action !== 'unchanged' ? done.note : ''}
        </Note>
      )}
      <Dialog open={preview !== null} title={preview ? `${preview.entry ? 'Install into' : 'Remove from'} ${preview.clientName}` : ''} onClose={() => setPreview(null)}>
        {preview && (
          <div className="install-preview">
            {preview.action === 'unchanged' ? (
              <p>
                <code>{preview.file}</code> already {preview.entry ? 'starts Sophon' : 'has no Sophon entry'}: nothing to change.
              </p>
            ) : (
              <p>
                Sophon would {preview.action === 'created' ? 'create' : preview.action === 'removed' ? 'remove its entry from' : 'update'} <code>{preview.file}</code>
                {preview.entry ? ' with this "sophon" server:' : '.'} Every other setting in the file is kept, and the file as it was is kept as a backup.
              </p>
            )}
            {preview.entry && <pre data-testid="install-entry">{JSON.stringify(preview.entry, null, 2)}</pre>}
            <div className="form-actions">
              {preview.action !== 'unchanged' && (
                <button type="button" className="btn btn-primary" onClick={confirm} disabled={action.busy}>
                  {preview.entry ? 'Install' : 'Remove'}
                </button>
              )}
              {preview.entry && (
                <button type="button" className="btn" onClick={() => ask(preview.client, true)} disabled={action.busy}>
                  Remove Sophon instead…
                </button>
              )}
              <button type="button" className="btn btn-quiet" onClick={() => setPreview(null)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </Dialog>
    </section>
  );
}

/** The MCP HTTP server, for clients that connect to a URL: off until turned on here. */
function HttpServerCard() {
  const { api } = useApi();
  const [status, reload] = useQuery('agents.httpServer', {});
  const [shown, setShown] = useState<Out<'agents.httpServer'> | null>(null);
  const action = useAction();
  const s = shown ?? (status.status === 'ready' ? status.value : null);
  const set = (enabled: boolean) =>
    void action.run(async () => {
      setShown(await api['agents.setHttpServer']({ enabled }));
      reload();
    });
  return (
    <section className="card" aria-labelledby="http-heading">
      <h2 id="http-heading">MCP over HTTP</h2>
      <p className="muted">For clients that connect to a URL instead of starting Sophon. Each client needs its own token (below). Listens on this computer only.</p>
      {status.status === 'error' && <ErrorNote error={status.error} />}
      {s && (
        <>
          <p role="status" data-testid="http-status">
            {s.running ? (
              <>
                Running at <code>{s.url}</code>
              </>
            ) : (
              'Off'
            )}
          </p>
          {s.problem && s.enabled && <Note kind="warn">{s.problem}</Note>}
          <button type="button" className="btn" onClick={() => set(!s.running)} disabled={action.busy}>
            {s.running ? 'Stop the HTTP server' : 'Start the HTTP server'}
          </button>
        </>
      )}
      {action.error && <ErrorNote error={action.error} onDismiss={action.clear} />}
    </section>
  );
}

function TokensCard({ tokens, reload }: { tokens: ReturnType<typeof useQuery<'agents.tokens'>>[0]; reload: () => void }) {
  const { api } = useApi();
  const [made, setMade] = useState<Out<'agents.createToken'> | null>(null);
  const action = useAction();
  const nameId = useId();
  const create = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const agent = String(new FormData(e.currentTarget).get('agent') ?? '').trim();
    const form = e.currentTarget;
    void action.run(async () => {
      setMade(await api['agents.createToken']({ agent }));
      form.reset();
      reload();
    });
  };
  const revoke = (id: string) =>
    void action.run(async () => {
      await api['agents.revokeToken']({ id });
      if (made?.id === id) setMade(null);
      reload();
    });
  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">HTTP tokens</h2>
      <p className="muted">A token stands for one agent: its name is the agent in policies and the audit trail. It opens only the MCP door.</p>
      <form onSubmit={create} className="filters" aria-label="Create an MCP token">
        <div className="field">
          <label htmlFor={nameId}>Agent name</label>
          <input id={nameId} name="agent" type="text" required pattern="[a-z0-9][a-z0-9._\-]{0,63}" placeholder="e.g. cursor" autoComplete="off" />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Create token
          </button>
        </div>
      </form>
      {made && (
        <div className="token-once" role="status">
          <p>
            Token for <strong>{made.agent}</strong>. Copy it now: it is shown only this once (Sophon keeps only its hash).
          </p>
          <code data-testid="new-token">{made.token}</code>
        </div>
      )}
      {action.error && <ErrorNote error={action.error} onDismiss={action.clear} />}
      {tokens.status === 'error' && <ErrorNote error={tokens.error} />}
      {tokens.status === 'ready' &&
        (tokens.value.tokens.length === 0 ? (
          <p className="muted">No tokens.</p>
        ) : (
          <ul aria-label="MCP tokens">
            {tokens.value.tokens.map((t) => (
              <li key={t.id}>
                <code>{t.id}</code> · {t.agent} · created {relative(t.createdAt)}{' '}
                <button type="button" className="btn btn-small" onClick={() => revoke(t.id)} disabled={action.busy} aria-label={`Revoke token ${t.id} of ${t.agent}`}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
