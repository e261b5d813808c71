import type { ErrorCode } from '../../shared/errors';

/** Documented in docs/cli.md ("Exit codes"). Scripts depend on these numbers: change them only with a note. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  authFailed: 4,
  unreachable: 5,
  vault: 6,
  config: 7,
  /** Ctrl-C at a prompt (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'ambiguous':
    case 'invalid_input':
      return ExitCode.usage;
    case 'not_found':
      return ExitCode.notFound;
    case 'auth_failed':
    case 'unauthorized':
    case 'forbidden':
      return ExitCode.authFailed;
    case 'too_large':
      return ExitCode.usage;
    case 'unreachable':
      return ExitCode.unreachable;
    // A full disk or a read-only data folder is a storage problem like a vault file that fails to open,
    // not a configuration one: no setting fixes it.
    case 'vault_key_missing':
    case 'vault_key_mismatch':
    case 'keychain_unavailable':
    case 'vault_file_corrupt':
    case 'vault_file_rolled_back':
    case 'vault_provider_unavailable':
    case 'key_protector_unavailable':
    case 'key_pin_incorrect':
    case 'database_corrupt':
    case 'storage_readonly':
    case 'storage_full':
    case 'backup_unreadable':
      return ExitCode.vault;
    case 'settings_invalid':
      return ExitCode.config;
    case 'internal':
      return ExitCode.failure;
  }
}
