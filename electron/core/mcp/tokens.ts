import { ApiTokenStore } from '../api-tokens/token-store';
import { MCP_TOKEN_FILE } from './agent-store';

/** The MCP agents' bearer tokens (`config/mcp-tokens.json`), kept apart from the REST API's. */
export const mcpTokenStore = (configDir: string): ApiTokenStore => new ApiTokenStore(configDir, MCP_TOKEN_FILE);
