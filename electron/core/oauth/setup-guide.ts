import type { OAuthSetup, ServiceDefinition } from '../catalog/schema';
import { LOOPBACK_REDIRECT } from '../config/oauth-redirect';

/**
 * What a person needs to register Sophon at a service by hand, as the CLI (`sophon oauth setup`) and the
 * app's setup panel show it. A connector without `setup` facts gets the generic advice (a native app,
 * the loopback redirect). Plain data: no openid-client, no network.
 */
export interface SetupGuide {
  consoleUrl: string | null;
  appType: string | null;
  redirect: OAuthSetup['redirect'];
  /** The redirect URIs to enter in the console (none when the app type needs none). */
  redirectUris: string[];
  steps: string[];
  scopes: string[];
  secretRequired: boolean;
  deviceFlow: boolean;
  verified: string | null;
}

export function setupGuide(service: ServiceDefinition): SetupGuide {
  const oauth = service.auth.oauth;
  const setup = oauth?.setup;
  const redirect = setup?.redirect ?? 'loopback';
  // Slack-style services ask for their real scopes in an extra parameter (`user_scope`).
  const extraScopes = (oauth?.extraAuthorizationParams.user_scope ?? '').split(/[\s,]+/).filter(Boolean);
  return {
    consoleUrl: setup?.consoleUrl ?? null,
    appType: setup?.appType ?? null,
    redirect,
    redirectUris: redirect === 'loopback' ? [LOOPBACK_REDIRECT] : redirect === 'loopback-fixed-port' ? [fixedPortRedirect(setup?.redirectPort ?? 0)] : [],
    steps: setup?.steps ?? [],
    scopes: [...new Set([...service.defaultScopes, ...extraScopes])],
    secretRequired: oauth?.clientSecretRequired ?? false,
    deviceFlow: oauth?.deviceAuthorizationUrl !== undefined,
    verified: setup?.verified ?? null,
  };
}

/** The redirect rule in words, for the CLI and docs. */
export function redirectRuleText(guide: Pick<SetupGuide, 'redirect' | 'redirectUris'>): string {
  if (guide.redirect === 'loopback') return `${LOOPBACK_REDIRECT} (Sophon listens on a port it picks per sign-in; the server must accept any port on 127.0.0.1, as RFC 8252 §7.3 asks)`;
  if (guide.redirect === 'loopback-fixed-port') return `${guide.redirectUris[0] ?? ''} exactly (this provider matches the port too, so Sophon always listens on that one)`;
  return 'nothing to enter: this app type accepts a loopback redirect on any port';
}

/** The redirect URI of a provider that matches the port exactly. */
export function fixedPortRedirect(port: number): string {
  return `http://127.0.0.1:${port}/callback`;
}
