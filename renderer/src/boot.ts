// Runs first (main.tsx imports it before React): picks the transport and starts the first screen's
// calls at once, so they travel while React and the rest of the bundle are still being evaluated.
import { createApi, type Invoke } from '../../shared/client';
import type { Out, SophonApi } from '../../shared/contract';
import { pickTransport, type Transport } from '../transport';

export interface Boot {
  transport: Transport;
  api: SophonApi;
  initial: { session: Promise<Out<'session.info'>>; connections: Promise<Out<'connections.list'>> };
}

export function boot(transport: Transport): Boot {
  const api = createApi(transport.invoke as Invoke);
  const initial = { session: api['session.info']({}), connections: api['connections.list']({}) };
  // Handled where they are used; never an unhandled rejection in the meantime.
  initial.session.catch(() => undefined);
  initial.connections.catch(() => undefined);
  return { transport, api, initial };
}

export const started: Boot = boot(pickTransport());
