import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Core } from '../../core/sophon-core';
import { agentIdOf, type AgentPolicy } from '../../core/mcp/agent-store';
import { mcpSettings } from '../../core/mcp/settings';
import { McpTools, TOOL_DEFINITIONS, type ToolContext } from '../../core/mcp/tools';

export interface McpServerOptions {
  userId: string;
  version: string;
}

/**
 * The MCP door (the SDK's protocol and transport; the tools' rules are in electron/core/mcp): one MCP session over `transport`, its tools run through the same broker as the proxy
 * (one short-lived broker token per call, bound to the agent, the tool and the one connection).
 * Resolves when the client closes the session.
 */
export async function serveMcp(core: Core, transport: Transport, options: McpServerOptions): Promise<void> {
  const server = new Server(
    { name: 'sophon', title: 'Sophon', version: options.version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'Sophon calls the person\'s services (APIs) for you with their real credentials; you never see a secret. Call list_connections to see what you may use, then http_request with a connection id.',
    },
  );
  const { broker, tokens, settings } = await core.createBroker({ userId: options.userId });
  const approvalTimeoutMs = mcpSettings(core.settings, core.paths.settingsFile).ApprovalTimeoutSeconds * 1000;
  const policies = core.agentPolicies(options.userId);
  let agent: AgentPolicy | undefined;
  // The agent is named by its client at initialize; a tool call before that (not allowed by the protocol) gets a generic name.
  const currentAgent = (): AgentPolicy => {
    const name = server.getClientVersion()?.name;
    const id = agentIdOf(name);
    if (!agent || agent.agent !== id) agent = policies.seen(id, name ?? null);
    // Re-read each call: the person may change the policy while the session runs.
    return (agent = policies.get(id) ?? agent);
  };
  server.oninitialized = () => void currentAgent();

  const tools = new McpTools({ core, broker, tokens, userId: options.userId, tokenTtlSeconds: Math.min(300, settings.TokenTtlSeconds), maxRequestBytes: settings.MaxRequestBytes });
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
    };
    return tools.call(request.params.name, request.params.arguments, ctx);
  });

  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
  broker.close();
}
