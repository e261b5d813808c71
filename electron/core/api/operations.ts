import type { z } from 'zod';
import type { EventPayload, OPERATIONS, Out } from '../../../shared/contract';
import type { EventName, OperationName } from '../../../shared/operations';
import type { Connection } from '../../../shared/connections';
import type { ApiCaller } from '../api-tokens/token-store';
import type { ServiceDefinition } from '../catalog/schema';
import { clientSecretSet, updateOAuthClients } from '../config/oauth-clients';
import { clientReady, clientSourceOf, readClientSourceFiles, type ClientSourceFiles } from '../config/oauth-client-source';
import { setUpOAuthClient } from '../config/oauth-setup';
import { setupGuide } from '../oauth/setup-guide';
import type { Settings } from '../config/settings';
import { writeSettings } from '../config/settings-writer';
import { toConnection } from '../connections/connection-service';
import { SophonError } from '../errors';
import type { AgentPolicy } from '../mcp/agent-store';
import type { ApprovalDesk } from '../mcp/approval-queue';
import { clientConfig, type Launch } from '../mcp/clients';
import { mcpTokenStore } from '../mcp/tokens';
import { logFilePath } from '../log/log';
import type { Core } from '../sophon-core';
import { mintForCaller } from './broker-mint';
import { ConnectionChoices } from './connection-choice';

export type McpHttpStatus = Out<'agents.httpServer'>;

/** The MCP HTTP server a door runs (electron/server/mcp/http-control.ts): its state, and the person's on/off. */
export interface McpHttpControl {
  status(): McpHttpStatus;
  setEnabled(enabled: boolean): Promise<McpHttpStatus>;
}

/** Who is calling: a REST token's user, or the desktop app's local person. */
export type Caller = Pick<ApiCaller, 'userId' | 'isAdmin'>;

type Input<K extends OperationName> = z.output<(typeof OPERATIONS)[K]['input']>;
/** `signal` aborts when the caller may no longer have the answer (its API token was revoked meanwhile). */
export type OperationImpl<K extends OperationName> = (caller: Caller, input: Input<K>, signal?: AbortSignal) => Promise<Out<K>>;
export type OperationImpls = { [K in OperationName]: OperationImpl<K> };

export interface OperationContext {
  core: Core;
  /**
   * The user this door runs as: `sophon dashboard --user U` (default $SOPHON_USER, else "default"), or
   * the desktop app's person. Only callers of this user may use operations that read this machine's own
   * stores (CLI logins, environment): those are the owner's, whatever user a token names.
   */
  ownerUserId: string;
  /**
   * Delivers an event to one user's subscribers (IPC window or SSE streams), returning how many it
   * reached (EventHub.emit does); a door that cannot tell returns nothing and is taken as listening.
   */
  emit: <E extends EventName>(userId: string, event: E, payload: EventPayload<E>) => number | void;
  /** Opens an OAuth authorization URL in the system browser; absent: the URL only goes to the UI (oauth.progress). */
  openExternal?: (url: string) => Promise<void>;
  /** Called after an operation changed connections, so `connections.changed` goes out without waiting for the poll. */
  changed?: () => void;
  /** How long an OAuth sign-in may take (default 5 minutes). */
  oauthTimeoutMs?: number;
  /** How long `broker.mint` waits for the person to pick a connection (default Sophon.Broker.ChooseWaitSeconds, 120 s). */
  chooseTimeoutMs?: number;
  /** The questions to the person this door answers (the dashboard shares them with `sophon mcp`'s store questions); absent: its own. */
  choices?: ConnectionChoices;
  /** The broker proxy this door runs (the desktop app's), returned with each minted token; absent: null. */
  brokerUrl?: () => string | null;
  /** Where MCP approvals for clients that cannot ask are answered (this door's windows); absent: none are listed. */
  approvals?: ApprovalDesk;
  /** The MCP HTTP server this door runs; absent: agents.httpServer says it is off, setHttpServer refuses. */
  mcpHttp?: McpHttpControl;
  /**
   * How an MCP client launches `sophon mcp` from this machine (agents.install), for `userId`; null when this door
   * cannot tell (the app with no `sophon` command on PATH). Absent: agents.install is refused.
   */
  mcpLaunch?: (userId: string) => Promise<Launch | null>;
  /** The owner's home folder and environment, where MCP clients keep their configuration (default: this process's). */
  clientHome?: { home: string; env: NodeJS.ProcessEnv };
}

const requireAdmin = (caller: Caller, what: string) => {
  if (!caller.isAdmin) throw new SophonError('forbidden', `Only an admin token may ${what}.`);
};

// An admin flag does not make a token the owner's: an admin of another user still may not take the owner's logins.
const requireOwner = (caller: Caller, ownerUserId: string, what: string) => {
  if (caller.userId !== ownerUserId) {
    throw new SophonError('forbidden', `Only the user this Sophon runs as may ${what}: they are that person's, not user ${caller.userId}'s.`);
  }
};

/**
 * The one implementation of every contract operation over the core, used by both doors (Electron IPC
 * and the REST server): user scoping, admin checks, and shaping results to the contract. Inputs arrive
 * already validated against the contract (see dispatch.ts); outputs are parsed against it there too.
 */
export function createOperations(ctx: OperationContext): OperationImpls {
  const { core } = ctx;
  const changed = () => ctx.changed?.();
  const choices = ctx.choices ?? new ConnectionChoices({
    announce: (userId, payload) => {
      const reached = ctx.emit(userId, 'connection.choose', payload);
      return typeof reached === 'number' ? reached : 1;
    },
  });

  const oauthInteraction = (caller: Caller, serviceId: string, connectionId: string | null, scopes: string[] | undefined, device = false) => {
    let url = '';
    return {
      how: {
        scopes,
        device,
        timeoutMs: ctx.oauthTimeoutMs,
        // A device sign-in happens in a browser anywhere (a phone): the code and its address go to the UI only.
        onDeviceCode: (code: { userCode: string; verificationUri: string; verificationUriComplete?: string; expiresAt: number }) => {
          url = code.verificationUriComplete ?? code.verificationUri;
          ctx.emit(caller.userId, 'oauth.progress', {
            serviceId,
            connectionId,
            authorizationUrl: url,
            phase: 'waiting',
            message: null,
            device: { userCode: code.userCode, verificationUri: code.verificationUri, verificationUriComplete: code.verificationUriComplete ?? null, expiresAt: new Date(code.expiresAt).toISOString() },
          });
        },
        openUrl: async (authorizationUrl: string) => {
          url = authorizationUrl;
          ctx.emit(caller.userId, 'oauth.progress', { serviceId, connectionId, authorizationUrl, phase: 'waiting', message: null });
          // A browser that cannot be opened is not fatal: the UI shows the link.
          await ctx.openExternal?.(authorizationUrl).catch(() => undefined);
        },
      },
      done: (connection: string | null, err?: unknown) => {
        if (!url) return;
        ctx.emit(caller.userId, 'oauth.progress', {
          serviceId,
          connectionId: connection,
          authorizationUrl: url,
          phase: err === undefined ? 'completed' : 'failed',
          message: err === undefined ? null : err instanceof SophonError ? err.message : 'The sign-in failed.',
        });
      },
    };
  };

  const clientFiles = () => readClientSourceFiles(core.paths.configDir, core.oauthDistributionFile);
  const summaryOf = async (serviceId: string) => {
    const entry = (await core.connections.catalog()).entries.find((e) => e.service.id === serviceId);
    if (!entry) throw new SophonError('not_found', `No service "${serviceId}" in the catalog.`);
    return summarize(entry.service, entry.source.kind, core.settings, await clientFiles());
  };

  const settingsView = (): Out<'settings.get'>['settings'] => {
    const s = core.settings.Sophon;
    return {
      settingsFile: core.paths.settingsFile,
      vault: { provider: s.Vault.Provider, keyProtector: s.Vault.KeyProtector, keychainService: s.Vault.KeychainService },
      oauthClients: Object.fromEntries(Object.entries(s.OAuth).map(([id, c]) => [id, { clientId: c.ClientId, clientSecretSet: clientSecretSet(core.settings, id) }])),
      broker: {
        tokenTtlSeconds: s.Broker.TokenTtlSeconds,
        port: s.Broker.Port,
        maxRequestBytes: s.Broker.MaxRequestBytes,
        maxResponseBytes: s.Broker.MaxResponseBytes,
        reauthWaitSeconds: s.Broker.ReauthWaitSeconds,
        chooseWaitSeconds: s.Broker.ChooseWaitSeconds,
        workers: s.Broker.Workers,
        upstreamTimeoutSeconds: s.Broker.UpstreamTimeoutSeconds,
      },
      logFile: logFilePath(core.paths.home),
      ui: { theme: s.Ui.Theme },
    };
  };

  return {
    'session.info': async (caller) => ({ userId: caller.userId, isAdmin: caller.isAdmin }),

    'services.list': async () => {
      const catalog = await core.connections.catalog();
      const files = await clientFiles();
      return {
        services: catalog.entries.map(({ service, source }) => summarize(service, source.kind, core.settings, files)),
        connectorProblems: catalog.problems,
      };
    },

    'services.discover': async (caller, input) => {
      requireAdmin(caller, 'add a service to the catalog (connector files are every user\'s)');
      const byUrl = await import('../connections/connect-by-url');
      const made = input.kind === 'api'
        ? await byUrl.connectorForApi(core.paths.connectorsDir, input.url, { id: input.id })
        : await byUrl.connectorForIssuer(core.paths.connectorsDir, input.url, { id: input.id });
      core.connections.forgetCatalog();
      return { service: await summaryOf(made.id) };
    },

    'oauth.setup': async (caller, input) => {
      requireAdmin(caller, 'set up the OAuth client Sophon signs in as');
      const service = await core.connections.service(input.serviceId);
      await setUpOAuthClient({ settingsFile: core.paths.settingsFile, settings: core.settings, secrets: core.systemSecrets }, service, { clientId: input.clientId, clientSecret: input.clientSecret });
      return { service: await summaryOf(service.id) };
    },

    'connections.list': async (caller) => ({ connections: await core.connections.list(caller.userId) }),

    'connections.get': async (caller, input) => ({ connection: await core.connections.status(caller.userId, input.connection) }),

    'connections.add': async (caller, input) => {
      const oauth = oauthInteraction(caller, input.serviceId, null, input.scopes, input.device);
      try {
        const result = await core.connections.add(caller.userId, {
          serviceId: input.serviceId,
          label: input.label,
          secret: input.secret,
          fields: input.fields,
          secretFields: input.secretFields,
          test: input.test,
          oauth: oauth.how,
        });
        oauth.done(result.connection.id);
        return result;
      } catch (err) {
        oauth.done(null, err);
        throw err;
      } finally {
        changed();
      }
    },

    'connections.test': async (caller, input) => {
      try {
        return await core.connections.test(caller.userId, input.connection);
      } finally {
        changed();
      }
    },

    'connections.reauth': async (caller, input) => {
      const record = core.connections.resolve(caller.userId, input.connection);
      const oauth = oauthInteraction(caller, record.serviceId, record.id, input.scopes, input.device);
      try {
        const connection = await core.connections.reauth(caller.userId, record.id, oauth.how);
        oauth.done(record.id);
        return { connection };
      } catch (err) {
        oauth.done(record.id, err);
        throw err;
      } finally {
        changed();
      }
    },

    'connections.update': async (caller, input) => {
      try {
        return await core.connections.update(caller.userId, input.connection, { secret: input.secret, test: input.test });
      } finally {
        changed();
      }
    },

    'connections.rename': async (caller, input) => {
      const connection = await core.connections.rename(caller.userId, input.connection, input.label);
      changed();
      return { connection };
    },

    'connections.remove': async (caller, input) => {
      const result = await core.connections.remove(caller.userId, input.connection);
      changed();
      return result;
    },

    'connections.refresh': async (caller, input) => {
      try {
        return { connection: await core.refreshConnection(caller.userId, input.connection) };
      } finally {
        changed();
      }
    },

    'imports.scan': async (caller) => {
      requireOwner(caller, ctx.ownerUserId, 'scan the CLI logins and environment of this machine');
      const scan = await (await core.imports()).scan(caller.userId);
      // Only the views: `found` carries the secrets the importer read.
      return { logins: scan.logins, sources: scan.sources };
    },

    'imports.run': async (caller, input) => {
      requireOwner(caller, ctx.ownerUserId, 'import the CLI logins and environment of this machine');
      const importer = await core.imports();
      try {
        const scan = await importer.scan(caller.userId);
        const result = await importer.import(caller.userId, scan, input.keys, { copy: input.copy });
        return { imported: result.imported, skipped: result.skipped };
      } finally {
        changed();
      }
    },

    'audit.query': async (caller, input) => {
      const userId = input.userId ?? caller.userId;
      if (userId !== caller.userId) requireAdmin(caller, "read another user's audit trail");
      const connectionId = input.connection === undefined ? undefined : core.connections.historyId(userId, input.connection);
      const filter = {
        userId,
        connectionId,
        skill: input.skill,
        action: input.action,
        since: input.since === undefined ? undefined : Date.parse(input.since),
        until: input.until === undefined ? undefined : Date.parse(input.until),
      };
      const rows = core.audit.query({ ...filter, limit: input.limit ?? 100, offset: input.offset ?? 0 });
      return { rows, total: core.audit.count(filter) };
    },

    'vault.status': async (caller) => {
      requireAdmin(caller, 'see the vault status (it covers every user)');
      return core.vaultStatus();
    },

    'vault.verify': async (caller) => {
      requireAdmin(caller, 'verify the vault (it opens every user\'s credentials)');
      const report = await core.verifyVault();
      return { ...report, failures: report.failures.map((f) => ({ userId: f.userId, connectionId: f.connectionId, file: f.file, code: f.code, problem: f.problem })) };
    },

    'audit.verify': async (caller) => {
      requireAdmin(caller, 'verify the audit trail (it holds every user\'s rows)');
      return core.verifyAudit();
    },

    'settings.get': async () => ({ settings: settingsView() }),

    'settings.set': async (caller, input) => {
      requireAdmin(caller, 'change settings');
      if (input.oauthClients) await updateOAuthClients(core.paths.settingsFile, core.settings, core.systemSecrets, input.oauthClients);
      if (input.ui) {
        await writeSettings(core.paths.settingsFile, [{ path: ['Sophon', 'Ui', 'Theme'], value: input.ui.theme }]);
        core.settings.Sophon.Ui.Theme = input.ui.theme;
      }
      return { settings: settingsView() };
    },

    'admin.connections': async (caller) => {
      requireAdmin(caller, 'list the connections of every user');
      const catalog = await core.connections.catalog();
      const services = new Map(catalog.entries.map((e) => [e.service.id, e.service]));
      const connections: Connection[] = core.connections
        .records()
        .map((r) => ({ ...toConnection(r, services.get(r.serviceId)), secretHint: null }));
      return { connections };
    },

    'vault.backup': async (caller, input) => {
      requireAdmin(caller, "back up the vault (a backup holds every user's credentials)");
      return (await import('../backup/backup-ops')).backupToFolder(core, input.folder, input.passphrase);
    },

    'vault.restore': async (caller, input) => {
      requireAdmin(caller, 'restore a backup (it writes connections of every user in it)');
      try {
        return await (await import('../backup/backup-ops')).restoreFromFile(core, input.file, input.passphrase, input.mode, input.apply);
      } finally {
        if (input.apply) changed();
      }
    },

    'vault.rotateKey': async (caller, input) => {
      requireAdmin(caller, 'rotate the vault key');
      const { rotateKey } = await import('../vault/rotate-key');
      return rotateKey({ home: core.paths.home, ...(input.to !== undefined ? { to: input.to } : {}) });
    },

    'vault.backupSchedule': async (caller) => {
      requireAdmin(caller, 'see the backup schedule');
      return (await import('../backup/schedule')).scheduleStatus(core);
    },

    'vault.runBackupSchedule': async (caller) => {
      requireAdmin(caller, "run the scheduled backup (a backup holds every user's credentials)");
      return (await import('../backup/backup-ops')).runScheduleNow(core);
    },

    'vault.setBackupSchedule': async (caller, input) => {
      requireAdmin(caller, 'change the backup schedule');
      if (input.schedule === null) return { schedule: await core.backup.setSchedule(null), recoveryPhrase: null };
      const { generateRecoveryPhrase } = await import('../backup/backup-format');
      const recoveryPhrase = input.schedule.passphrase === null ? generateRecoveryPhrase() : null;
      const schedule = await core.backup.setSchedule({ ...input.schedule, passphrase: recoveryPhrase ?? input.schedule.passphrase! });
      return { schedule, recoveryPhrase };
    },

    'broker.mint': (caller, input, signal) => mintForCaller({ core, choices, chooseTimeoutMs: ctx.chooseTimeoutMs, brokerUrl: ctx.brokerUrl }, caller.userId, input, signal),

    'broker.choose': async (caller, input) => ({ request: input.request, outcome: choices.answer(caller.userId, input.request, input.connection) }),
    'broker.questions': async (caller) => ({ questions: choices.openFor(caller.userId) }),
    'agents.list': async (caller) => ({ agents: core.agentPolicies(caller.userId).list().map(agentView) }),
    'agents.setPolicy': async (caller, input) => {
      // Named by id or label, resolved within the caller's own connections (another user's is not found).
      const connections = input.connections === undefined || input.connections === null ? input.connections : [...new Set(input.connections.map((ref) => core.connections.resolve(caller.userId, ref).id))];
      return { agent: agentView(core.agentPolicies(caller.userId).set(input.agent, { connections, writes: input.writes })) };
    },
    'agents.approvals': async (caller) => ({ approvals: (await ctx.approvals?.openFor(caller.userId)) ?? [] }),
    'agents.approve': async (caller, input) => {
      if (!ctx.approvals) throw new SophonError('not_found', `No open approval "${input.request.slice(0, 100)}".`);
      return { request: input.request, outcome: await ctx.approvals.answer(caller.userId, input.request, input.approve) };
    },
    'agents.tokens': async (caller) => ({
      tokens: (await mcpTokenStore(core.paths.configDir).list()).filter((t) => t.userId === caller.userId && t.agent !== undefined).map((t) => ({ id: t.id, agent: t.agent!, createdAt: t.createdAt })),
    }),
    'agents.createToken': async (caller, input) => {
      const policies = core.agentPolicies(caller.userId);
      if (!policies.get(input.agent)) policies.set(input.agent, {});
      const { token, entry } = await mcpTokenStore(core.paths.configDir).create(caller.userId, { kind: 'mcp', agent: input.agent });
      return { token, id: entry.id, agent: input.agent, createdAt: entry.createdAt };
    },
    'agents.revokeToken': async (caller, input) => {
      const store = mcpTokenStore(core.paths.configDir);
      // Another user's token is reported as absent: its id tells the caller nothing.
      const own = (await store.list()).some((t) => t.id === input.id && t.userId === caller.userId);
      if (!own || !(await store.revoke(input.id))) throw new SophonError('not_found', `No MCP token ${input.id.slice(0, 40)} of yours (see the Agents page or \`sophon mcp token list\`).`);
      return { id: input.id };
    },
    'agents.install': async (caller, input) => {
      requireOwner(caller, ctx.ownerUserId, "change this machine's MCP client configurations");
      const where = ctx.clientHome ?? { home: process.env.HOME ?? process.env.USERPROFILE ?? '', env: process.env };
      const config = clientConfig(input.client, { home: where.home, platform: process.platform, env: where.env });
      const { applyChange, planInstall, planUninstall } = await import('../mcp/install');
      let change;
      if (input.uninstall) change = await planUninstall(config);
      else {
        const launch = await ctx.mcpLaunch?.(caller.userId);
        if (!launch) {
          throw new SophonError('not_found', `Sophon cannot tell how ${config.name} should start \`sophon mcp\` here: no \`sophon\` command is on the PATH. Install the command line, or run \`sophon mcp install --client ${input.client}\` in a terminal.`);
        }
        change = await planInstall(config, launch);
      }
      const dryRun = input.dryRun === true;
      if (!dryRun) await applyChange(change);
      return { client: input.client, clientName: config.name, file: change.file, action: change.action, dryRun, entry: change.entry, backup: dryRun ? null : change.backup, note: config.note };
    },
    'agents.httpServer': async () => ctx.mcpHttp?.status() ?? { enabled: core.settings.Sophon.Mcp.Http.Enabled, running: false, url: null, port: null, problem: 'This door does not run the MCP HTTP server (the desktop app and `sophon dashboard` do).' },
    'agents.setHttpServer': async (caller, input) => {
      requireOwner(caller, ctx.ownerUserId, 'start or stop the MCP HTTP server of this machine');
      if (!ctx.mcpHttp) throw new SophonError('not_found', 'This door does not run the MCP HTTP server (the desktop app and `sophon dashboard` do); `sophon mcp --http` runs one in a terminal.');
      return ctx.mcpHttp.setEnabled(input.enabled);
    },
  };
}

function agentView(p: AgentPolicy): Out<'agents.list'>['agents'][number] {
  return { ...p, createdAt: new Date(p.createdAt).toISOString(), lastSeenAt: p.lastSeenAt === null ? null : new Date(p.lastSeenAt).toISOString() };
}

function summarize(service: ServiceDefinition, source: 'builtin' | 'connector', settings: Settings, files: ClientSourceFiles): Out<'services.list'>['services'][number] {
  const method = service.auth.method;
  const client = method === 'oauth2' ? clientSourceOf(service, settings, files) : null;
  return {
    id: service.id,
    name: service.name,
    group: service.group,
    description: service.description,
    authMethod: method,
    secretLabel: method === 'oauth2' || method === 'none' ? null : service.auth.secretLabel,
    defaultScopes: service.defaultScopes,
    fields: service.auth.fields.map((f) => ({
      name: f.name,
      label: f.label,
      secret: f.secret,
      required: f.required,
      kind: f.kind,
      options: f.options ?? null,
      default: f.default ?? null,
      help: f.help ?? null,
    })),
    local: service.local,
    oauthClientConfigured: client === null ? null : clientReady(client),
    oauthSetup: client === null ? null : { client, ...setupGuide(service), clientSecretSet: clientSecretSet(settings, service.id) },
    source,
    docsUrl: service.docsUrl ?? null,
  };
}
