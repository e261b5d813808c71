import { z } from 'zod';
import type { ServiceDefinition } from '../catalog/schema';
import { SophonError } from '../errors';
import type { ResolvedServer } from './client';
import { serverText } from './errors';
import { LOOPBACK_REDIRECT } from '../config/oauth-redirect';

/** What an RFC 7591 registration gave Sophon. `clientSecret` and `registrationAccessToken` are secrets. */
export interface DynamicRegistration {
  clientId: string;
  clientSecret?: string;
  registrationAccessToken?: string;
  registrationClientUri?: string;
}

const RegistrationResponse = z.looseObject({
  client_id: z.string().min(1).max(500),
  client_secret: z.string().min(1).optional(),
  registration_access_token: z.string().min(1).optional(),
  registration_client_uri: z.url().optional(),
});

const ErrorResponse = z.looseObject({ error: z.string().optional(), error_description: z.string().optional() });

/** The server refused to register Sophon: the person is guided to register it by hand. */
export class RegistrationRejected extends SophonError {
  constructor(
    message: string,
    /** The server's own words (its `error` and description, or the HTTP status), for the guided setup. */
    readonly serverAnswer: string,
  ) {
    super('settings_invalid', message);
    this.name = 'RegistrationRejected';
  }
}


/**
 * Registers Sophon at the server's registration endpoint as a native public client (RFC 7591, RFC 8252):
 * loopback redirect, authorization code with PKCE, refresh tokens, `token_endpoint_auth_method: none`
 * unless the server says it does not accept that (it then issues a secret).
 */
export async function registerNativeClient(service: ServiceDefinition, server: ResolvedServer, options: { timeoutSeconds?: number } = {}): Promise<DynamicRegistration> {
  const endpoint = server.metadata.registration_endpoint;
  if (!endpoint) throw new SophonError('internal', `${service.name} has no registration endpoint.`);
  const methods = server.metadata.token_endpoint_auth_methods_supported;
  const grants = ['authorization_code', 'refresh_token'];
  if (server.metadata.device_authorization_endpoint) grants.push('urn:ietf:params:oauth:grant-type:device_code');
  const body = {
    client_name: 'Sophon',
    application_type: 'native',
    redirect_uris: [LOOPBACK_REDIRECT],
    grant_types: grants,
    response_types: ['code'],
    ...(methods === undefined || methods.includes('none') ? { token_endpoint_auth_method: 'none' } : {}),
  };
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout((options.timeoutSeconds ?? 30) * 1000),
    });
  } catch {
    throw new SophonError('unreachable', `Could not reach ${service.name}'s client registration endpoint ${endpoint}.`);
  }
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.status !== 201 && response.status !== 200) {
    const err = ErrorResponse.safeParse(json);
    const code = err.success && err.data.error ? serverText(err.data.error) : '';
    const desc = err.success && err.data.error_description ? serverText(err.data.error_description) : '';
    const answer = code ? `${code}${desc ? ` (${desc})` : ''}` : `HTTP ${response.status}`;
    throw new RegistrationRejected(
      `${service.name} refused to register Sophon as an app (its answer: ${answer}). Register Sophon by hand as a desktop (native) app at ${service.name}, ` +
        `with the redirect URI ${LOOPBACK_REDIRECT} (any port), and give Sophon its client id (Sophon.OAuth.${service.id}.ClientId): \`sophon oauth setup ${service.id}\` walks through it (or the app's setup panel; docs/oauth.md).`,
      answer,
    );
  }
  const parsed = RegistrationResponse.safeParse(json);
  if (!parsed.success) {
    throw new SophonError('unreachable', `${service.name}'s registration endpoint answered ${response.status} without a valid client_id.`);
  }
  const out: DynamicRegistration = { clientId: parsed.data.client_id };
  if (parsed.data.client_secret) out.clientSecret = parsed.data.client_secret;
  if (parsed.data.registration_access_token) out.registrationAccessToken = parsed.data.registration_access_token;
  if (parsed.data.registration_client_uri) out.registrationClientUri = parsed.data.registration_client_uri;
  return out;
}
