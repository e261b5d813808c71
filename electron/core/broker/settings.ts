import { z } from 'zod';
import type { Settings } from '../config/settings';
import { validate } from '../validation/parse';

/** `Sophon.Broker` in config/appsettings.json. Every value has a default; the file may leave it out. */
export const BrokerSettingsSchema = z.looseObject({
  /** Lifetime of a minted broker token (default 5 minutes, at most a day). */
  TokenTtlSeconds: z.number().int().min(1).max(86_400).default(300),
  /** Port of `sophon broker serve` on 127.0.0.1 (0: any free port, printed at start). */
  Port: z.number().int().min(0).max(65_535).default(0),
  /** Largest request body a skill may send through the proxy. */
  MaxRequestBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(1024 * 1024),
  /** Largest response (after decompression) the proxy buffers and redacts; larger answers 502. */
  MaxResponseBytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** How long a call waits for the person to re-authenticate a connection that needs it. */
  ReauthWaitSeconds: z.number().int().min(0).max(3_600).default(120),
  /**
   * Processes `sophon broker serve` serves from, sharing its port: 2 (default); 1 the command's own
   * process; 0 one per core (at most 4). One Node process is CPU-bound in the proxy hop (two socket
   * writes and reads a call); a second one on another core raised throughput 20–60% in the benchmark
   * (docs/broker-and-skills.md). The desktop app and `skill run` always serve in their own process.
   */
  Workers: z.number().int().min(0).max(64).default(2),
  /** How long the proxy waits for a service's answer. */
  UpstreamTimeoutSeconds: z.number().int().min(1).max(600).default(60),
});
export type BrokerSettings = z.output<typeof BrokerSettingsSchema>;

export function brokerSettings(settings: Settings, settingsFile = 'appsettings.json'): BrokerSettings {
  const raw = (settings.Sophon as Record<string, unknown>).Broker ?? {};
  return validate(BrokerSettingsSchema, raw, `Sophon.Broker in ${settingsFile}`, 'settings_invalid');
}
