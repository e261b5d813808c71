import { homedir } from 'node:os';
import { z } from 'zod';
import { resolveHome, sophonPaths } from '../../core/config/paths';
import { SophonError } from '../../core/errors';
import { WRITE_POLICIES, assertAgentId, type AgentPolicy } from '../../core/mcp/agent-store';
import { MCP_CLIENTS, clientConfig, type Launch } from '../../core/mcp/clients';
import { applyChange, planInstall, planUninstall, type ConfigChange } from '../../core/mcp/install';
import { nodeCliLaunch } from '../../core/mcp/launch';
import { mcpTokenStore } from '../../core/mcp/tokens';
import { validate } from '../../core/validation/parse';
import type { CommandContext } from '../context';
import { resolveRef, withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { table } from '../io';
import { untilStopped } from '../signals';
import { VERSION } from '../version';

const ServeOptions = z
  .object({
    http: z.boolean().optional(),
    port: z.coerce.number().int().min(0).max(65_535).optional(),
  })
  .refine((o) => o.port === undefined || o.http, { message: '--port goes with --http (stdio has no port)', path: ['port'] });

/**
 * `sophon mcp`: serves MCP over stdin/stdout until the client closes it. Nothing but protocol goes to stdout.
 * `sophon mcp --http [--port N]`: serves Streamable HTTP on 127.0.0.1 until Ctrl-C (first stdout line: its URL).
 */
export async function mcpServe(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(ServeOptions, raw ?? {}, 'mcp options');
  if (opts.http) return mcpServeHttp(ctx, opts.port ?? 0);
  if (process.stdin.isTTY) ctx.io.err('sophon mcp speaks MCP on stdin/stdout: an AI agent starts it. Add it to one with `sophon mcp install --client <client>`; Ctrl-D ends it.');
  // Loaded here only: every other command starts without the MCP SDK.
  const [{ serveMcp }, { StdioServerTransport }] = await Promise.all([import('../../server/mcp/server'), import('@modelcontextprotocol/sdk/server/stdio.js')]);
  return withCore(ctx, async (core) => {
    await serveMcp(core, new StdioServerTransport(), { userId: ctx.global.user, version: VERSION });
    return ExitCode.ok;
  });
}

async function mcpServeHttp(ctx: CommandContext, port: number): Promise<number> {
  const { startMcpHttp } = await import('../../server/mcp/http');
  return withCore(ctx, async (core) => {
    const server = await startMcpHttp(core, { tokens: mcpTokenStore(core.paths.configDir), version: VERSION, port });
    ctx.io.out(server.url);
    ctx.io.err(`Sophon's MCP server (Streamable HTTP) at ${server.url}. Each client sends "Authorization: Bearer <token>" with a token from \`sophon mcp token create --agent <name>\`. Ctrl-C stops it.`);
    await untilStopped();
    await server.close();
    return ExitCode.ok;
  });
}

const TokenCreateOptions = z.object({ agent: z.string({ message: 'name the agent: --agent <name>' }).max(64), json: z.boolean().optional() });

/**
 * `sophon mcp token create --agent NAME`: a bearer token for `sophon mcp --http`, standing for agent NAME of
 * this user. Printed once, to stdout only; Sophon keeps its SHA-256. The agent gets the default policy if new.
 */
export async function mcpTokenCreate(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(TokenCreateOptions, raw, 'mcp token create options');
  assertAgentId(opts.agent);
  return withCore(ctx, async (core) => {
    const policies = core.agentPolicies(ctx.global.user);
    const policy = policies.get(opts.agent) ?? policies.set(opts.agent, {});
    const { token, entry } = await mcpTokenStore(core.paths.configDir).create(ctx.global.user, { kind: 'mcp', agent: opts.agent });
    if (opts.json) ctx.io.json({ token, id: entry.id, agent: opts.agent, userId: entry.userId, createdAt: entry.createdAt });
    else {
      ctx.io.err(`MCP token ${entry.id} for agent ${opts.agent} (user ${entry.userId}; writes ${policy.writes}). It is shown only now; Sophon keeps only its hash:`);
      ctx.io.out(token);
    }
    return ExitCode.ok;
  });
}

/** `sophon mcp token list`: ids, agents and users — never a token. */
export async function mcpTokenList(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(JsonOption, raw, 'mcp token list options');
  const tokens = (await mcpTokenStore(sophonPaths(resolveHome(ctx.global.home, ctx.env)).configDir).list()).map(({ id, agent, userId, createdAt }) => ({ id, agent: agent ?? null, userId, createdAt }));
  if (opts.json) ctx.io.json({ tokens });
  else if (tokens.length === 0) ctx.io.out('No MCP tokens. Create one for an agent: `sophon mcp token create --agent <name>`.');
  else ctx.io.out(table([['ID', 'AGENT', 'USER', 'CREATED'], ...tokens.map((t) => [t.id, t.agent ?? '-', t.userId, t.createdAt])]));
  return ExitCode.ok;
}

/** `sophon mcp token revoke <id>`: the token stops working, and its open sessions end, at once. */
export async function mcpTokenRevoke(ctx: CommandContext, id: string): Promise<number> {
  if (!(await mcpTokenStore(sophonPaths(resolveHome(ctx.global.home, ctx.env)).configDir).revoke(id))) throw new SophonError('not_found', `No MCP token ${id.slice(0, 40)} (see \`sophon mcp token list\`).`);
  ctx.io.out(`Revoked MCP token ${id}.`);
  return ExitCode.ok;
}

const JsonOption = z.object({ json: z.boolean().optional() });

function describePolicy(p: AgentPolicy): Record<string, unknown> {
  return {
    agent: p.agent,
    clientName: p.clientName,
    connections: p.connections ?? 'all',
    writes: p.writes,
    createdAt: new Date(p.createdAt).toISOString(),
    lastSeenAt: p.lastSeenAt === null ? null : new Date(p.lastSeenAt).toISOString(),
  };
}

/** `sophon mcp agents`: every MCP client seen (or named by a policy) and what it may do. */
export async function mcpAgents(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(JsonOption, raw, 'mcp agents options');
  return withCore(
    ctx,
    async (core) => {
      const agents = core.agentPolicies(ctx.global.user).list();
      if (opts.json) ctx.io.json({ agents: agents.map(describePolicy) });
      else if (agents.length === 0) ctx.io.out('No MCP agent yet. Add Sophon to one: `sophon mcp install --client <client>`.');
      else {
        ctx.io.out(
          table([
            ['AGENT', 'CONNECTIONS', 'WRITES', 'LAST SEEN'],
            ...agents.map((a) => [a.agent, a.connections === null ? 'all' : a.connections.join(',') || 'none', a.writes, a.lastSeenAt === null ? 'never' : new Date(a.lastSeenAt).toISOString()]),
          ]),
        );
      }
      return ExitCode.ok;
    },
    { readsOnly: true },
  );
}

const PolicyOptions = z
  .object({
    connections: z.string().max(4000).optional(),
    all: z.boolean().optional(),
    writes: z.enum(WRITE_POLICIES, { message: 'say --writes allow, ask or deny' }).optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => !(o.all && o.connections !== undefined), { message: 'give --connections or --all, not both', path: ['connections'] });

/** `sophon mcp policy <agent> [--connections a,b | --all] [--writes allow|ask|deny]`: shows or changes an agent's policy. */
export async function mcpPolicy(ctx: CommandContext, agent: string, raw: unknown): Promise<number> {
  const opts = validate(PolicyOptions, raw, 'mcp policy options');
  assertAgentId(agent);
  return withCore(ctx, async (core) => {
    const policies = core.agentPolicies(ctx.global.user);
    let connections: string[] | null | undefined;
    if (opts.all) connections = null;
    else if (opts.connections !== undefined) {
      const refs = opts.connections.split(',').map((s) => s.trim()).filter(Boolean);
      connections = [];
      for (const ref of refs) connections.push(await resolveRef(ctx, core, ref));
    }
    const changing = connections !== undefined || opts.writes !== undefined;
    const policy = changing ? policies.set(agent, { connections, writes: opts.writes }) : policies.get(agent);
    if (!policy) throw new SophonError('not_found', `No MCP agent "${agent}". See \`sophon mcp agents\`; set a policy before it connects with --connections/--all/--writes.`);
    if (opts.json) ctx.io.json(describePolicy(policy));
    else ctx.io.out(`${policy.agent}: connections ${policy.connections === null ? 'all' : policy.connections.join(',') || 'none'}; writes ${policy.writes}`);
    return ExitCode.ok;
  });
}

const InstallOptions = z.object({
  client: z.enum(MCP_CLIENTS, { message: `say --client ${MCP_CLIENTS.join('|')}` }),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

/**
 * How a client launches `sophon mcp`: this Node binary and this CLI's own script, both absolute. A
 * desktop app starts servers with a minimal PATH, where a bare `sophon` (or `node`) is often not found.
 * The data folder and user are passed on when they are not the defaults.
 */
function launchOf(ctx: CommandContext): Launch {
  return nodeCliLaunch({ home: ctx.global.home ?? ctx.env.SOPHON_HOME, userId: ctx.global.user }, process.execPath, process.argv[1] ?? 'sophon');
}

function where(ctx: CommandContext) {
  return { home: ctx.env.HOME ?? ctx.env.USERPROFILE ?? homedir(), platform: process.platform, env: ctx.env };
}

function report(ctx: CommandContext, c: ConfigChange, dryRun: boolean, json: boolean | undefined, note: string): void {
  if (json) {
    ctx.io.json({ file: c.file, action: c.action, dryRun, entry: c.entry, backup: dryRun ? null : c.backup });
    return;
  }
  const verb = { created: 'create', updated: 'update', removed: 'remove Sophon from', unchanged: '' }[c.action];
  if (c.action === 'unchanged') ctx.io.out(`${c.file}: already ${c.entry ? 'set up' : 'without Sophon'}; nothing changed.`);
  else if (dryRun) {
    ctx.io.out(`Would ${verb} ${c.file}${c.entry ? ' with this "sophon" server:' : '.'}`);
    if (c.entry) ctx.io.out(JSON.stringify(c.entry, null, 2));
  } else {
    ctx.io.out(`${c.action === 'created' ? 'Created' : c.action === 'updated' ? 'Updated' : 'Removed Sophon from'} ${c.file}.${c.backup ? ` The previous file is kept as ${c.backup}.` : ''}`);
    ctx.io.out(note);
  }
}

/** `sophon mcp install --client X [--dry-run]`: adds Sophon to that client's MCP configuration. */
export async function mcpInstall(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(InstallOptions, raw, 'mcp install options');
  const config = clientConfig(opts.client, where(ctx));
  const change = await planInstall(config, launchOf(ctx));
  if (!opts.dryRun) await applyChange(change);
  report(ctx, change, opts.dryRun === true, opts.json, config.note);
  return ExitCode.ok;
}

/** `sophon mcp uninstall --client X [--dry-run]`: removes Sophon's entry, and nothing else. */
export async function mcpUninstall(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(InstallOptions, raw, 'mcp uninstall options');
  const config = clientConfig(opts.client, where(ctx));
  const change = await planUninstall(config);
  if (!opts.dryRun) await applyChange(change);
  report(ctx, change, opts.dryRun === true, opts.json, config.note);
  return ExitCode.ok;
}
