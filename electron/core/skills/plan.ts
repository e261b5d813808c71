import { withArticle } from '../../../shared/auth-names';
import { scopesKnown } from '../broker/mint';
import { familyOf, type ServiceDefinition } from '../catalog/schema';
import type { ConnectionRecord } from '../connections/connection-store';
import { SophonError } from '../errors';
import { proxyRefusal } from '../import/broker-policy';
import type { Core } from '../sophon-core';
import type { SkillCredential, SkillManifest } from './manifest';
import { whatHelps } from './what-helps';

export type Risk = 'low' | 'medium' | 'high';

export interface CredentialPlan {
  credential: SkillCredential;
  /** The service the manifest names. */
  service: ServiceDefinition | null;
  /** Candidate connections: those of any service of its family (OAuth, token, imported CLI login). */
  candidates: ConnectionRecord[];
  /** The service of each candidate, by connection id. */
  services: Map<string, ServiceDefinition>;
  /** What can give the person a connection that satisfies it (for an error). */
  help: string;
  risk: Risk;
  why: string;
}

/** Whether a credential is risky: injected static keys are high (they outlive the run), injected OAuth medium. */
export function riskOf(credential: SkillCredential, service: ServiceDefinition | null): { risk: Risk; why: string } {
  if (credential.access === 'proxy') return { risk: 'low', why: 'calls go through the broker; the skill never holds the credential' };
  if (service?.auth.method === 'oauth2') return { risk: 'medium', why: 'the current OAuth access token is put in the skill\'s environment (it expires, but the skill holds it)' };
  return { risk: 'high', why: 'the long-lived secret itself is put in the skill\'s environment; the skill could keep or send it anywhere' };
}

export function overallRisk(plans: { risk: Risk }[]): Risk {
  return plans.some((p) => p.risk === 'high') ? 'high' : plans.some((p) => p.risk === 'medium') ? 'medium' : 'low';
}

/** What each credential of a manifest would use, without deciding between several connections. */
export async function planCredentials(core: Core, userId: string, manifest: SkillManifest): Promise<CredentialPlan[]> {
  const catalog = await core.connections.catalog();
  const records = core.connections.records(userId);
  const byId = new Map(catalog.entries.map((e) => [e.service.id, e.service]));
  return manifest.credentials.map((credential) => {
    const service = byId.get(credential.service) ?? null;
    const services = new Map<string, ServiceDefinition>();
    const candidates = records.filter((r) => {
      const own = byId.get(r.serviceId);
      if (!own || !(r.serviceId === credential.service || (service && familyOf(own) === familyOf(service)))) return false;
      services.set(r.id, own);
      return true;
    });
    const help = service ? whatHelps(catalog.entries, service) : `\`sophon connect add ${credential.service}\``;
    return { credential, service, candidates, services, help, ...riskOf(credential, service) };
  });
}

/**
 * The planner's refusal when the person has no connection that satisfies a credential: a fix only they can
 * make (add one, or import a CLI login), so a caller that can ask them (the MCP door) may, then plan again.
 */
export class MissingConnection extends SophonError {
  constructor(
    message: string,
    /** The service the manifest names. */
    readonly serviceId: string,
    readonly serviceName: string,
    /** The commands that give the person such a connection (`whatHelps`). */
    readonly help: string,
  ) {
    super('auth_failed', message);
  }
}

export interface ChosenGrant {
  credential: SkillCredential;
  service: ServiceDefinition;
  record: ConnectionRecord;
}

/**
 * Picks the connection of each credential and refuses, before anything runs, a service that is not in
 * the catalog or has no connection (a `MissingConnection`), a scope that was not granted, and an imported login the broker must
 * never attach. Each refusal carries the fix and is audited.
 */
export async function chooseGrants(
  core: Core,
  userId: string,
  manifest: SkillManifest,
  tool: string,
  options: { connections: string[]; pick: (plan: CredentialPlan) => Promise<ConnectionRecord> },
): Promise<ChosenGrant[]> {
  const refuse = (err: SophonError, record?: ConnectionRecord, serviceId?: string): never => {
    core.audit.record({ userId, action: 'broker_mint', outcome: 'denied', connectionId: record?.id ?? null, serviceId: record?.serviceId ?? serviceId ?? null, skill: manifest.id, tool, detail: err.message.slice(0, 500) });
    throw err;
  };
  const deny = (message: string, record?: ConnectionRecord, serviceId?: string, code: 'auth_failed' | 'forbidden' = 'auth_failed'): never => refuse(new SophonError(code, message), record, serviceId);
  const named = options.connections.map((ref) => core.connections.resolve(userId, ref));
  const grants: ChosenGrant[] = [];
  for (const plan of await planCredentials(core, userId, manifest)) {
    const c = plan.credential;
    if (!plan.service) deny(`Skill ${manifest.id} asks for the service "${c.service}", which is not in the catalog (sophon connect list --available).`, undefined, c.service);
    const asked = plan.service!;
    const chosenByFlag = named.filter((r) => plan.services.has(r.id));
    let record: ConnectionRecord;
    if (chosenByFlag.length > 1) throw new SophonError('usage', `Several --connection values are ${c.service} connections; name one.`);
    if (chosenByFlag.length === 1) record = chosenByFlag[0]!;
    else if (plan.candidates.length === 0) refuse(new MissingConnection(`Skill ${manifest.id} needs ${withArticle(asked.name)} connection and you have none: ${plan.help}.`, c.service, asked.name, plan.help), undefined, c.service);
    else if (plan.candidates.length === 1) record = plan.candidates[0]!;
    else record = await options.pick(plan);
    record = record!;
    const service = plan.services.get(record.id)!;
    // Scopes are known only of an OAuth grant Sophon made; a token has whatever its issuer gave it.
    const missing = scopesKnown(service) ? c.scopes.filter((s) => !record.scopes.includes(s)) : [];
    if (missing.length) {
      deny(
        `Skill ${manifest.id} needs the scope(s) ${missing.join(' ')} on ${record.label} (${record.id}), which were not granted: \`sophon connect reauth ${record.id} --scopes ${[...new Set([...record.scopes, ...c.scopes])].join(' ')}\`.`,
        record,
      );
    }
    if (c.access === 'proxy') {
      const policy = proxyRefusal({ serviceId: record.serviceId, fields: record.fields }, service);
      if (policy) deny(policy, record);
    }
    grants.push({ credential: c, service, record });
  }
  for (const r of named) {
    if (grants.some((g) => g.record.id === r.id)) continue;
    const declared = manifest.credentials.map((x) => x.service).join(', ') || 'no service';
    deny(`${r.id} is ${withArticle(r.serviceId)} connection, which the manifest of skill ${manifest.id} does not declare (it declares ${declared}).`, r, undefined, 'forbidden');
  }
  return grants;
}
