import type { ServiceDefinition } from '../catalog/schema';
import { readDistributionClients, type DistributionClient } from './distribution-clients';
import { readRegistrations, registrationsFile, type RegistrationEntry } from './oauth-registrations';
import type { Settings } from './settings';

/**
 * Where a service's OAuth client would come from at the next sign-in, in the order `oauthClientFor`
 * tries them: the person's setting, the distribution file, a registration Sophon made earlier, a
 * registration Sophon may make now (the connector names an issuer and allows it), or none (guided setup).
 */
export type OAuthClientSource = 'setting' | 'distribution' | 'registered' | 'dynamic' | 'none';

/** What the answer for many services is read from: the two files, read once. */
export interface ClientSourceFiles {
  distribution: Record<string, DistributionClient>;
  registrations: Record<string, RegistrationEntry>;
}

export async function readClientSourceFiles(configDir: string, distributionFile: string | null): Promise<ClientSourceFiles> {
  const [distribution, registrations] = await Promise.all([readDistributionClients(distributionFile), readRegistrations(registrationsFile(configDir))]);
  return { distribution, registrations };
}

export function clientSourceOf(service: ServiceDefinition, settings: Settings, files: ClientSourceFiles): OAuthClientSource {
  if (settings.Sophon.OAuth[service.id]) return 'setting';
  if (files.distribution[service.id]) return 'distribution';
  const oauth = service.auth.oauth;
  const registered = files.registrations[service.id];
  // A registration counts only for the issuer it was made at (a connector pointed elsewhere registers again).
  if (registered && oauth?.issuer !== undefined && sameIssuer(registered.Issuer, oauth.issuer)) return 'registered';
  if (oauth?.issuer !== undefined && oauth.dynamicRegistration) return 'dynamic';
  return 'none';
}

const sameIssuer = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** Sources under which a sign-in can start without asking the person for a client first. */
export function clientReady(source: OAuthClientSource): boolean {
  return source === 'setting' || source === 'distribution' || source === 'registered';
}
