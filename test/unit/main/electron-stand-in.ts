/**
 * A stand-in for the `electron` module — the one fake the project allows, because Electron's binary
 * cannot run here. It implements only what electron/main and electron/preload use, records what they
 * do, and lets a test play the OS (second instance, deep links) and the renderer (IPC invokes).
 */
type Listener = (...args: unknown[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }
  once(event: string, fn: Listener): this {
    return this.on(event, fn);
  }
  emit(event: string, ...args: unknown[]): unknown[] {
    return (this.listeners.get(event) ?? []).map((fn) => fn(...args));
  }
}

export class StandInFrame {
  constructor(
    public url: string,
    public parent: StandInFrame | null = null,
  ) {}
}

export class StandInWebContents extends Emitter {
  readonly mainFrame = new StandInFrame('about:blank');
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(fn: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = fn;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  getURL(): string {
    return this.mainFrame.url;
  }
}

export class BrowserWindow extends Emitter {
  static readonly instances: BrowserWindow[] = [];
  readonly webContents = new StandInWebContents();
  readonly loaded: string[] = [];
  shown = 0;
  focused = 0;
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.mainFrame.url = url;
  }
  show(): void {
    this.shown++;
  }
  focus(): void {
    this.focused++;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return false;
  }
}

const handlers = new Map<string, Listener>();
export const ipcMain = {
  handlers,
  handle(channel: string, fn: Listener): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
  },
};

/** The renderer side: invoke goes to ipcMain's handler as if from the app window's main frame. */
const rendererListeners = new Map<string, Listener[]>();
export const ipcRenderer = {
  listeners: rendererListeners,
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = handlers.get(channel);
    const win = BrowserWindow.instances[0];
    if (!handler || !win) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(handler({ sender: win.webContents, senderFrame: win.webContents.mainFrame }, ...args));
  },
  on(channel: string, fn: Listener): void {
    rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), fn]);
  },
  removeListener(channel: string, fn: Listener): void {
    rendererListeners.set(channel, (rendererListeners.get(channel) ?? []).filter((f) => f !== fn));
  },
};

export const exposed = new Map<string, unknown>();
export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    exposed.set(key, api);
  },
};

class App extends Emitter {
  quitCalls = 0;
  readonly protocolClients: string[] = [];
  requestSingleInstanceLock(): boolean {
    return true;
  }
  setAsDefaultProtocolClient(scheme: string): boolean {
    this.protocolClients.push(scheme);
    return true;
  }
  isReady(): boolean {
    return true;
  }
  getVersion(): string {
    return '0.0.0-stand-in';
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalls++;
  }
}
export const app = new App();

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, fn: (request: Request) => Promise<Response>): void {
    this.handlers.set(scheme, fn);
  },
};

export const session = {
  defaultSession: {
    permissionHandler: null as null | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
    setPermissionRequestHandler(fn: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void {
      this.permissionHandler = fn;
    },
  },
};

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  },
};

export const dialog = {
  errors: [] as string[][],
  showErrorBox(title: string, content: string): void {
    this.errors.push([title, content]);
  },
};

export const nativeImage = {
  createFromPath: (path: string) => ({ path }),
};

export const Menu = {
  buildFromTemplate: (template: unknown[]) => ({ template }),
};

export class Tray extends Emitter {
  static readonly instances: Tray[] = [];
  image: unknown;
  tooltip = '';
  menu: { template: { label?: string; type?: string; click?: () => void }[] } | null = null;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: Tray['menu']): void {
    this.menu = menu;
  }
  destroy(): void {}
}
