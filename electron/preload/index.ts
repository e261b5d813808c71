import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, OPERATION_NAMES, eventChannel, isEventName, operationChannel, type EventName } from '../../shared/operations';

/**
 * The renderer's only window to the app, exposed as `window.sophon`: one function per contract
 * operation (`(input) => Promise<Envelope>`, over channel `sophon:<name>`) and `on(event, listener)`
 * returning an unsubscribe function. Derived from the operation and event lists; nothing else —
 * never ipcRenderer itself, never Node. (The SophonBridge type in shared/contract.ts describes it.)
 */
const bridge: Record<string, unknown> = {};
for (const name of OPERATION_NAMES) {
  const channel = operationChannel(name);
  bridge[name] = (input: unknown) => ipcRenderer.invoke(channel, input ?? {});
}
bridge.on = (event: string, listener: (payload: unknown) => void): (() => void) => {
  if (!isEventName(event)) throw new Error(`Unknown event "${String(event).slice(0, 60)}" (known: ${EVENT_NAMES.join(', ')})`);
  if (typeof listener !== 'function') throw new Error('on(event, listener): listener must be a function');
  const channel = eventChannel(event as EventName);
  // The renderer gets the payload only, never the IpcRendererEvent (it would expose `sender`).
  const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
};

contextBridge.exposeInMainWorld('sophon', Object.freeze(bridge));
