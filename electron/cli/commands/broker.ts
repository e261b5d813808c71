import { z } from 'zod';
import { announceBroker, runningBroker } from '../broker-address';
import { when } from '../time';
import { AmbiguousConnectionError } from '../../core/connections/connection-ref';
import type { Core } from '../../core/sophon-core';
import { loadSkill } from '../../core/skills/manifest';
import { chooseGrants } from '../../core/skills/plan';
import { mintBrokerToken } from '../../core/broker/mint';
import { SophonError } from '../../core/errors';
import { validate } from '../../core/validation/parse';
import { startBrokerServer } from '../../server/broker/server';
import {
  brokerProcessCount,
  brokerWorkerRole,
  checkpointUntilStopped,
  isBrokerWorker,
  leavePrimary,
  onPrimaryMessage,
  sendToPrimary,
  startBrokerWorkers,
  startCheckpointer,
  untilPrimaryStops,
  writeAuditBatches,
} from '../../server/broker/workers';
import { AuditAckMessageSchema, AuditPipe, isWriterLost, type AuditBatchMessage } from '../../core/broker/audit-pipe';
import { brokerSettings } from '../../core/broker/settings';
import type { CommandContext } from '../context';
import { resolveRef, withCore } from '../core';
import { ExitCode } from '../exit-codes';
import { untilStopped } from '../signals';

const MintOptions = z
  .object({
    skill: z.string().min(1).max(64).optional(),
    manifest: z.string().min(1).max(4096).optional(),
    tool: z.string().min(1).max(64),
    connection: z.array(z.string().min(1).max(200)).optional(),
    scopes: z.array(z.string().min(1).max(200)).default([]),
    ttl: z.coerce.number().int().min(1).max(86_400).optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => o.skill !== undefined || o.manifest !== undefined, { message: 'name the skill: --manifest <skill folder> (or --skill <name> for a token without a manifest)', path: ['skill'] })
  .refine((o) => o.manifest !== undefined || (o.connection?.length ?? 0) > 0, { message: 'name at least one --connection', path: ['connection'] });

type MintGrant = Parameters<typeof mintBrokerToken>[2]['grants'][number];

/**
 * With `--manifest`, the grants a skill's manifest allows: the connections named (each of a service
 * family the manifest declares for the broker), or the one connection of each declared service, with
 * the manifest's scopes and its methods and paths bound to the token. Refusals are audited.
 */
async function manifestGrants(ctx: CommandContext, core: Core, folder: string, opts: z.output<typeof MintOptions>): Promise<{ skill: string; grants: MintGrant[] }> {
  const skill = await loadSkill(folder);
  const m = skill.manifest;
  if (opts.skill !== undefined && opts.skill !== m.id) throw new SophonError('usage', `--skill ${opts.skill} is not the skill of ${skill.file} (${m.id}); leave --skill out.`);
  if (!m.tools.some((t) => t.name === opts.tool)) throw new SophonError('usage', `Skill ${m.id} has no tool "${opts.tool}"; it has: ${m.tools.map((t) => t.name).join(', ')}.`);
  const refs = [];
  for (const ref of opts.connection ?? []) refs.push(await resolveRef(ctx, core, ref));
  const proxied = { ...m, credentials: m.credentials.filter((c) => c.access === 'proxy') };
  if (proxied.credentials.length === 0) throw new SophonError('usage', `Skill ${m.id} declares no credential it reaches through the broker (access "proxy"): it needs no broker token.`);
  const chosen = await chooseGrants(core, ctx.global.user, proxied, opts.tool, {
    connections: refs,
    pick: (plan) => {
      throw new AmbiguousConnectionError(plan.credential.service, plan.candidates.map((c) => ({ id: c.id, serviceId: c.serviceId, label: c.label })));
    },
  });
  return {
    skill: m.id,
    grants: chosen.map((g) => ({
      record: g.record,
      service: g.service,
      scopes: [...new Set([...g.credential.scopes, ...opts.scopes])],
      calls: { service: g.credential.service, methods: g.credential.methods ?? null, paths: g.credential.paths ?? null },
    })),
  };
}

/** `sophon broker mint`: a broker token for an agent runtime outside Sophon. Prints the token, never a credential. */
export async function brokerMint(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(MintOptions, raw, 'broker mint options');
  return withCore(ctx, async (core) => {
    const { tokens, settings } = await core.createBroker({ userId: ctx.global.user });
    let skill = opts.skill!;
    let grants: MintGrant[] = [];
    if (opts.manifest !== undefined) ({ skill, grants } = await manifestGrants(ctx, core, opts.manifest, opts));
    else {
      for (const ref of opts.connection ?? []) {
        const record = core.connections.resolve(ctx.global.user, await resolveRef(ctx, core, ref));
        grants.push({ record, service: await core.connections.service(record.serviceId), scopes: opts.scopes });
      }
    }
    const { token, binding } = mintBrokerToken(tokens, core.audit, { userId: ctx.global.user, skill, tool: opts.tool, grants, ttlSeconds: opts.ttl ?? settings.TokenTtlSeconds });
    const running = await runningBroker(core.paths.home);
    if (opts.json) {
      ctx.io.json({ token, id: binding.id, skill: binding.skill, tool: binding.tool, connections: binding.connectionIds, allowedHosts: binding.allowedHosts, calls: binding.calls, expiresAt: new Date(binding.expiresAt).toISOString(), brokerUrl: running?.url ?? null });
    } else {
      ctx.io.out(token);
      ctx.io.err(`Token ${binding.id} for ${binding.skill}/${binding.tool} on ${binding.connectionIds.join(', ')}; expires ${when(binding.expiresAt, true)}.`);
      ctx.io.err(running ? `The broker is running at ${running.url}` : 'No broker is running here: start one with `sophon broker serve`.');
    }
    return ExitCode.ok;
  });
}

const RevokeOptions = z.object({ json: z.boolean().optional() });

/** `sophon broker revoke <token-id>`: the token stops working at once, in every broker. */
export async function brokerRevoke(ctx: CommandContext, id: string, raw: unknown): Promise<number> {
  const opts = validate(RevokeOptions, raw, 'broker revoke options');
  return withCore(ctx, async (core) => {
    const { tokens } = await core.createBroker({ userId: ctx.global.user });
    const revoked = tokens.revoke(ctx.global.user, id);
    if (!revoked) throw new SophonError('not_found', `No live broker token ${id.slice(0, 40)} of user ${ctx.global.user}.`);
    for (const connectionId of revoked.connectionIds) {
      core.audit.record({ userId: ctx.global.user, action: 'revoke', outcome: 'ok', connectionId, skill: revoked.skill, tool: revoked.tool, detail: `broker token ${id} revoked` });
    }
    if (opts.json) ctx.io.json({ id, revoked: true, skill: revoked.skill, tool: revoked.tool });
    else ctx.io.out(`Revoked broker token ${id}.`);
    return ExitCode.ok;
  });
}

const ServeOptions = z.object({
  port: z.coerce.number().int().min(0).max(65_535).optional(),
  json: z.boolean().optional(),
});

/**
 * `sophon broker serve`: the proxy on 127.0.0.1 until SIGINT/SIGTERM. With `Sophon.Broker.Workers` other
 * than 1 (the default) this process supervises that many worker processes sharing the port (see
 * electron/server/broker/workers.ts); each worker runs this same command.
 */
export async function brokerServe(ctx: CommandContext, raw: unknown): Promise<number> {
  const opts = validate(ServeOptions, raw, 'broker serve options');
  if (isBrokerWorker()) return brokerWorker(ctx, opts.port);
  return withCore(ctx, async (core) => {
    const workers = brokerProcessCount(brokerSettings(core.settings).Workers);
    let forget = async () => {};
    const announce = async (url: string, p: number) => {
      forget = await announceBroker(core.paths.home, url, p);
      if (opts.json) ctx.io.out(JSON.stringify({ url, port: p }));
      else ctx.io.out(`Sophon broker listening on ${url} (Ctrl-C stops it)`);
    };
    if (workers === 1) {
      const checkpointer = startCheckpointer();
      const { broker, settings, answer, writerLost, drained } = await pipedBroker(ctx, core, (m) => checkpointer.send(m));
      checkpointer.onMessage(answer);
      void checkpointer.lost.then(writerLost);
      try {
        const server = await startBrokerServer(broker, { port: opts.port ?? settings.Port, maxRequestBytes: settings.MaxRequestBytes });
        await announce(server.url, server.port);
        await untilStopped();
        await server.close();
        // Every row is committed (by the worker, or here if it failed) before the worker is told to stop.
        await drained();
      } finally {
        await forget();
        await checkpointer.close();
      }
      return ExitCode.ok;
    }
    let pool;
    try {
      pool = await startBrokerWorkers(workers, (line) => ctx.io.err(`sophon: ${line}`));
    } catch (err) {
      // The worker printed why (a port in use, a vault it could not open); its exit code is the answer.
      ctx.io.err(`sophon: ${err instanceof Error ? err.message : String(err)}`);
      return (err as { exitCode?: number }).exitCode ?? ExitCode.failure;
    }
    await announce(`http://127.0.0.1:${pool.port}`, pool.port);
    const failure = await Promise.race([untilStopped().then(() => undefined), pool.failed]);
    await forget();
    await pool.close();
    return failure ?? ExitCode.ok;
  });
}

/** One worker of `broker serve`: a whole broker on the shared port, stopped by the primary only. */
async function brokerWorker(ctx: CommandContext, portOption: number | undefined): Promise<number> {
  const stop = untilPrimaryStops();
  try {
    return await withCore(ctx, async (core) => {
      if (brokerWorkerRole() === 'checkpoint') {
        writeAuditBatches((rows, batchId) => core.audit.commit(rows, batchId));
        await checkpointUntilStopped(core.walCheckpoints.checkpoint, stop);
        return ExitCode.ok;
      }
      // Rows go through the primary to the checkpointing worker; the primary tells when that writer is gone.
      const { broker, settings, answer, writerLost, drained } = await pipedBroker(ctx, core, sendToPrimary);
      onPrimaryMessage((m) => (isWriterLost(m) ? writerLost() : answer(m)), writerLost);
      const server = await startBrokerServer(broker, { port: portOption ?? settings.Port, maxRequestBytes: settings.MaxRequestBytes });
      await stop;
      await server.close();
      await drained();
      return ExitCode.ok;
    });
  } finally {
    leavePrimary();
  }
}

/**
 * A broker whose audit rows are hashed and inserted by the checkpointing worker, not between calls here
 * (audit-pipe.ts), with that worker's WAL checkpoints instead of SQLite's automatic ones. `send` reaches
 * the writer (directly, or through the primary); its answers go to `answer`; `writerLost` when it is gone
 * (this process then writes, and checkpoints, itself). The chain's new ends are signed here: this process
 * holds the vault key, the writer never does.
 */
async function pipedBroker(ctx: CommandContext, core: Core, send: (message: AuditBatchMessage) => boolean) {
  const resumeAuto = core.walCheckpoints.pauseAuto();
  let pipe: AuditPipe | undefined;
  const created = await core.createBroker({
    userId: ctx.global.user,
    audit: (inline) => (pipe = new AuditPipe(send, inline, (head) => core.audit.advanceHead(head))),
  });
  // Once drained, the core closes: the channel closing after that is no news (and sophon.db is shut).
  let done = false;
  return {
    ...created,
    answer: (m: unknown) => {
      const ack = AuditAckMessageSchema.safeParse(m);
      if (ack.success) pipe?.acknowledged(ack.data);
    },
    writerLost: () => {
      if (done) return;
      pipe?.writerLost();
      resumeAuto();
    },
    drained: async () => {
      await pipe?.drained();
      done = true;
    },
  };
}
