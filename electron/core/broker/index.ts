import type { AuditLog } from '../audit/audit-log';
import type { SophonPaths } from '../config/paths';
import type { Settings } from '../config/settings';
import type { ConnectionService } from '../connections/connection-service';
import type { ConnectionStore } from '../connections/connection-store';
import type { Database } from '../db/database';
import type { Credentials } from '../credentials';
import type { Resolver } from './addresses';
import { AuditBatcher } from './audit-batch';
import { Broker, type BrokerDeps } from './broker';
import { dbVersion } from './db-version';
import { brokerSettings, type BrokerSettings } from './settings';
import { BrokerTokens } from './token-store';

export { Broker, type ApiCall, type ApiResult } from './broker';
export { BrokerRefusal } from './request-guard';
export { AuditPipe, AuditAckMessageSchema, AuditBatchMessageSchema, type AuditAckMessage, type AuditBatchMessage } from './audit-pipe';
export { BrokerTokens, type BrokerBinding } from './token-store';
export { brokerSettings, type BrokerSettings } from './settings';

export interface CreateBrokerOptions {
  userId: string;
  settings?: Partial<BrokerSettings>;
  resolver?: Resolver;
  onlySkill?: string;
  onSecrets?: (secrets: string[]) => void;
  /** Certificates (PEM) trusted for services' TLS instead of Node's default CAs (tests with a private CA). */
  ca?: string[];
  /** Another destination for the audit rows (`broker serve`'s AuditPipe), given this process's own batched writer to fall back on. */
  audit?: (inline: AuditBatcher) => BrokerDeps['audit'];
}

/** What a broker is built from: given by the composition (sophon-parts.ts), which alone holds these parts. */
export interface BrokerParts {
  settings: Settings;
  paths: SophonPaths;
  connections: ConnectionService;
  store: ConnectionStore;
  credentials: Credentials;
  audit: AuditLog;
  tokens: BrokerTokens;
  /** Only to tell, per request, whether sophon.db changed (db-version.ts). */
  db: Database;
}

export interface CreatedBroker {
  broker: Broker;
  tokens: BrokerTokens;
  settings: BrokerSettings;
}

/** A broker over an open core (`core.createBroker`): its tokens, connections, vault and (batched) audit trail. */
export function createBroker(parts: BrokerParts, options: CreateBrokerOptions): CreatedBroker {
  const settings = { ...brokerSettings(parts.settings), ...options.settings };
  const tokens = parts.tokens;
  const version = dbVersion(parts.db);
  const inline = new AuditBatcher(parts.audit);
  const broker = new Broker({
    userId: options.userId,
    tokens,
    connections: parts.connections,
    store: parts.store,
    credentials: parts.credentials,
    audit: options.audit ? options.audit(inline) : inline,
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
