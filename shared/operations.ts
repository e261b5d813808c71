import type { ErrorCode } from './errors';

/**
 * The names of every operation and event of the contract, without zod: the preload bridge and the
 * renderer import this at runtime; `contract.ts` (schemas) is imported by them with `import type` only.
 * `contract.ts` declares exactly these names (a unit test and its `satisfies` clause keep them equal).
 */
export const OPERATION_NAMES = [
  'session.info',
  'services.list',
  'services.discover',
  'oauth.setup',
  'connections.list',
  'connections.get',
  'connections.add',
  'connections.test',
  'connections.reauth',
  'connections.update',
  'connections.rename',
  'connections.remove',
  'connections.refresh',
  'imports.scan',
  'imports.run',
  'audit.query',
  'vault.status',
  'vault.verify',
  'audit.verify',
  'settings.get',
  'settings.set',
  'admin.connections',
  'broker.mint',
  'broker.choose',
  'broker.questions',
  'agents.list',
  'agents.setPolicy',
  'agents.approvals',
  'agents.approve',
  'agents.tokens',
  'agents.createToken',
  'agents.revokeToken',
  'agents.install',
  'agents.httpServer',
  'agents.setHttpServer',
  // Vault over years (issue 17): backup, restore, key rotation, scheduled backups.
  'vault.backup',
  'vault.restore',
  'vault.rotateKey',
  'vault.backupSchedule',
  'vault.setBackupSchedule',
  'vault.runBackupSchedule',
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

export const EVENT_NAMES = ['connections.changed', 'oauth.progress', 'connection.choose', 'agent.approval'] as const;

export type EventName = (typeof EVENT_NAMES)[number];

/** IPC channel of an operation (`sophon:connections.list`) and of an event (`sophon:event:oauth.progress`). */
export const operationChannel = (name: OperationName): `sophon:${OperationName}` => `sophon:${name}`;
export const eventChannel = (name: EventName): `sophon:event:${EventName}` => `sophon:event:${name}`;

export function isOperationName(name: string): name is OperationName {
  return (OPERATION_NAMES as readonly string[]).includes(name);
}

export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name);
}

/**
 * HTTP status of each error code in the REST API: 200 for ok, 400 invalid input or usage, 401 no or
 * wrong token, 403 forbidden, 404 not found, 409 ambiguous, 413 too large, 422 a service refused the
 * credential (auth_failed: not the caller's token), 502 unreachable, 500 internal and vault/settings problems. (The client reads the envelope, not the status; the status is for curl and proxies.)
 */
export const HTTP_STATUS_OF_CODE: Record<ErrorCode, number> = {
  usage: 400,
  invalid_input: 400,
  unauthorized: 401,
  auth_failed: 422,
  forbidden: 403,
  not_found: 404,
  ambiguous: 409,
  too_large: 413,
  unreachable: 502,
  settings_invalid: 500,
  vault_key_missing: 500,
  vault_key_mismatch: 500,
  keychain_unavailable: 500,
  vault_file_corrupt: 500,
  vault_file_rolled_back: 500,
  vault_provider_unavailable: 500,
  key_protector_unavailable: 500,
  key_pin_incorrect: 500,
  database_corrupt: 500,
  storage_readonly: 500,
  storage_full: 507,
  backup_unreadable: 422,
  internal: 500,
};
