// An MCP client built on the official SDK that drives the built `sophon mcp` over stdio, recording
// every JSON-RPC message both ways (for the canary checks) and everything the server wrote to stderr.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const BIN = fileURLToPath(new URL('../../bin/sophon.mjs', import.meta.url));

/** A transport that records what passes through it, in order. */
class RecordingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    private readonly inner: Transport,
    readonly messages: string[],
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (e) => this.onerror?.(e);
    inner.onmessage = (m) => {
      this.messages.push(`<- ${JSON.stringify(m)}`);
      this.onmessage?.(m);
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    this.messages.push(`-> ${JSON.stringify(message)}`);
    return this.inner.send(message);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface McpSession {
  client: Client;
  messages: string[];
  stderr: () => string;
  /** What the elicitation handler was asked. */
  asked: ElicitRequest['params'][];
  close(): Promise<void>;
  /** Over HTTP: the session id the server gave. */
  sessionId?: () => string | undefined;
}

export interface McpSessionOptions {
  /** The name the client gives in initialize (the agent). */
  name: string;
  /** Answers form elicitation; without it the client declares no elicitation capability. */
  elicit?: (params: ElicitRequest['params']) => Promise<ElicitResult> | ElicitResult;
  /** Declares URL-mode elicitation too (`elicitation: { form: {}, url: {} }`); `elicit` then gets both modes. */
  url?: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function startMcp(home: string, options: McpSessionOptions, messages: string[] = []): Promise<McpSession> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', SOPHON_HOME: home, ...options.env })) if (v !== undefined) env[k] = v;
  const stdio = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env, stderr: 'pipe' });
  let stderr = '';
  stdio.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: options.name, version: '1.0.0' }, { capabilities: elicitation(options) });
  const asked: ElicitRequest['params'][] = [];
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return answer(request.params);
    });
  }
  await client.connect(new RecordingTransport(stdio, messages));
  return { client, messages, stderr: () => stderr, asked, close: () => client.close() };
}

function elicitation(options: Pick<McpSessionOptions, 'elicit' | 'url'>) {
  if (!options.elicit) return {};
  return { elicitation: options.url ? { form: {}, url: {} } : { form: {} } };
}

export interface McpHttpSessionOptions {
  name: string;
  /** The bearer token (`sophon mcp token create`); none sends no Authorization header. */
  token?: string;
  /** Extra request headers (e.g. a foreign Origin). */
  headers?: Record<string, string>;
  elicit?: McpSessionOptions['elicit'];
  url?: boolean;
}

/** The same SDK client over Streamable HTTP, against `sophon mcp --http` at `url`. */
export async function connectMcpHttp(url: string, options: McpHttpSessionOptions, messages: string[] = []): Promise<McpSession> {
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const http = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: options.name, version: '1.0.0' }, { capabilities: elicitation(options) });
  const asked: ElicitRequest['params'][] = [];
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return answer(request.params);
    });
  }
  await client.connect(new RecordingTransport(http, messages));
  return { client, messages, stderr: () => '', asked, close: () => client.close(), sessionId: () => http.sessionId };
}
