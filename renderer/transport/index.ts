import { exchangeCode, httpTransport, takeCredentialFromLocation } from './http';
import { ipcTransport } from './ipc';
import type { Transport } from './types';

/** IPC when the preload bridge is there (inside Electron), otherwise HTTP against the dashboard server. */
export function pickTransport(): Transport {
  if (typeof window.sophon === 'object' && window.sophon !== null) return ipcTransport(window.sophon);
  const credential = takeCredentialFromLocation();
  return httpTransport(credential === null ? { token: null } : 'token' in credential ? { token: credential.token } : exchangeCode(credential.code));
}

export type { Transport } from './types';
