/**
 * Error codes every door speaks: the CLI maps them to exit codes, IPC and REST carry them in their
 * result envelope, the UI picks its wording from them. Messages never contain a secret.
 */
export const ErrorCodes = [
  'usage',
  'not_found',
  'ambiguous',
  'invalid_input',
  'auth_failed',
  'unreachable',
  'settings_invalid',
  'vault_key_missing',
  'vault_key_mismatch',
  'keychain_unavailable',
  'vault_file_corrupt',
  /** A vault file older than the generation sophon.db recorded for it: an earlier copy was put back. */
  'vault_file_rolled_back',
  'vault_provider_unavailable',
  /** The key protector's store cannot be reached: a PKCS#11 module that does not load, a token not present, no PIN to be had. */
  'key_protector_unavailable',
  /** The key protector refused the PIN (or it is locked); Sophon never retries one. */
  'key_pin_incorrect',
  /** sophon.db is not a database or is damaged; `sophon vault recover` rebuilds it from the vault files. */
  'database_corrupt',
  /** SOPHON_HOME (or a file in it) cannot be written: a read-only mount or no permission. */
  'storage_readonly',
  /** The disk (or the user's quota) holding SOPHON_HOME is full. */
  'storage_full',
  /** A backup file that cannot be opened: not a backup, damaged or altered, or the passphrase is wrong (GCM cannot tell these apart). */
  'backup_unreadable',
  /** REST/IPC: no API token, or one that is not known. */
  'unauthorized',
  /** REST/IPC: the caller may not do this (wrong Host or Origin, another user's data, admin only). */
  'forbidden',
  /** REST: the request body is larger than the server accepts. */
  'too_large',
  'internal',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}
