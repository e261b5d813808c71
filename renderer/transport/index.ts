import { httpTransport, takeTokenFromLocation } from './http';
import { ipcTransport } from './ipc';
import type { Transport } from './types';

/** IPC when the preload bridge is there (inside Electron), otherwise HTTP against the dashboard server. */
export function pickTransport(): Transport {
  if (typeof window.sophon === 'object' && window.sophon !== null) return ipcTransport(window.sophon);
  return httpTransport(takeTokenFromLocation());
}

export type { Transport } from './types';
