import type { ServiceDefinition } from '../catalog/schema';
import type { CredentialData, StoredCredential } from '../vault/credential';

/**
 * Where each auth method keeps its main secret inside a vault credential, and back. One place, so
 * the tester, the broker and the importers agree.
 */
export function credentialFor(service: ServiceDefinition, secret: string | undefined, secretFields: Record<string, string>): CredentialData {
  const extra = { ...secretFields };
  switch (service.auth.method) {
    case 'api_key':
    case 'basic':
      return { apiKey: secret, extra };
    case 'bearer':
    case 'oauth2':
      return { accessToken: secret, extra };
    case 'smtp_imap':
      return { extra: secret === undefined ? extra : { ...extra, password: secret } };
    case 'webhook_url':
      return { extra: secret === undefined ? extra : { ...extra, webhookUrl: secret } };
    case 'none':
      return { extra };
  }
}

export function secretOf(service: ServiceDefinition, credential: StoredCredential): string | undefined {
  switch (service.auth.method) {
    case 'api_key':
    case 'basic':
      return credential.apiKey;
    case 'bearer':
    case 'oauth2':
      return credential.accessToken;
    case 'smtp_imap':
      return credential.extra.password;
    case 'webhook_url':
      return credential.extra.webhookUrl;
    case 'none':
      return undefined;
  }
}

/** The last four characters of a long key tell two keys apart and reveal nothing usable; short secrets get none. */
export function secretHint(service: ServiceDefinition, secret: string | undefined): string | null {
  if (secret === undefined || secret.length < 16) return null;
  if (!['api_key', 'bearer', 'basic'].includes(service.auth.method)) return null;
  return `…${secret.slice(-4)}`;
}
