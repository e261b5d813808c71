import { spawn } from 'node:child_process';
import type { Broker, BrokerTokens } from '../broker';
import { mintBrokerToken } from '../broker/mint';
import { secretValues } from '../credentials/attach';
import { Redactor, StreamRedactor } from '../credentials/redact';
import { SophonError } from '../errors';
import type { Core } from '../sophon-core';
import type { LoadedSkill } from './manifest';
import type { ChosenGrant } from './plan';

/** The door starts the loopback proxy (core never imports a door). */
export type StartProxy = (broker: Broker, maxRequestBytes: number) => Promise<{ url: string; close(): Promise<void> }>;

export interface RunSkillOptions {
  userId: string;
  skill: LoadedSkill;
  tool: string;
  args: string[];
  grants: ChosenGrant[];
  /** An MCP agent's arguments (JSON) to a tool that declares an inputSchema: given to it in SOPHON_TOOL_INPUT. */
  input?: string;
  /** The parent's environment: only PATH and HOME are taken from it. */
  env: NodeJS.ProcessEnv;
  stdout: (bytes: Buffer) => void;
  stderr: (bytes: Buffer) => void;
  startProxy: StartProxy;
  /** A bound on the run (an MCP agent's tool call): the tool and what it started are stopped after it. */
  timeoutMs?: number;
  /** Stops the run early (the agent cancelled its call). */
  signal?: AbortSignal;
}

export interface SkillRunResult {
  exitCode: number;
  /** It was stopped: past `timeoutMs` ('timeout'), or at `signal` ('aborted'). */
  stopped?: 'timeout' | 'aborted';
  /** Names of the environment variables the skill got (never their values). */
  envNames: string[];
  brokerUrl: string | null;
}

/** `SOPHON_CREDENTIAL_GITHUB_PAT` for an injected credential of github-pat. */
export function injectedEnvName(serviceId: string): string {
  return `SOPHON_CREDENTIAL_${serviceId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Runs one tool of a skill: mints its broker token, starts the proxy in this process, starts the
 * skill with a minimal environment (PATH, HOME, the broker's URL and token, and injected credentials
 * the manifest opted into), masks every secret Sophon holds for its connections in its stdout and
 * stderr, and records the run. The token is revoked when the skill exits.
 */
export async function runSkill(core: Core, o: RunSkillOptions): Promise<SkillRunResult> {
  const { manifest, folder } = o.skill;
  const tool = manifest.tools.find((t) => t.name === o.tool);
  if (!tool) throw new SophonError('usage', `Skill ${manifest.id} has no tool "${o.tool}"; it has: ${manifest.tools.map((t) => t.name).join(', ')}.`);

  // Everything secret this run could see, for masking its output (the broker adds refreshed tokens).
  const secrets = new Set<string>();
  let redactor = new Redactor([]);
  const addSecrets = (list: Iterable<string | undefined>) => {
    let changed = false;
    for (const s of list) {
      if (!s || secrets.has(s)) continue;
      secrets.add(s);
      changed = true;
    }
    if (changed) redactor = new Redactor(secrets);
  };
  for (const g of o.grants) {
    const c = await core.credentials.read({ userId: o.userId, connectionId: g.record.id });
    if (c) addSecrets(secretValues(c));
  }

  const env: Record<string, string> = {};
  if (o.env.PATH) env.PATH = o.env.PATH;
  if (o.env.HOME) env.HOME = o.env.HOME;
  if (process.platform === 'win32' && o.env.SystemRoot) env.SystemRoot = o.env.SystemRoot;
  if (o.input !== undefined) env.SOPHON_TOOL_INPUT = o.input;

  let proxy: { url: string; close(): Promise<void> } | null = null;
  let token: string | null = null;
  let broker: Broker | null = null;
  let tokens: BrokerTokens | null = null;
  const proxied = o.grants.filter((g) => g.credential.access === 'proxy');
  try {
    if (proxied.length) {
      const created = await core.createBroker({ userId: o.userId, onlySkill: manifest.id, onSecrets: addSecrets });
      broker = created.broker;
      tokens = created.tokens;
      token = mintBrokerToken(created.tokens, core.audit, {
        userId: o.userId,
        skill: manifest.id,
        tool: tool.name,
        grants: proxied.map((g) => ({
          record: g.record,
          service: g.service,
          scopes: g.credential.scopes,
          calls: { service: g.credential.service, methods: g.credential.methods ?? null, paths: g.credential.paths ?? null },
        })),
        ttlSeconds: created.settings.TokenTtlSeconds,
      }).token;
      proxy = await o.startProxy(broker, created.settings.MaxRequestBytes);
      env.SOPHON_BROKER_URL = proxy.url;
      env.SOPHON_BROKER_TOKEN = token;
    }
    for (const g of o.grants.filter((x) => x.credential.access === 'injected')) {
      // Resolved: an OAuth token is refreshed first, and a linked CLI login (e.g. Claude Code's, for a skill
      // that runs `claude`) is read from its CLI's store, not the vault.
      const { secret } = await core.credentials.resolve({ userId: o.userId, connection: g.record, purpose: 'inject', service: g.service, waitForReauth: { waitMs: 60_000 } });
      if (!secret) throw new SophonError('vault_file_corrupt', `The credential of ${g.record.id} is missing from the vault.`);
      addSecrets([secret]);
      // Named for the service the manifest asked for, whichever service of its family answered.
      env[injectedEnvName(g.credential.service)] = secret;
      core.audit.record({ userId: o.userId, action: 'use', outcome: 'ok', connectionId: g.record.id, serviceId: g.record.serviceId, skill: manifest.id, tool: tool.name, detail: `injected into the skill's environment for one run (${g.service.auth.method === 'oauth2' ? 'access token' : 'static secret: high risk'})` });
    }

    const [program, ...fixed] = tool.command;
    const exe = program === 'node' ? process.execPath : program!;
    // Its own process group (POSIX), so a stopped run takes along whatever the tool started.
    const group = process.platform !== 'win32' && (o.timeoutMs !== undefined || o.signal !== undefined);
    const child = spawn(exe, [...fixed, ...o.args], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: group });
    let stopped: SkillRunResult['stopped'];
    const stop = (why: 'timeout' | 'aborted') => {
      if (stopped || child.exitCode !== null || child.signalCode !== null) return;
      stopped = why;
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (group && child.pid) process.kill(-child.pid, sig);
          else child.kill(sig);
        } catch {
          // Already gone.
        }
      };
      kill('SIGTERM');
      // A tool that ignores SIGTERM is killed outright.
      setTimeout(() => kill('SIGKILL'), 2000).unref();
    };
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), o.timeoutMs);
    const onAbort = () => stop('aborted');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    const outMask = new StreamRedactor(() => redactor);
    const errMask = new StreamRedactor(() => redactor);
    child.stdout.on('data', (b: Buffer) => o.stdout(outMask.push(b)));
    child.stderr.on('data', (b: Buffer) => o.stderr(errMask.push(b)));
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new SophonError('not_found', `Cannot start the tool's command "${program}" (${(err as NodeJS.ErrnoException).code ?? 'error'}).`)));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)));
    }).finally(() => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    });
    o.stdout(outMask.end());
    o.stderr(errMask.end());
    core.audit.record({
      userId: o.userId,
      action: 'use',
      outcome: exitCode === 0 ? 'ok' : 'failed',
      skill: manifest.id,
      tool: tool.name,
      detail: `skill run: ${o.grants.map((g) => `${g.record.id} (${g.credential.access})`).join(', ') || 'no credentials'}; exit ${exitCode}${stopped ? ` (stopped: ${stopped === 'timeout' ? `over ${Math.round(o.timeoutMs! / 1000)} s` : 'cancelled'})` : ''}`,
    });
    return { exitCode, envNames: Object.keys(env).sort(), brokerUrl: proxy?.url ?? null, ...(stopped ? { stopped } : {}) };
  } finally {
    if (token) tokens?.revokeToken(token);
    await proxy?.close();
    broker?.close();
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal];
}
