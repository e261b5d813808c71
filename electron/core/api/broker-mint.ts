import { withArticle } from '../../../shared/auth-names';
import { z } from 'zod';
import type { OPERATIONS, Out } from '../../../shared/contract';
import { mintBrokerToken } from '../broker/mint';
import { brokerSettings } from '../broker/settings';
import type { ServiceDefinition } from '../catalog/schema';
import type { ConnectionRecord } from '../connections/connection-store';
import { SophonError } from '../errors';
import type { ErrorCode } from '../../../shared/errors';
import { proxyRefusal } from '../import/broker-policy';
import { familyMembers, whatHelps } from '../skills/what-helps';
import type { Core } from '../sophon-core';
import type { ConnectionChoices } from './connection-choice';

type MintInput = z.output<(typeof OPERATIONS)['broker.mint']['input']>;

/** `Sophon.Broker.ChooseWaitSeconds`: how long a call waits for the person to pick a connection. */
export function chooseWaitMs(core: Pick<Core, 'settings'>): number {
  return brokerSettings(core.settings).ChooseWaitSeconds * 1000;
}

export interface BrokerMintDeps {
  core: Core;
  choices: ConnectionChoices;
  /** Overrides Sophon.Broker.ChooseWaitSeconds (tests). */
  chooseTimeoutMs?: number;
  /** The broker proxy this door runs, if any. */
  brokerUrl?: () => string | null;
}

const REVOKED_WHILE_WAITING = 'The API token that asked for this broker token was revoked before it was issued; none was minted.';

const describe = (r: ConnectionRecord) => `${r.id} (${r.label}${r.account ? `, ${r.account}` : ''})`;

/**
 * `broker.mint` for one caller: picks the connection — the one named, the only one of the service, or
 * the one the person picks in their UI — then mints as `sophon broker mint` does (same scope checks and
 * audit rows). Every refusal on the way is audited as a denied `broker_mint` under the skill and tool.
 */
export async function mintForCaller(deps: BrokerMintDeps, userId: string, input: MintInput, signal?: AbortSignal): Promise<Out<'broker.mint'>> {
  const { core } = deps;
  const deny = (code: ErrorCode, message: string, record?: ConnectionRecord, serviceId?: string): never => {
    core.audit.record({
      userId,
      action: 'broker_mint',
      outcome: 'denied',
      connectionId: record?.id ?? null,
      serviceId: record?.serviceId ?? serviceId ?? null,
      skill: input.skill,
      tool: input.tool,
      detail: message.slice(0, 500),
    });
    throw new SophonError(code, message);
  };
  const who = `Skill ${input.skill} (tool ${input.tool})`;

  let record: ConnectionRecord;
  let service: ServiceDefinition;
  let chosenBy: Out<'broker.mint'>['chosenBy'];
  if (input.connection !== undefined) {
    // A reference that fits several connections is refused here listing them (ambiguous), as in the CLI.
    record = core.connections.resolve(userId, input.connection);
    service = await core.connections.service(record.serviceId);
    chosenBy = 'caller';
    const policy = proxyRefusal(record, service);
    if (policy) deny('auth_failed', policy, record);
  } else {
    const serviceId = input.service!;
    const { entries } = await core.connections.catalog();
    const found = entries.find((e) => e.service.id === serviceId)?.service;
    if (!found) deny('not_found', `${who} asks for the service "${serviceId}", which is not in the catalog (\`sophon connect list --available\`).`, undefined, serviceId);
    const asked = found!;
    // Any connection of the service's family will do (GitHub: OAuth app, personal access token, imported gh login).
    const members = new Map(familyMembers(entries, asked).map((s) => [s.id, s]));
    const candidates = core.connections.records(userId).filter((r) => members.has(r.serviceId));
    if (candidates.length === 0) {
      deny('auth_failed', `${who} needs ${withArticle(asked.name)} connection and you have none: ${whatHelps(entries, asked)} (or Add connection in the app).`, undefined, serviceId);
    }
    // A connection the broker must never attach is not offered: picking it could only fail.
    const usable = candidates.filter((r) => proxyRefusal(r, members.get(r.serviceId)) === null);
    if (usable.length === 0) deny('auth_failed', proxyRefusal(candidates[0]!, members.get(candidates[0]!.serviceId))!, candidates[0]);
    if (usable.length === 1) {
      record = usable[0]!;
      chosenBy = 'only';
    } else {
      record = await askPerson(deps, userId, input, asked, usable, deny, signal);
      chosenBy = 'person';
    }
    const own = members.get(record.serviceId);
    if (!own) deny('forbidden', `${record.id} is not ${withArticle(asked.name)} connection.`, record);
    service = own!;
  }

  // A token nobody may receive is never minted.
  if (signal?.aborted) deny('unauthorized', REVOKED_WHILE_WAITING, record, service.id);
  const tokens = core.brokerTokens();
  const settings = brokerSettings(core.settings);
  const { token, binding } = mintBrokerToken(tokens, core.audit, {
    userId,
    skill: input.skill,
    tool: input.tool,
    grants: [{ record, service, scopes: input.scopes ?? [] }],
    ttlSeconds: input.ttlSeconds ?? settings.TokenTtlSeconds,
  });
  return {
    token,
    id: binding.id,
    skill: binding.skill,
    tool: binding.tool,
    connectionId: record.id,
    serviceId: record.serviceId,
    scopes: binding.scopes[record.id] ?? [],
    allowedHosts: binding.allowedHosts[record.id] ?? [],
    expiresAt: new Date(binding.expiresAt).toISOString(),
    chosenBy,
    brokerUrl: deps.brokerUrl?.() ?? null,
  };
}

async function askPerson(
  deps: BrokerMintDeps,
  userId: string,
  input: MintInput,
  service: ServiceDefinition,
  usable: ConnectionRecord[],
  deny: (code: ErrorCode, message: string, record?: ConnectionRecord, serviceId?: string) => never,
  signal?: AbortSignal,
): Promise<ConnectionRecord> {
  const { core } = deps;
  const timeoutMs = deps.chooseTimeoutMs ?? chooseWaitMs(core);
  const outcome = await deps.choices.ask(
    userId,
    {
      skill: input.skill,
      tool: input.tool,
      serviceId: service.id,
      serviceName: service.name,
      options: usable.map((r) => ({ id: r.id, label: r.label, account: r.account, state: r.state === 'pending' ? 'error' : r.state })),
    },
    timeoutMs,
    signal,
  );
  const list = usable.map(describe).join(', ');
  const who = `skill ${input.skill} (tool ${input.tool})`;
  switch (outcome.kind) {
    case 'unattended':
      return deny('ambiguous', `You have ${usable.length} ${service.name} connections — ${list} — and no Sophon window is open to ask which one ${who} should use. Name one as "connection".`, undefined, service.id);
    case 'timeout':
      return deny('ambiguous', `Nobody picked which ${service.name} connection ${who} should use within ${Math.ceil(timeoutMs / 1000)} s (${list}). Name one as "connection", or answer in the Sophon window.`, undefined, service.id);
    case 'aborted':
      return deny('unauthorized', REVOKED_WHILE_WAITING, undefined, service.id);
    case 'cancelled':
      return deny('forbidden', `You declined: ${who} may not use ${withArticle(service.name)} connection for this call.`, undefined, service.id);
    case 'picked': {
      // It may have been removed while the question was open.
      const picked = core.connections.records(userId).find((r) => r.id === outcome.connectionId);
      if (!picked) return deny('not_found', `The connection ${outcome.connectionId} was removed while you were choosing.`, undefined, service.id);
      return picked;
    }
  }
}
