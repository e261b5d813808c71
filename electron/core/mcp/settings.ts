import type { McpSettings, Settings } from '../config/settings';

export type { McpSettings } from '../config/settings';

/** `Sophon.Mcp` in config/appsettings.json, validated (with its defaults) by the one settings schema in config/settings.ts. */
export function mcpSettings(settings: Settings): McpSettings {
  return settings.Sophon.Mcp;
}
