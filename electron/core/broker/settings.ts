import type { BrokerSettings, Settings } from '../config/settings';

export type { BrokerSettings } from '../config/settings';

/** `Sophon.Broker` in config/appsettings.json, validated (with its defaults) by the one settings schema in config/settings.ts. */
export function brokerSettings(settings: Settings): BrokerSettings {
  return settings.Sophon.Broker;
}
