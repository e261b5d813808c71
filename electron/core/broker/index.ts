import type { SophonCore } from '../sophon-core';
import type { Resolver } from './addresses';
import { AuditBatcher } from './audit-batch';
import { Broker } from './broker';
import { dbVersion } from './db-version';
import { brokerSettings, type BrokerSettings } from './settings';
import { BrokerTokens } from './tokens';

export { Broker, type ApiCall, type ApiResult } from './broker';
export { BrokerRefusal } from './request-guard';
export { BrokerTokens, type BrokerBinding } from './tokens';
export { brokerSettings, type BrokerSettings } from './settings';

export interface CreateBrokerOptions {
  userId: string;
  settings?: Partial<BrokerSettings>;
  resolver?: Resolver;
  onlySkill?: string;
  onSecrets?: (secrets: string[]) => void;
  /** Certificates (PEM) trusted for services' TLS instead of Node's default CAs (tests with a private CA). */
  ca?: string[];
}

/** A broker over an open core: its tokens, connections, credentials and (batched) audit trail. */
export function createBroker(core: SophonCore, options: CreateBrokerOptions): { broker: Broker; tokens: BrokerTokens; settings: BrokerSettings } {
  const settings = { ...brokerSettings(core.settings, core.paths.settingsFile), ...options.settings };
  const tokens = new BrokerTokens(core.db);
  const version = dbVersion(core.db);
  const broker = new Broker({
    userId: options.userId,
    tokens,
    connections: core.connections,
    credentials: core.credentials,
    store: core.store,
    audit: new AuditBatcher(core.audit),
    settings,
    resolver: options.resolver,
    onlySkill: options.onlySkill,
    onSecrets: options.onSecrets,
    ca: options.ca,
    dbVersion: version.read,
    release: version.close,
  });
  return { broker, tokens, settings };
}
