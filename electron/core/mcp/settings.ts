import { z } from 'zod';
import type { Settings } from '../config/settings';
import { validate } from '../validation/parse';

/** `Sophon.Mcp` in config/appsettings.json. Every value has a default; the file may leave it out. */
export const McpSettingsSchema = z.looseObject({
  /** How long a write approval waits for the person's answer before the call is refused (approval_timeout). */
  ApprovalTimeoutSeconds: z.number().int().min(1).max(3_600).default(120),
});
export type McpSettings = z.output<typeof McpSettingsSchema>;

export function mcpSettings(settings: Settings, settingsFile = 'appsettings.json'): McpSettings {
  const raw = (settings.Sophon as Record<string, unknown>).Mcp ?? {};
  return validate(McpSettingsSchema, raw, `Sophon.Mcp in ${settingsFile}`, 'settings_invalid');
}
