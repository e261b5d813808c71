import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { Core } from '../../core/sophon-core';
import { agentIdOf, type AgentPolicy } from '../../core/mcp/agent-store';
import { askInApp } from '../../core/mcp/approval-queue';
import { mcpSettings } from '../../core/mcp/settings';
import { McpTools, TOOL_DEFINITIONS, type ToolContext } from '../../core/mcp/tools';
import { startBrokerServer } from '../broker/server';

export interface McpServerOptions {
  userId: string;
  version: string;
  /**
   * The agent this session is, when the door already knows it (the HTTP transport: the bearer token's agent).
   * Without it (stdio), the agent is named by its client's `initialize`.
   */
  agent?: string;
}

export interface McpSession {
  server: Server;
  /** Releases what the session holds (its broker); call once the transport closed. */
  dispose(): void;
}

/**
 * The MCP door (the SDK's protocol; the tools' rules are in electron/core/mcp): one MCP session, its tools run
 * through the same broker as the proxy (one short-lived broker token per call, bound to the agent, the tool
 * and the one connection). Connect it to a transport with `server.connect`.
 */
export async function createMcpSession(core: Core, options: McpServerOptions): Promise<McpSession> {
  const server = new Server(
    { name: 'sophon', title: 'Sophon', version: options.version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'Sophon calls the person\'s services (APIs) for you with their real credentials; you never see a secret. Call list_connections to see what you may use, then http_request with a connection id.',
    },
  );
  // A connection that needs re-auth fails the broker at once: the tool asks the person (URL elicitation) and waits itself.
  const { broker, tokens, settings } = await core.createBroker({ userId: options.userId, settings: { ReauthWaitSeconds: 0 } });
  const mcp = mcpSettings(core.settings);
  const approvalTimeoutMs = mcp.ApprovalTimeoutSeconds * 1000;
  const policies = core.agentPolicies(options.userId);
  let agent: AgentPolicy | undefined;
  // The agent is the token's, or named by its client at initialize; a tool call before that (not allowed by the protocol) gets a generic name.
  const currentAgent = (): AgentPolicy => {
    const name = server.getClientVersion()?.name;
    const id = options.agent ?? agentIdOf(name);
    if (!agent || agent.agent !== id) agent = policies.seen(id, name ?? null);
    // Re-read each call: the person may change the policy while the session runs.
    return (agent = policies.get(id) ?? agent);
  };
  server.oninitialized = () => void currentAgent();

  const tools = new McpTools({
    core,
    broker,
    tokens,
    userId: options.userId,
    tokenTtlSeconds: Math.min(300, settings.TokenTtlSeconds),
    maxRequestBytes: settings.MaxRequestBytes,
    startProxy: (skillBroker, maxRequestBytes) => startBrokerServer(skillBroker, { maxRequestBytes }),
    personWaitMs: mcp.PersonWaitSeconds * 1000,
    skillTimeoutMs: mcp.SkillTimeoutSeconds * 1000,
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await TOOL_DEFINITIONS(core, options.userId, currentAgent()) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const caps = server.getClientCapabilities()?.elicitation;
    const ctx: ToolContext = {
      agent: currentAgent(),
      canAskForm: caps !== undefined && (caps.form !== undefined || Object.keys(caps).length === 0),
      ask: (message) =>
        server.elicitInput(
          { mode: 'form', message, requestedSchema: { type: 'object', properties: {} } },
          { timeout: approvalTimeoutMs, signal: extra.signal },
        ),
      canAskUrl: caps?.url !== undefined,
      // Consent to open the page comes quickly; the wait for the step itself is the tool's (PersonWaitSeconds).
      askUrl: (message, url, elicitationId) => server.elicitInput({ mode: 'url', message, url, elicitationId }, { timeout: approvalTimeoutMs, signal: extra.signal }),
      completed: (elicitationId) => server.createElicitationCompletionNotifier(elicitationId, { relatedRequestId: extra.requestId })(),
      signal: extra.signal,
      progress: progressOf(request.params._meta?.progressToken, extra.sendNotification),
      // The app or dashboard may run in another process: they meet in SOPHON_HOME/run (approval-queue.ts).
      askInApp: (question) => askInApp(core.paths.home, options.userId, question, approvalTimeoutMs, extra.signal),
    };
    return tools.call(request.params.name, request.params.arguments, ctx);
  });
  return { server, dispose: () => broker.close() };
}

/** Progress notifications for one call, numbered; none when the client gave no progress token. */
function progressOf(token: string | number | undefined, send: (n: ServerNotification) => Promise<void>): ToolContext['progress'] {
  if (token === undefined) return undefined;
  let n = 0;
  return (message) => send({ method: 'notifications/progress', params: { progressToken: token, progress: ++n, message } });
}

/** One MCP session over `transport` (stdio); resolves when the client closes it. */
export async function serveMcp(core: Core, transport: Transport, options: McpServerOptions): Promise<void> {
  const session = await createMcpSession(core, options);
  const closed = new Promise<void>((resolve) => {
    session.server.onclose = () => resolve();
  });
  await session.server.connect(transport);
  await closed;
  session.dispose();
}
