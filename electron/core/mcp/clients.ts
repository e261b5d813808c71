import { join } from 'node:path';
import { MCP_CLIENT_IDS } from '../../../shared/contract';

export const MCP_CLIENTS = MCP_CLIENT_IDS;
export type McpClient = (typeof MCP_CLIENTS)[number];

/** How `sophon mcp` is launched: an absolute program, its arguments, and the environment it needs. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface ClientConfig {
  client: McpClient;
  name: string;
  file: string;
  format: 'json' | 'toml';
  /** JSON: the top-level key holding the servers. TOML: the table path's parent. */
  serversKey: string;
  /** JSON with comments and trailing commas (VS Code's files). */
  comments?: boolean;
  /** The entry Sophon writes for itself. */
  entry(launch: Launch): Record<string, unknown>;
  /** Said after a change (e.g. the client must be restarted). */
  note: string;
}

export interface Where {
  home: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** The user-level config folder of a desktop app on each platform. */
function appConfigDir(w: Where, app: string): string {
  if (w.platform === 'darwin') return join(w.home, 'Library', 'Application Support', app);
  if (w.platform === 'win32') return join(w.env.APPDATA || join(w.home, 'AppData', 'Roaming'), app);
  return join(w.env.XDG_CONFIG_HOME || join(w.home, '.config'), app);
}

const withEnv = (l: Launch) => (Object.keys(l.env).length ? { env: l.env } : {});

/**
 * Each client's user-level MCP configuration (see docs/mcp.md for what was checked against which
 * documentation). Sophon's entry is always named "sophon".
 */
export function clientConfig(client: McpClient, w: Where): ClientConfig {
  switch (client) {
    case 'claude-code':
      return {
        client,
        name: 'Claude Code',
        file: join(w.home, '.claude.json'),
        format: 'json',
        serversKey: 'mcpServers',
        entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
        note: 'Claude Code reads it at its next start (`claude mcp list` shows it).',
      };
    case 'claude-desktop':
      return {
        client,
        name: 'Claude Desktop',
        file: join(appConfigDir(w, 'Claude'), 'claude_desktop_config.json'),
        format: 'json',
        serversKey: 'mcpServers',
        entry: (l) => ({ command: l.command, args: l.args, ...withEnv(l) }),
        note: 'Restart Claude Desktop to load it.',
      };
    case 'cursor':
      return {
        client,
        name: 'Cursor',
        file: join(w.home, '.cursor', 'mcp.json'),
        format: 'json',
        serversKey: 'mcpServers',
        entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
        note: 'Cursor picks it up in Settings → MCP (restart Cursor if it does not).',
      };
    case 'vscode':
      return {
        client,
        name: 'VS Code',
        file: join(appConfigDir(w, 'Code'), 'User', 'mcp.json'),
        format: 'json',
        serversKey: 'servers',
        comments: true,
        entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
        note: 'VS Code asks you to trust the server the first time it starts it.',
      };
    case 'codex':
      return {
        client,
        name: 'Codex',
        file: join(w.env.CODEX_HOME || join(w.home, '.codex'), 'config.toml'),
        format: 'toml',
        serversKey: 'mcp_servers',
        entry: (l) => ({ command: l.command, args: l.args, ...withEnv(l) }),
        note: 'Codex reads it at its next start (`codex mcp list` shows it).',
      };
  }
}
