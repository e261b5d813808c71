/**
 * Error codes → sentences a person can act on. The server's own message (never a secret) is shown
 * under it as the detail.
 */
const SENTENCES: Record<string, string> = {
  usage: 'Something in the request is not right.',
  invalid_input: 'Some of what you entered is not valid. Check the highlighted fields and try again.',
  unauthorized: 'This dashboard tab is no longer signed in. Open the address `sophon dashboard` printed in its terminal again.',
  forbidden: 'You are not allowed to do that with this account.',
  not_found: 'That no longer exists — it may have been removed in another window. Go back to the list.',
  ambiguous: 'That name matches more than one connection. Pick one from the list instead.',
  too_large: 'That is too much data to send at once.',
  auth_failed: 'The service refused the credential. Check that it is correct, not expired, and has the permissions needed, then try again.',
  unreachable: 'Sophon could not reach the service. Check your network and the server address, then try again.',
  settings_invalid: 'Sophon’s settings file has a problem. Fix the setting named below, then try again.',
  vault_key_missing: 'The vault’s key cannot be found where it was kept. Restore it (see details) — Sophon will not create a new key over existing credentials.',
  vault_key_mismatch: 'The vault’s key does not match the stored credentials. The key was replaced; restore the original.',
  keychain_unavailable: 'The system keychain is not answering. Unlock it (or start your keyring service) and try again.',
  vault_file_corrupt: 'A stored credential failed its integrity check. Run Verify on the Vault page to see which one.',
  vault_file_rolled_back: 'A stored credential is an older copy than the one Sophon last wrote: it was put back from a backup or by someone else. Restore the newer file, or remove the connection and add it again.',
  vault_provider_unavailable: 'The configured vault provider is not available on this machine.',
  key_protector_unavailable: 'The hardware token that protects the vault key cannot be reached. Insert it (or check its settings) and try again.',
  key_pin_incorrect: 'The hardware token refused its PIN. Store the right PIN with `sophon vault pkcs11-pin`; Sophon does not retry a refused PIN.',
  database_corrupt: 'Sophon’s database (sophon.db) is damaged. Run `sophon vault recover` in a terminal to rebuild it from the vault files.',
  storage_readonly: 'Sophon cannot write to its data folder (it is read-only or not yours). Make it writable, then try again.',
  storage_full: 'The disk holding Sophon’s data folder is full. Free some space, then try again.',
  backup_unreadable: 'The backup could not be opened: the recovery passphrase is wrong, or the file is damaged. Nothing was changed.',
  internal: 'Something went wrong inside Sophon. Try again; if it keeps happening, run the same action with `sophon … --debug` in a terminal.',
  dashboard_unreachable: 'The Sophon dashboard server stopped answering. Is `sophon dashboard` still running?',
};

export interface ErrorText {
  code: string;
  title: string;
  detail: string;
}

export function describeError(err: unknown): ErrorText {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'internal';
  const message = err instanceof Error ? err.message : typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string' ? err.message : '';
  return { code, title: SENTENCES[code] ?? SENTENCES.internal!, detail: message };
}
