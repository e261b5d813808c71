import { contextBridge } from 'electron';

/**
 * The renderer's only window to the app. It will expose the shared contract's operations and event
 * subscriptions, nothing else — never ipcRenderer itself.
 */
contextBridge.exposeInMainWorld('sophon', Object.freeze({ contractVersion: 1 }));
