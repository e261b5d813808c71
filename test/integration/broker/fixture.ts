// Shared setup of the broker tests: a core over a temp home with test services pointed at a local
// resource server, a broker and its loopback server, and a raw-socket client for requests fetch() would
// refuse or normalise.
import { connect } from 'node:net';
import type { ServiceDefinitionInput } from '../../../electron/core/catalog/schema';
import type { Broker, BrokerTokens } from '../../../electron/core/broker';
import type { Resolver } from '../../../electron/core/broker/addresses';
import { mintBrokerToken } from '../../../electron/core/broker/mint';
import type { BrokerSettings } from '../../../electron/core/broker/settings';
import { openCoreInternals, type CoreWithInternals } from '../../helpers/internals';
import { startBrokerServer, type BrokerServer } from '../../../electron/server/broker/server';
import { tempHome } from '../../helpers/home';
import { bearerService, catalogOf } from '../../helpers/services';

export interface BrokerFixture {
  home: string;
  core: CoreWithInternals;
  broker: Broker;
  tokens: BrokerTokens;
  server: BrokerServer;
  mint(skill: string, tool: string, connectionIds: string[], options?: { ttlSeconds?: number; scopes?: string[] }): Promise<string>;
  close(): Promise<void>;
}

export async function brokerFixture(
  services: ServiceDefinitionInput[],
  options: { settings?: Partial<BrokerSettings>; resolver?: Resolver; onlySkill?: string; ca?: string[]; server?: { headersTimeoutMs?: number; requestTimeoutMs?: number; checkIntervalMs?: number } } = {},
): Promise<BrokerFixture> {
  const { home, cleanup } = await tempHome();
  const core = await openCoreInternals({ home, catalog: catalogOf(...services) });
  const { broker, tokens, settings } = await core.createBroker({ userId: 'default', settings: options.settings, resolver: options.resolver, onlySkill: options.onlySkill, ca: options.ca });
  const server = await startBrokerServer(broker, { maxRequestBytes: settings.MaxRequestBytes, ...options.server });
  return {
    home,
    core,
    broker,
    tokens,
    server,
    async mint(skill, tool, connectionIds, o = {}) {
      const grants = await Promise.all(
        connectionIds.map(async (id) => {
          const record = core.store.get(id)!;
          return { record, service: await core.connections.service(record.serviceId), scopes: o.scopes ?? [] };
        }),
      );
      return mintBrokerToken(tokens, core.audit, { userId: 'default', skill, tool, grants, ttlSeconds: o.ttlSeconds ?? 300 }).token;
    },
    async close() {
      await server.close();
      core.close();
      await cleanup();
    },
  };
}

/** A local bearer-token test service (see bearerService), with the broker test's own overrides. */
export function bearerApi(id: string, baseUrl: string, extra: Partial<ServiceDefinitionInput> = {}): ServiceDefinitionInput {
  return { ...bearerService(id, baseUrl), ...extra };
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Sends bytes exactly as given and reads until the server closes or a full response arrived. */
export function rawRequest(port: number, text: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms: ${JSON.stringify(data.slice(0, 200))}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: data.slice(head.length + 4) || body });
    };
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const split = data.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(data.slice(0, split));
      if (split >= 0 && len && data.length - split - 4 >= Number(len[1])) finish();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.write(text, 'latin1');
  });
}

export function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
