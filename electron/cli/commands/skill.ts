import { withArticle } from '../../../shared/auth-names';
import { z } from 'zod';
import { AmbiguousConnectionError } from '../../core/connections/connection-ref';
import type { ConnectionRecord } from '../../core/connections/connection-store';
import { scopesKnown } from '../../core/broker/mint';
import { loadSkill } from '../../core/skills/manifest';
import { chooseGrants, overallRisk, planCredentials, type CredentialPlan } from '../../core/skills/plan';
import { injectedEnvName, runSkill } from '../../core/skills/run';
import { validate } from '../../core/validation/parse';
import { startBrokerServer } from '../../server/broker/server';
import type { CommandContext } from '../context';
import { withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';
import { choose } from '../prompt';

const RunOptions = z.object({
  tool: z.string().min(1).max(64),
  connection: z.array(z.string().min(1).max(200)).default([]),
});

/** `sophon skill run <folder> --tool T [--connection C …] [-- args]`: exits with the skill's exit code. */
export async function skillRun(ctx: CommandContext, folder: string, args: string[] | undefined, raw: unknown): Promise<number> {
  const opts = validate(RunOptions, raw, 'skill run options');
  const skill = await loadSkill(folder);
  return withCore(ctx, async (core) => {
    const pick = async (plan: CredentialPlan): Promise<ConnectionRecord> => {
      const choices = plan.candidates.map((c) => ({ id: c.id, serviceId: c.serviceId, label: c.label }));
      const picked = await choose(
        ctx.io,
        `Skill ${skill.manifest.id} needs ${withArticle(plan.service?.name ?? plan.credential.service)} connection; which one?`,
        plan.candidates.map((c) => ({ value: c.id, name: `${c.label}  (${c.id})` })),
      );
      if (picked === undefined) throw new AmbiguousConnectionError(plan.credential.service, choices);
      return plan.candidates.find((c) => c.id === picked)!;
    };
    const grants = await chooseGrants(core, ctx.global.user, skill.manifest, opts.tool, { connections: opts.connection, pick });
    const result = await runSkill(core, {
      userId: ctx.global.user,
      skill,
      tool: opts.tool,
      args: args ?? [],
      grants,
      env: ctx.env,
      stdout: (b) => process.stdout.write(b),
      stderr: (b) => process.stderr.write(b),
      startProxy: (broker, maxRequestBytes) => startBrokerServer(broker, { maxRequestBytes }),
    });
    return result.exitCode;
  });
}

const InspectOptions = z.object({ json: z.boolean().optional() });

/** `sophon skill inspect <folder>`: what the skill asks for, whether you can grant it, and its risk. */
export async function skillInspect(ctx: CommandContext, folder: string, raw: unknown): Promise<number> {
  const opts = validate(InspectOptions, raw, 'skill inspect options');
  const skill = await loadSkill(folder);
  return withCore(ctx, async (core) => {
    const plans = await planCredentials(core, ctx.global.user, skill.manifest);
    const m = skill.manifest;
    const credentials = plans.map((p) => ({
      service: p.credential.service,
      serviceName: p.service?.name ?? null,
      inCatalog: p.service !== null,
      scopes: p.credential.scopes,
      access: p.credential.access,
      methods: p.credential.methods ?? null,
      paths: p.credential.paths ?? null,
      risk: p.risk,
      why: p.why,
      envVar: p.credential.access === 'injected' ? injectedEnvName(p.credential.service) : null,
      connections: p.candidates.map((c) => ({
        id: c.id,
        serviceId: c.serviceId,
        label: c.label,
        state: c.state,
        missingScopes: p.services.get(c.id) && scopesKnown(p.services.get(c.id)!) ? p.credential.scopes.filter((s) => !c.scopes.includes(s)) : [],
      })),
      help: p.help,
      hosts: p.service?.allowedHosts ?? [],
    }));
    const risk = overallRisk(plans);
    if (opts.json) {
      ctx.io.json({ id: m.id, name: m.name, description: m.description, folder: skill.folder, tools: m.tools.map((t) => ({ name: t.name, description: t.description, command: t.command })), credentials, risk });
      return ExitCode.ok;
    }
    ctx.io.out(`${m.name} (${m.id})${m.description ? ` — ${m.description}` : ''}`);
    ctx.io.out(`Tools: ${m.tools.map((t) => t.name).join(', ')}`);
    const riskText = risk === 'high' ? paint(ctx.io, 'red', 'HIGH') : risk === 'medium' ? paint(ctx.io, 'yellow', 'medium') : paint(ctx.io, 'green', 'low');
    ctx.io.out(`Risk: ${riskText}`);
    if (credentials.length === 0) ctx.io.out('Credentials: none');
    else
      ctx.io.out(
        table([
          ['SERVICE', 'ACCESS', 'SCOPES', 'RISK', 'YOUR CONNECTIONS'],
          ...credentials.map((c) => [
            c.inCatalog ? c.service : `${c.service} (not in catalog)`,
            c.access,
            c.scopes.join(' ') || '-',
            c.risk,
            c.connections.map((x) => `${x.id}${x.missingScopes.length ? ` (missing ${x.missingScopes.join(' ')})` : ''}`).join(', ') || `none: ${c.help}`,
          ]),
        ]),
      );
    for (const c of credentials.filter((x) => x.risk !== 'low')) ctx.io.out(`${c.service}: ${c.why} (${c.envVar}).`);
    return ExitCode.ok;
  });
}
