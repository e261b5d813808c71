import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every place Sophon keeps data, derived from one root so tests and `--home` move all of it at once. */
export interface SophonPaths {
  home: string;
  vaultDir: string;
  securityDir: string;
  configDir: string;
  settingsFile: string;
  keyInfoFile: string;
  keyFile: string;
  database: string;
  connectorsDir: string;
}

export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.SOPHON_HOME ?? join(homedir(), '.sophon'));
}

export function sophonPaths(home: string): SophonPaths {
  const root = resolve(home);
  return {
    home: root,
    vaultDir: join(root, 'vault'),
    securityDir: join(root, 'security'),
    configDir: join(root, 'config'),
    settingsFile: join(root, 'config', 'appsettings.json'),
    keyInfoFile: join(root, 'security', 'keyinfo.json'),
    keyFile: join(root, 'security', 'vault.key'),
    database: join(root, 'sophon.db'),
    connectorsDir: join(root, 'connectors'),
  };
}
