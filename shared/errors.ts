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
