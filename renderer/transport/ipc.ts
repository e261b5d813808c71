import type { SophonBridge } from '../../shared/contract';
import type { Transport, WireEnvelope } from './types';

declare global {
  interface Window {
    /** The preload bridge (Electron only): one function per operation, and `on`. Nothing else. */
    sophon?: SophonBridge;
  }
}

/** Inside Electron: every operation goes through the preload bridge (channel `sophon:<name>` in main). */
export function ipcTransport(bridge: SophonBridge): Transport {
  const byName = bridge as unknown as Record<string, unknown>;
  return {
    kind: 'ipc',
    async invoke(operation, input) {
      const fn = byName[operation];
      if (typeof fn !== 'function') {
        return { ok: false, error: { code: 'usage', message: `This version of Sophon does not offer "${operation}".` } };
      }
      return (await (fn as (i: unknown) => Promise<WireEnvelope>)(input)) ?? { ok: false, error: { code: 'internal', message: 'No answer from the app.' } };
    },
    on: (event, listener) => (bridge.on as (e: string, l: (p: unknown) => void) => () => void)(event, listener),
  };
}
