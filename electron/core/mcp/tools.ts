import { randomUUID } from 'node:crypto';
import type { CallToolResult, ElicitResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Broker, BrokerTokens } from '../broker';
import { mintBrokerToken } from '../broker/mint';
import { BrokerRefusal, checkTarget } from '../broker/request-guard';
import { expandTemplate, joinUrl } from '../catalog/templates';
import type { ServiceDefinition } from '../catalog/schema';
import type { ConnectionRecord } from '../connections/connection-store';
import { withArticle } from '../../../shared/auth-names';
import { isSophonError } from '../errors';
import type { Core } from '../sophon-core';
import { chooseGrants, MissingConnection, planCredentials, type ChosenGrant } from '../skills/plan';
import { runSkill, type StartProxy } from '../skills/run';
import type { AgentPolicy } from './agent-store';
import { stepCommand, stepLink, stepMessage, stepRoute, type PersonStep } from './person-steps';
import { pollUntil } from './run-questions';
import { appRunsFor, appShows, askStepInApp } from './step-desk';
import { askThroughStore, type StoreAnswer } from './store-questions';
import type { ApprovalOutcome, ApprovalQuestion } from './approval-queue';
import { installedSkillTools, type SkillTool } from './skill-tools';

export interface ToolContext {
  agent: AgentPolicy;
  /** Whether the client declared form-mode elicitation (it can ask the person to approve a write). */
  canAskForm: boolean;
  ask(message: string): Promise<ElicitResult>;
  /** Whether the client declared URL-mode elicitation (it can send the person to the dashboard's page). */
  canAskUrl: boolean;
  /** URL-mode elicitation: resolves with the person's consent to open `url`, not with the step done. */
  askUrl(message: string, url: string, elicitationId: string): Promise<ElicitResult>;
  /** `notifications/elicitation/complete` for an accepted URL elicitation whose step is done. */
  completed(elicitationId: string): Promise<void>;
  /** Aborted when the client cancels the call or goes away: a running skill tool is stopped, a wait for the person ends. */
  signal?: AbortSignal;
  /** `notifications/progress` for this call, when the client asked for progress (keeps its request timeout from firing while the person works). */
  progress?: (message: string) => Promise<void>;
  /**
   * For a client that cannot elicit: asks the person in the desktop app or dashboard (`unattended` when no
   * window of theirs is open, and the call is refused as before).
   */
  askInApp?(question: ApprovalQuestion): Promise<ApprovalOutcome>;
}

/** A call's context inside McpTools: what Sophon did for the call out of the client's sight (asked the person in the app) is said in its result too. */
type CallContext = ToolContext & { notes: string[] };

type ElicitAudit = (outcome: 'ok' | 'denied' | 'aborted', detail: string) => void;

/** How often a call waiting for the person tells the client it is still waiting. */
const PROGRESS_EVERY_MS = 15_000;

export interface ToolDeps {
  core: Core;
  broker: Broker;
  tokens: BrokerTokens;
  userId: string;
  tokenTtlSeconds: number;
  /** Sophon.Broker.MaxRequestBytes: the proxy's cap on a request body, held here too. */
  maxRequestBytes: number;
  /** Starts the loopback proxy a proxied skill tool calls through (a door's; core starts no server). */
  startProxy: StartProxy;
  /** Sophon.Mcp.PersonWaitSeconds: how long a call waits for the person after a URL elicitation. */
  personWaitMs: number;
  /** How often the store is read while waiting for the person (default 500 ms). */
  personPollMs?: number;
  /** Sophon.Mcp.SkillTimeoutSeconds: a skill tool still running after it is stopped. */
  skillTimeoutMs: number;
}

/** What the model gets of an answer body as text; the rest is cut with a note (it can ask for less with query/path). */
export const MAX_BODY_CHARS = 32_768;

const READS = new Set(['GET', 'HEAD']);

const HttpRequestArgs = z
  .object({
    connection: z.string().min(1).max(200).optional(),
    service: z.string().min(1).max(100).optional(),
    method: z
      .string()
      .regex(/^[A-Za-z]{1,10}$/, 'an HTTP method such as GET or POST')
      .default('GET')
      .transform((m) => m.toUpperCase()),
    path: z.string().min(1).max(4096),
    query: z.record(z.string().max(200), z.union([z.string().max(4096), z.number(), z.boolean()])).optional(),
    headers: z.record(z.string().max(200), z.string().max(8192)).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  })
  .strict()
  .refine((a) => a.connection !== undefined || a.service !== undefined, { message: 'name the connection (an id from list_connections) or the service', path: ['connection'] });

const ConnectionOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    service: { type: 'string' },
    serviceName: { type: 'string' },
    label: { type: 'string' },
    account: { type: ['string', 'null'] },
    state: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
  },
  required: ['id', 'service', 'label', 'state', 'scopes'],
} as const;

/** The tools this agent sees; http_request's description names the connections it may use, so the model picks the right one. */
export async function TOOL_DEFINITIONS(core: Core, userId: string, agent: AgentPolicy): Promise<Tool[]> {
  const usable = usableConnections(core, userId, agent);
  const names = await serviceNames(core, usable);
  const listed = usable
    .slice(0, 30)
    .map((c) => `- ${c.id}: ${names.get(c.serviceId) ?? c.serviceId}, "${c.label}"${c.account ? ` (${c.account})` : ''}${c.state === 'active' ? '' : ` [${c.state}]`}`)
    .join('\n');
  const writes = { allow: 'Writes (methods other than GET/HEAD) are allowed.', ask: 'Writes (methods other than GET/HEAD) ask the person for approval first.', deny: 'Writes (methods other than GET/HEAD) are refused.' }[agent.writes];
  return [
    {
      name: 'list_connections',
      title: 'List connections',
      description: "The person's service connections you may call with http_request: id, service, label, account, state, scopes. Never a secret.",
      inputSchema: { type: 'object', properties: {}, additionalProperties: false },
      outputSchema: { type: 'object', properties: { connections: { type: 'array', items: ConnectionOut } }, required: ['connections'] },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: 'http_request',
      title: 'Call a service API',
      description: [
        "Calls a connected service's HTTP API with the person's credential, which Sophon attaches; you never see it (do not send one).",
        'path is relative to the service\'s API base URL (e.g. "/user"); absolute URLs and other hosts are refused. A JSON body may be given as an object.',
        writes,
        usable.length ? `Connections you may use:\n${listed}` : 'No connection is usable yet: the person adds one with `sophon connect add <service>`.',
      ].join('\n'),
      inputSchema: {
        type: 'object',
        properties: {
          connection: { type: 'string', description: 'a connection id (or label) from list_connections' },
          service: { type: 'string', description: 'a service id, when the person has exactly one connection of it' },
          method: { type: 'string', description: 'HTTP method (default GET)' },
          path: { type: 'string', description: 'path under the service API base URL, starting with /' },
          query: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'extra request headers (authentication headers are Sophon\'s and are dropped)' },
          body: { description: 'request body: a string, or JSON (object or array)' },
        },
        required: ['path'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: {
          connection: { type: 'string' },
          status: { type: 'number' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { type: 'string' },
          bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] },
          bodyBytes: { type: 'number' },
          truncated: { type: 'boolean' },
        },
        required: ['connection', 'status', 'headers', 'body', 'bodyEncoding', 'bodyBytes', 'truncated'],
      },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    ...(await installedSkillTools(core.paths.home)).map((t) => t.definition),
  ];
}

async function serviceNames(core: Core, records: ConnectionRecord[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(records.map((r) => r.serviceId))) {
    // A service gone from the catalog keeps its id as its name.
    names.set(id, await core.connections.service(id).then((s) => s.name, () => id));
  }
  return names;
}

/** Connections the agent's policy lets it use (pending ones never). */
function usableConnections(core: Core, userId: string, agent: AgentPolicy): ConnectionRecord[] {
  const all = core.connections.records(userId);
  return agent.connections === null ? all : all.filter((c) => agent.connections!.includes(c.id));
}

/** A refusal the model can relay: says what happened and what the person can do. */
class ToolRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly connection?: ConnectionRecord,
    readonly outcome: 'denied' | 'failed' = 'denied',
    /** What the person could do so that the call can go on (sent to them by URL elicitation when the client can). */
    readonly step?: PersonStep,
  ) {
    super(message);
  }
}

export class McpTools {
  private readonly minted = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly deps: ToolDeps) {}

  async call(name: string, args: unknown, toolCtx: ToolContext): Promise<CallToolResult> {
    const { core, userId } = this.deps;
    const ctx: CallContext = { ...toolCtx, notes: [] };
    const notes = () => ctx.notes.map((text) => ({ type: 'text' as const, text }));
    const audit = (outcome: 'ok' | 'failed' | 'denied', detail: string, record?: ConnectionRecord) =>
      core.audit.record({ userId, action: 'mcp_call', outcome, skill: ctx.agent.agent, tool: name.slice(0, 64), connectionId: record?.id ?? null, serviceId: record?.serviceId ?? null, detail: detail.slice(0, 500) });
    try {
      if (name === 'list_connections') {
        const connections = await this.listConnections(ctx.agent);
        audit('ok', `${connections.length} connection(s)`);
        const text = connections.length ? connections.map((c) => `${c.id}  ${c.serviceName}  "${c.label}"${c.account ? `  ${c.account}` : ''}  ${c.state}`).join('\n') : 'No connections. The person adds one with `sophon connect add <service>`.';
        return { content: [{ type: 'text', text }], structuredContent: { connections } };
      }
      if (name === 'http_request') {
        const result = await this.httpRequest(args, ctx);
        audit(result.status < 400 ? 'ok' : 'failed', `${result.method} ${result.path} → ${result.status}`, result.record);
        const { record: _record, method: _method, path: _path, ...structured } = result;
        return { content: [{ type: 'text', text: render(structured) }, ...notes()], structuredContent: structured };
      }
      const skillTool = (await installedSkillTools(core.paths.home)).find((t) => t.name === name);
      if (skillTool) {
        const result = await this.runSkillTool(skillTool, args, ctx);
        audit(result.exitCode === 0 ? 'ok' : 'failed', `exit ${result.exitCode}`, result.record);
        const { record: _record, ...structured } = result;
        const shown = [result.stdout.slice(0, 4000), result.exitCode !== 0 && result.stderr ? `stderr:\n${result.stderr.slice(0, 2000)}` : '', result.truncated ? '[output truncated]' : ''].filter(Boolean).join('\n');
        return { ...(result.exitCode !== 0 ? { isError: true } : {}), content: [{ type: 'text', text: `exit ${result.exitCode}\n${shown}` }, ...notes()], structuredContent: structured };
      }
      throw new ToolRefusal('unknown_tool', `Sophon has no tool "${name.slice(0, 64)}"; see tools/list (list_connections, http_request, and one per installed skill tool).`);
    } catch (err) {
      const { code, message, record, outcome } = describe(err);
      audit(outcome, `${code}: ${message}`, record);
      return { isError: true, content: [{ type: 'text', text: `${message} (${code})` }] };
    }
  }

  private async listConnections(agent: AgentPolicy) {
    const usable = usableConnections(this.deps.core, this.deps.userId, agent);
    const names = await serviceNames(this.deps.core, usable);
    return usable.map((c) => ({ id: c.id, service: c.serviceId, serviceName: names.get(c.serviceId) ?? c.serviceId, label: c.label, account: c.account, state: c.state, scopes: c.scopes }));
  }

  private async httpRequest(raw: unknown, ctx: CallContext) {
    const parsed = HttpRequestArgs.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ToolRefusal('invalid_arguments', `http_request: ${issue.path.join('.') || 'arguments'}: ${issue.message}.`);
    }
    const args = parsed.data;
    let record = await this.resolveConnection(args.connection, args.service, ctx);
    const service = await this.deps.core.connections.service(record.serviceId);
    // A hostile path (another host, traversal) is refused before the person is asked about it; the broker checks again.
    const target = checkTarget(targetOf(args.path, args.query));
    const url = new URL(joinUrl(expandTemplate(service.apiBaseUrl, { fields: record.fields }), target));

    const headers: Record<string, string> = { ...(args.headers ?? {}) };
    let body: Buffer | undefined;
    if (typeof args.body === 'string') body = Buffer.from(args.body);
    else if (args.body !== undefined) {
      body = Buffer.from(JSON.stringify(args.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    if (body && body.length > this.deps.maxRequestBytes) {
      throw new ToolRefusal('body_too_large', `The request body is larger than ${this.deps.maxRequestBytes} bytes (Sophon.Broker.MaxRequestBytes); nothing was sent.`, record);
    }
    if (!READS.has(args.method)) await this.approve(ctx, record, args.method, url, args.body);
    const send = (r: ConnectionRecord) => this.deps.broker.execute({ token: this.tokenFor(ctx.agent.agent, r, service), connection: r.id, method: args.method, target, headers, body });
    let answer;
    try {
      answer = await send(record);
    } catch (err) {
      // The credential stopped working during the session (a refused refresh): the person signs in again, then the call is sent once more.
      if (!(err instanceof BrokerRefusal) || err.code !== 'connection_needs_reauth') throw err;
      const now = this.deps.core.connections.records(this.deps.userId).find((c) => c.id === record.id) ?? record;
      await this.personStep(ctx, reauthRefusal(now));
      record = this.deps.core.connections.records(this.deps.userId).find((c) => c.id === record.id) ?? record;
      answer = await send(record);
    }
    const text = answer.body.toString('utf8');
    const binary = text.includes('\uFFFD') && !Buffer.from(text).equals(answer.body);
    const full = binary ? answer.body.toString('base64') : text;
    const truncated = full.length > MAX_BODY_CHARS;
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.headers)) outHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    return {
      record,
      method: args.method,
      path: args.path.slice(0, 160),
      connection: record.id,
      status: answer.status,
      headers: outHeaders,
      body: truncated ? full.slice(0, MAX_BODY_CHARS) : full,
      bodyEncoding: binary ? ('base64' as const) : ('utf8' as const),
      bodyBytes: answer.body.length,
      truncated,
    };
  }

  /**
   * The session's broker token for this agent and connection (minted, and audited, on first use and again
   * shortly before it expires). It never leaves this process: the broker checks it like any skill's token.
   */
  private tokenFor(agent: string, record: ConnectionRecord, service: ServiceDefinition): string {
    const key = `${agent}\0${record.id}`;
    const held = this.minted.get(key);
    if (held && held.expiresAt - Date.now() > 10_000) return held.token;
    const { token, binding } = mintBrokerToken(this.deps.tokens, this.deps.core.audit, {
      userId: this.deps.userId,
      skill: agent,
      tool: 'http_request',
      grants: [{ record, service, scopes: [] }],
      ttlSeconds: this.deps.tokenTtlSeconds,
    });
    this.minted.set(key, { token, expiresAt: binding.expiresAt });
    return token;
  }

  /** The one connection the call names, within the agent's policy; never a guess between several. */
  private pick(connection: string | undefined, service: string | undefined, agent: AgentPolicy): ConnectionRecord {
    const { core, userId } = this.deps;
    const all = core.connections.records(userId);
    const allowed = usableConnections(core, userId, agent);
    const policyHint = (id: string) => `\`sophon mcp policy ${agent.agent} --connections ${[...(agent.connections ?? []), id].join(',')}\``;
    if (connection !== undefined) {
      const lower = connection.toLowerCase();
      const matching = (list: ConnectionRecord[]) => {
        const byId = list.filter((c) => c.id === connection);
        return byId.length ? byId : list.filter((c) => c.label.toLowerCase() === lower);
      };
      const found = matching(allowed);
      if (found.length === 1) return found[0]!;
      if (found.length > 1) throw ambiguous(connection, found);
      const hidden = matching(all);
      if (hidden.length) throw new ToolRefusal('connection_not_allowed', `The agent ${agent.agent} may not use ${hidden[0]!.id}. The person can allow it: ${policyHint(hidden[0]!.id)}.`);
      throw new ToolRefusal('connection_not_found', `No connection "${connection.slice(0, 100)}". Call list_connections for the ones you may use; the person adds one with \`sophon connect add <service>\`.`);
    }
    const sid = service!.toLowerCase();
    const found = allowed.filter((c) => c.serviceId === sid);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw ambiguous(sid, found, { kind: 'pick', serviceId: sid, serviceName: sid, options: found });
    const hidden = all.filter((c) => c.serviceId === sid);
    if (hidden.length === 1) throw new ToolRefusal('connection_not_allowed', `The agent ${agent.agent} may not use ${hidden[0]!.id}. The person can allow it: ${policyHint(hidden[0]!.id)}.`);
    if (hidden.length > 1) throw new ToolRefusal('connection_not_allowed', `The agent ${agent.agent} may use none of the ${sid} connections (${hidden.map((c) => c.id).join(', ')}). The person can allow one with \`sophon mcp policy ${agent.agent} --connections <id>\`.`);
    throw new ToolRefusal('connection_not_found', `The person has no ${sid.slice(0, 100)} connection. They can add one: \`sophon connect add ${sid.slice(0, 100)}\`. Then call again.`, undefined, 'denied', { kind: 'add', serviceId: sid, serviceName: sid });
  }

  /**
   * The connection a call names, after the person did what it needs (added it, signed in again, picked one) when
   * the client can send them to the dashboard; otherwise the refusal says what to do.
   */
  private async resolveConnection(connection: string | undefined, service: string | undefined, ctx: CallContext): Promise<ConnectionRecord> {
    for (let attempt = 0; ; attempt++) {
      let record: ConnectionRecord;
      try {
        record = this.pick(connection, service, ctx.agent);
      } catch (err) {
        // One step per call: a second refusal (the person added a connection the policy does not allow) is the answer.
        if (!(err instanceof ToolRefusal) || !err.step || attempt > 0) throw err;
        const picked = await this.personStep(ctx, err);
        if (picked) return picked;
        continue;
      }
      if (record.state !== 'needs_reauth') return record;
      if (attempt > 0) throw reauthRefusal(record);
      await this.personStep(ctx, reauthRefusal(record));
    }
  }

  /**
   * Puts `refusal.step` to the person and waits, bounded and cancellable, until the store shows it done: a
   * connection that satisfies it exists (`done`, by default one of the step's service), the connection is signed in
   * again, or the person picked one (returned). Where, in this order: the running dashboard's page when the client
   * can open URLs (URL-mode elicitation); the desktop app's window when the app runs for this user; otherwise the
   * refusal is the answer, with the link when there is one. The MCP process learns of the step from the store alone
   * (sophon.db rows; the pick's answer file), so it works whichever process the person used.
   */
  private async personStep(ctx: CallContext, refusal: ToolRefusal, tool = 'http_request', done?: () => Promise<boolean>): Promise<ConnectionRecord | null> {
    const step = await this.named(refusal.step!);
    const { core, userId } = this.deps;
    const home = core.paths.home;
    const link = await stepLink(home, step);
    const isDone = done ?? (async () => this.stepDone(step));
    if (!(link && ctx.canAskUrl) && (step.kind === 'pick' || appShows(stepRoute(step))) && (await appRunsFor(home, userId))) return this.stepInApp(ctx, refusal, step, tool, isDone);
    const how = step.kind === 'pick' ? 'Ask the person which one, then name it with "connection"' : link ? `Open ${link} (Sophon's dashboard, where the person is signed in), or run ${stepCommand(step)}` : `Run ${stepCommand(step)}, or open its page in \`sophon dashboard\``;
    if (!link || (step.kind === 'pick' && !ctx.canAskUrl)) {
      // Nobody is asked in a dashboard unless this call can send the person there: the model asks them itself.
      throw new ToolRefusal(refusal.code, `${refusal.message} (With the Sophon app${ctx.canAskUrl ? ' or `sophon dashboard`' : ''} running, Sophon asks the person there instead.)`, refusal.connection);
    }
    if (!ctx.canAskUrl) {
      throw new ToolRefusal(refusal.code, `${refusal.message.replace(/ Then call again\.$/, '')} Or open ${link} (Sophon's dashboard, where the person is signed in). Then call again.`, refusal.connection);
    }
    const elicitationId = randomUUID();
    const waitMs = this.deps.personWaitMs;
    const audit = this.elicitAudit(ctx, step, refusal);
    // A pick is put to the dashboard before the person is sent there, so the question is waiting when they arrive.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const picking = step.kind === 'pick' ? this.askPick(ctx, step, tool, stop.signal, elicitationId) : null;
    // Awaited below; a failure to write the question must not be an unhandled rejection while the client answers.
    picking?.catch(() => undefined);
    let waiting: (() => void) | undefined;
    try {
      let answer: ElicitResult;
      try {
        answer = await ctx.askUrl(stepMessage(ctx.agent.agent, step), link, elicitationId);
      } catch {
        audit('aborted', `${step.kind}: the client did not answer the elicitation`);
        throw new ToolRefusal('elicitation_failed', `The MCP client did not show the person Sophon's link. ${how}. Then call again.`, refusal.connection);
      }
      if (answer.action !== 'accept') {
        audit('denied', `${step.kind}: ${answer.action === 'decline' ? 'declined' : 'cancelled'} by the person`);
        throw new ToolRefusal(
          answer.action === 'decline' ? 'person_declined' : 'person_cancelled',
          `The person ${answer.action === 'decline' ? 'declined' : 'cancelled'} opening Sophon's page (${refusal.code}); nothing was sent. ${how}. Then call again.`,
          refusal.connection,
        );
      }
      waiting = this.keepTelling(ctx);
      const picked = await this.settled(step, picking ? await picking : await this.waitForStore(isDone, waitMs, stop.signal), audit, refusal, how, 'done by the person');
      // The client may close its "waiting for you" view; a client gone meanwhile is no reason to fail the call.
      await ctx.completed(elicitationId).catch(() => undefined);
      return picked;
    } finally {
      waiting?.();
      ctx.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await picking?.catch(() => undefined);
    }
  }

  /**
   * The step in the desktop app's window (no dashboard link this client can open, and the app runs for this user):
   * an add or re-auth step opens the window at its page (step-desk.ts), a pick is asked by the app's dialog
   * (run/mcp-questions, as for the dashboard). The model is told where the person was asked, by progress while it
   * waits and in the result.
   */
  private async stepInApp(ctx: CallContext, refusal: ToolRefusal, step: PersonStep, tool: string, done: () => Promise<boolean>): Promise<ConnectionRecord | null> {
    const { core, userId } = this.deps;
    const told = `Sophon asked the person in the Sophon app: ${stepMessage(ctx.agent.agent, step, 'app')}`;
    const how = step.kind === 'pick' ? 'Ask the person which one, then name it with "connection"' : `They were asked in the Sophon app; they can still do it there, or run ${stepCommand(step)}`;
    const audit = this.elicitAudit(ctx, step, refusal);
    await ctx.progress?.(told).catch(() => undefined);
    const waiting = this.keepTelling(ctx);
    try {
      const signal = ctx.signal ?? new AbortController().signal;
      const outcome =
        step.kind === 'pick'
          ? await this.askPick(ctx, step, tool, signal)
          : await askStepInApp(core.paths.home, userId, { kind: step.kind, route: stepRoute(step) }, done, { timeoutMs: this.deps.personWaitMs, pollMs: this.deps.personPollMs ?? 500, signal });
      const picked = await this.settled(step, outcome, audit, refusal, how, 'done by the person in the app');
      const did = step.kind === 'add' ? `added ${withArticle(step.serviceName)} connection` : step.kind === 'reauth' ? `signed in to ${step.record.id} again` : `picked ${picked?.id ?? 'a connection'}`;
      ctx.notes.push(`Sophon asked the person in the Sophon app; they ${did}, and the call went on.`);
      return picked;
    } finally {
      waiting();
    }
  }

  /** "Which connection?" through run/mcp-questions, answered in a dashboard's or the app's dialog. */
  private askPick(ctx: ToolContext, step: Extract<PersonStep, { kind: 'pick' }>, tool: string, signal: AbortSignal, id?: string) {
    const question = { skill: ctx.agent.agent, tool, serviceId: step.serviceId, serviceName: step.serviceName, options: step.options.map((o) => ({ id: o.id, label: o.label, account: o.account, state: o.state === 'pending' ? ('error' as const) : o.state })) };
    return askThroughStore(this.deps.core.paths.home, this.deps.userId, question, { id, timeoutMs: this.deps.personWaitMs, signal, pollMs: this.deps.personPollMs });
  }

  /** The step's end: the picked connection (null for add and re-auth) once done, audited; a refusal otherwise. */
  private async settled(step: PersonStep, outcome: StoreAnswer | 'done' | 'timeout' | 'aborted', audit: ElicitAudit, refusal: ToolRefusal, how: string, doneBy: string): Promise<ConnectionRecord | null> {
    const kind = typeof outcome === 'string' ? outcome : outcome.kind;
    if (kind === 'cancelled' || kind === 'aborted' || kind === 'timeout') return this.gaveUp(audit, step, kind, refusal, how);
    audit('ok', `${step.kind}: ${doneBy}`);
    return typeof outcome === 'object' && outcome.kind === 'picked' && step.kind === 'pick' ? (step.options.find((o) => o.id === outcome.connectionId) ?? null) : null;
  }

  private elicitAudit(ctx: ToolContext, step: PersonStep, refusal: ToolRefusal): ElicitAudit {
    const { core, userId } = this.deps;
    return (outcome, detail) =>
      core.audit.record({ userId, action: 'mcp_elicit', outcome, skill: ctx.agent.agent, tool: step.kind, connectionId: refusal.connection?.id ?? null, serviceId: step.kind === 'reauth' ? step.record.serviceId : step.serviceId, detail: detail.slice(0, 500) });
  }

  /** While the person works: `notifications/progress` every 15 s when the client asked for progress; returns the stop. */
  private keepTelling(ctx: ToolContext): () => void {
    const progress = ctx.progress;
    if (!progress) return () => undefined;
    const started = Date.now();
    const waitMs = this.deps.personWaitMs;
    const ticking = setInterval(() => void progress(`Waiting for the person (${Math.round((Date.now() - started) / 1000)} s of at most ${Math.round(waitMs / 1000)} s)`).catch(() => undefined), PROGRESS_EVERY_MS);
    return () => clearInterval(ticking);
  }

  private gaveUp(audit: ElicitAudit, step: PersonStep, why: 'cancelled' | 'aborted' | 'timeout', refusal: ToolRefusal, how: string): never {
    audit(why === 'cancelled' ? 'denied' : 'aborted', `${step.kind}: ${why}`);
    if (why === 'cancelled') throw new ToolRefusal('person_cancelled', `The person cancelled the choice of a connection; nothing was sent.`, refusal.connection);
    if (why === 'aborted') throw new ToolRefusal('person_aborted', `The call was cancelled while Sophon waited for the person; nothing was sent.`, refusal.connection);
    throw new ToolRefusal('person_timeout', `The person did not finish in ${Math.round(this.deps.personWaitMs / 1000)} s (Sophon.Mcp.PersonWaitSeconds); nothing was sent. ${how}. Then call again.`, refusal.connection);
  }

  /** Whether the store shows the step done (any process's change shows in sophon.db). */
  private stepDone(step: PersonStep): boolean {
    const records = this.deps.core.connections.records(this.deps.userId);
    if (step.kind === 'add') return records.some((c) => c.serviceId === step.serviceId && c.state !== 'needs_reauth');
    if (step.kind === 'reauth') return records.some((c) => c.id === step.record.id && c.state !== 'needs_reauth');
    return true;
  }

  /** Polls the store until `done`, the wait ends, or the call is cancelled. */
  private async waitForStore(done: () => Promise<boolean>, waitMs: number, signal: AbortSignal): Promise<'done' | 'timeout' | 'aborted'> {
    return pollUntil(async () => ((await done()) ? ('done' as const) : null), { deadline: Date.now() + waitMs, pollMs: this.deps.personPollMs ?? 500, signal });
  }

  /**
   * Whether the person now has a connection the skill's planner would take for the add step's service: the
   * planner's own candidates (a service of the same family counts, e.g. `github-pat` for `github`).
   */
  private async satisfiesSkill(manifest: SkillTool['skill']['manifest'], step: PersonStep): Promise<boolean> {
    if (step.kind !== 'add') return false;
    const plans = await planCredentials(this.deps.core, this.deps.userId, manifest);
    return plans.some((p) => p.credential.service === step.serviceId && p.candidates.some((c) => c.state !== 'needs_reauth'));
  }

  /** The step with the service's name as the catalog has it (the person reads it). */
  private async named(step: PersonStep): Promise<PersonStep> {
    if (step.kind === 'reauth') return step;
    const name = await this.deps.core.connections.service(step.serviceId).then((s) => s.name, () => step.serviceId);
    return { ...step, serviceName: name };
  }

  /** A write the policy does not allow outright: refused, or asked of the person. Every decision is audited. */
  private approve(ctx: ToolContext, record: ConnectionRecord, method: string, url: URL, body: unknown): Promise<void> {
    return this.decide(ctx, {
      tool: 'http_request',
      record,
      what: `${method} ${url.host}${url.pathname.slice(0, 160)}`,
      subject: method,
      call: `the ${method} call`,
      changes: `${method} changes things`,
      nothing: 'nothing was sent',
      question: `${ctx.agent.agent} asks Sophon to make a write call with your ${record.serviceId} connection "${record.label}" (${record.id}):\n${method} ${url.origin}${url.pathname.slice(0, 300)}${url.search ? ' (with a query)' : ''}\nBody: ${summarise(body)}\nAllow this call?`,
      inApp: { method, host: url.host, path: url.pathname.slice(0, 300), hasQuery: url.search !== '', body: summarise(body) },
    });
  }

  private async decide(
    ctx: ToolContext,
    d: { tool: string; record: ConnectionRecord | undefined; what: string; subject: string; call: string; changes: string; nothing: string; question: string; inApp: Pick<ApprovalQuestion, 'method' | 'host' | 'path' | 'hasQuery' | 'body'> },
  ): Promise<void> {
    const { core, userId } = this.deps;
    const { record } = d;
    const agent = ctx.agent.agent;
    const decided = (outcome: 'ok' | 'denied' | 'aborted', how: string) =>
      core.audit.record({ userId, action: 'mcp_approval', outcome, skill: agent, tool: d.tool.slice(0, 64), connectionId: record?.id ?? null, serviceId: record?.serviceId ?? null, detail: `${how}: ${d.what}`.slice(0, 500) });
    if (ctx.agent.writes === 'allow') return decided('ok', 'allowed by policy');
    if (ctx.agent.writes === 'deny') {
      decided('denied', 'denied by policy');
      throw new ToolRefusal('write_denied', `The agent ${agent}'s policy refuses writes (${d.subject}). The person can change it: \`sophon mcp policy ${agent} --writes ask\` (or allow).`, record);
    }
    if (!ctx.canAskForm && ctx.askInApp) {
      const outcome = await ctx.askInApp({
        agent,
        tool: d.tool.slice(0, 64),
        summary: d.what,
        connection: record ? { id: record.id, label: record.label, serviceId: record.serviceId } : null,
        ...d.inApp,
      });
      if (outcome === 'approved') return decided('ok', 'approved by the person in the app');
      if (outcome === 'declined') {
        decided('denied', 'declined by the person in the app');
        throw new ToolRefusal('write_declined', `The person declined ${d.call} in the Sophon app; ${d.nothing}.`, record);
      }
      if (outcome === 'timeout' || outcome === 'aborted') {
        decided('aborted', outcome === 'timeout' ? 'approval in the app not answered in time' : 'approval in the app abandoned (the call was cancelled)');
        throw new ToolRefusal('approval_timeout', `The person did not answer the approval of ${d.subject} in the Sophon app in time; ${d.nothing}.`, record);
      }
      // unattended: no window of theirs is open to ask; refused as for a client that cannot ask.
    }
    if (!ctx.canAskForm) {
      decided('denied', 'needs approval; the client cannot ask (no elicitation) and no Sophon window is open');
      throw new ToolRefusal(
        'approval_unavailable',
        `${d.changes} and the agent ${agent}'s policy says the person must approve writes, but this MCP client cannot ask them (it has no elicitation) and no Sophon app or dashboard window is open to ask in. The person can open one (\`sophon dashboard --open\`) and call again, or allow writes for this agent: \`sophon mcp policy ${agent} --writes allow\`.`,
        record,
      );
    }
    let answer: ElicitResult;
    try {
      answer = await ctx.ask(d.question);
    } catch {
      decided('aborted', 'approval not answered (timeout or client error)');
      throw new ToolRefusal('approval_timeout', `The person did not answer the approval of ${d.subject} in time; ${d.nothing}.`, record);
    }
    if (answer.action === 'accept') return decided('ok', 'approved by the person');
    decided('denied', answer.action === 'decline' ? 'declined by the person' : 'approval cancelled');
    throw new ToolRefusal(answer.action === 'decline' ? 'write_declined' : 'write_cancelled', `The person ${answer.action === 'decline' ? 'declined' : 'cancelled'} ${d.call}; ${d.nothing}.`, record);
  }

  /**
   * An installed skill's tool, run as `sophon skill run` runs it (its broker token or injected credential,
   * a minimal environment, every secret masked in its output), with the connections the agent may use.
   * A skill that could change things (anything but proxied GET/HEAD) goes through the agent's write policy.
   */
  private async runSkillTool(t: SkillTool, raw: unknown, ctx: CallContext) {
    const { core, userId } = this.deps;
    const checked = t.check(raw ?? {});
    if (!checked.valid) throw new ToolRefusal('invalid_arguments', `${t.name}: ${checked.errorMessage.slice(0, 300)}.`);
    const input = checked.data;
    const m = t.skill.manifest;
    const agent = ctx.agent.agent;
    const usable = () => new Set(usableConnections(core, userId, ctx.agent).map((c) => c.id));
    // Read again after each step: a connection the person just added is usable if the policy allows it.
    let allowed = usable();
    // What the person picked for this call, kept when the grants are chosen again after another step.
    const picked = new Map<string, string>();
    const choose = () =>
      chooseGrants(core, userId, m, t.tool.name, {
        connections: [],
        // Several connections fit: the agent's policy may narrow them to one; otherwise the person decides, never a guess.
        pick: async (plan) => {
          const mine = plan.candidates.filter((c) => allowed.has(c.id));
          if (mine.length === 1) return mine[0]!;
          const again = mine.find((c) => c.id === picked.get(plan.credential.service));
          if (again) return again;
          const list = (mine.length ? mine : plan.candidates).map((c) => `${c.id} ("${c.label}")`).join(', ');
          throw new ToolRefusal(
            'connection_ambiguous',
            `${t.name} needs one ${plan.credential.service} connection and several fit: ${list}. The person picks the one for this agent: \`sophon mcp policy ${agent} --connections <id>\`.`,
            undefined,
            'denied',
            mine.length > 1 ? { kind: 'pick', serviceId: plan.credential.service, serviceName: plan.service?.name ?? plan.credential.service, options: mine } : undefined,
          );
        },
      });
    // Each refusal the person can fix (add a connection, sign in again, pick one) is put to them as for http_request,
    // then the grants are chosen again; each step once per call: the same refusal twice is the answer.
    const stepsDone = new Set<string>();
    let grants: ChosenGrant[];
    for (;;) {
      let refusal: ToolRefusal;
      try {
        const chosen = await choose();
        const stale = chosen.find((g) => allowed.has(g.record.id) && g.record.state === 'needs_reauth');
        if (!stale) {
          grants = chosen;
          break;
        }
        refusal = reauthRefusal(stale.record);
      } catch (err) {
        if (err instanceof MissingConnection) refusal = addRefusal(err, t.name);
        else if (err instanceof ToolRefusal) refusal = err;
        else throw err;
      }
      const key = refusal.step && stepKey(refusal.step);
      if (!key || stepsDone.has(key)) throw refusal;
      stepsDone.add(key);
      const chosen = await this.personStep(ctx, refusal, t.name, refusal.step!.kind === 'add' ? () => this.satisfiesSkill(m, refusal.step!) : undefined);
      if (refusal.step!.kind === 'pick') {
        if (!chosen) throw refusal;
        picked.set(refusal.step!.serviceId, chosen.id);
      }
      allowed = usable();
    }
    for (const g of grants) {
      if (!allowed.has(g.record.id)) throw new ToolRefusal('connection_not_allowed', `The agent ${agent} may not use ${g.record.id}, which ${t.name} needs. The person can allow it: \`sophon mcp policy ${agent} --connections ${[...(ctx.agent.connections ?? []), g.record.id].join(',')}\`.`, g.record);
      if (g.record.state === 'needs_reauth') throw new ToolRefusal('needs_reauth', `The connection ${g.record.id} needs the person to sign in again: \`sophon connect reauth ${g.record.id}\`. Then call again.`, g.record);
    }
    const args = t.tool.inputSchema ? [] : ((input.args as string[] | undefined) ?? []);
    if (!t.readOnly) {
      const uses = grants.map((g) => `${g.record.serviceId} "${g.record.label}" (${g.record.id}, ${g.credential.access === 'proxy' ? 'through the broker' : 'credential in its environment'})`).join(', ') || 'no connection';
      await this.decide(ctx, {
        tool: t.name,
        record: grants[0]?.record,
        what: `run ${t.name}`,
        subject: t.name,
        call: `the run of ${t.name}`,
        changes: `${t.name} may change things`,
        nothing: 'nothing was run',
        question: `${agent} asks Sophon to run the tool "${t.tool.name}" of the skill ${m.name} (${m.id}), which may change things.\nIt uses: ${uses}.\nInput: ${t.tool.inputSchema ? summarise(input) : `${args.length} argument(s)`}\nAllow this run?`,
        inApp: { method: null, host: null, path: null, hasQuery: false, body: `uses ${uses}; input: ${t.tool.inputSchema ? summarise(input) : `${args.length} argument(s)`}`.slice(0, 1000) },
      });
    }
    const stdout = new CappedText(MAX_BODY_CHARS);
    const stderr = new CappedText(MAX_BODY_CHARS / 4);
    const result = await runSkill(core, {
      userId,
      skill: t.skill,
      tool: t.tool.name,
      args,
      input: t.tool.inputSchema ? JSON.stringify(input) : undefined,
      grants,
      env: process.env,
      stdout: (b) => stdout.push(b),
      stderr: (b) => stderr.push(b),
      startProxy: this.deps.startProxy,
      timeoutMs: this.deps.skillTimeoutMs,
      signal: ctx.signal,
    });
    if (result.stopped === 'timeout') {
      throw new ToolRefusal('skill_timeout', `${t.name} did not finish within ${Math.round(this.deps.skillTimeoutMs / 1000)} s (Sophon.Mcp.SkillTimeoutSeconds), so Sophon stopped it. What it did before that may have taken effect.`, grants[0]?.record, 'failed');
    }
    return { record: grants[0]?.record, exitCode: result.exitCode, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
  }
}

/** A child's output as text, up to a cap; the rest is counted, not kept. */
class CappedText {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(b: Buffer): void {
    const room = this.cap - this.kept;
    if (b.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.parts.push(part);
    this.kept += part.length;
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

function ambiguous(ref: string, found: ConnectionRecord[], step?: PersonStep): ToolRefusal {
  return new ToolRefusal(
    'connection_ambiguous',
    `"${ref.slice(0, 100)}" fits ${found.length} connections: ${found.map((c) => `${c.id} ("${c.label}"${c.account ? `, ${c.account}` : ''})`).join(', ')}. Ask the person which one, then name it with "connection".`,
    undefined,
    'denied',
    step,
  );
}

/** The skill planner's "no connection of a service the manifest needs" as the add step http_request gives. */
function addRefusal(err: MissingConnection, tool: string): ToolRefusal {
  return new ToolRefusal(
    'connection_not_found',
    `${tool} needs ${withArticle(err.serviceName)} connection and the person has none. They can ${err.help}. Then call again.`,
    undefined,
    'denied',
    { kind: 'add', serviceId: err.serviceId, serviceName: err.serviceName },
  );
}

/** Which step a refusal asks for, to ask each at most once per call. */
function stepKey(step: PersonStep): string {
  return step.kind === 'reauth' ? `reauth:${step.record.id}` : `${step.kind}:${step.serviceId}`;
}

function reauthRefusal(record: ConnectionRecord): ToolRefusal {
  return new ToolRefusal('needs_reauth', `The connection ${record.id} needs the person to sign in again: \`sophon connect reauth ${record.id}\`. Then call again.`, record, 'denied', { kind: 'reauth', record });
}

/** The request target the broker checks (checkTarget refuses `//host`, absolute URLs and traversal). */
function targetOf(path: string, query: Record<string, string | number | boolean> | undefined): string {
  if (!query || Object.keys(query).length === 0) return path;
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return `${path}${path.includes('?') ? '&' : '?'}${q}`;
}

/** What the person sees of a body when asked: its size and shape, never its content (it may carry anything). */
function summarise(body: unknown): string {
  if (body === undefined) return 'none';
  if (typeof body === 'string') return `${Buffer.byteLength(body)} bytes of text`;
  if (Array.isArray(body)) return `JSON array of ${body.length} item(s)`;
  const keys = Object.keys(body as object);
  return `JSON object with ${keys.length} field(s): ${keys.slice(0, 10).map((k) => k.slice(0, 40)).join(', ')}`;
}

function render(r: { status: number; body: string; truncated: boolean; bodyBytes: number; bodyEncoding: string }): string {
  const head = `HTTP ${r.status} (${r.bodyBytes} bytes${r.bodyEncoding === 'base64' ? ', binary: base64 in structured content' : ''})`;
  const shown = r.bodyEncoding === 'base64' ? '' : r.body.slice(0, 4000);
  const note = r.truncated ? `\n[truncated: the body is ${r.bodyBytes} bytes; only the first ${MAX_BODY_CHARS} characters are returned. Ask for less (query, a narrower path).]` : r.body.length > 4000 ? '\n[text shortened; the full body is in the structured content]' : '';
  return `${head}\n${shown}${note}`;
}

function describe(err: unknown): { code: string; message: string; record?: ConnectionRecord; outcome: 'failed' | 'denied' } {
  if (err instanceof ToolRefusal) return { code: err.code, message: err.message, record: err.connection, outcome: err.outcome };
  if (err instanceof BrokerRefusal) return { code: err.code, message: err.message, outcome: err.outcome === 'denied' ? 'denied' : 'failed' };
  if (isSophonError(err)) return { code: err.code, message: err.message, outcome: 'failed' };
  // Never the raw message: it could quote anything.
  return { code: 'internal', message: 'Sophon failed unexpectedly.', outcome: 'failed' };
}
