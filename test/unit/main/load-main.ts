import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempHome } from '../../helpers/home';

type StandIn = typeof import('./electron-stand-in');

export const until = async (what: string, check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * Loads the real electron/main in a fresh SOPHON_HOME (as the default user, with an empty home folder for the
 * start-up look for CLI logins). The test file itself must `vi.mock('electron', () => import('./electron-stand-in'))`
 * (vi.mock is hoisted only within the file that calls it). `quit` emits will-quit once and puts the environment back.
 */
export async function loadMain(ready: (electron: StandIn) => boolean): Promise<{ home: string; electron: StandIn; quit: () => void; cleanup: () => Promise<void> }> {
  const saved = { home: process.env.SOPHON_HOME, user: process.env.SOPHON_USER, HOME: process.env.HOME };
  const { home, cleanup } = await tempHome();
  process.env.SOPHON_HOME = home;
  delete process.env.SOPHON_USER;
  process.env.HOME = await mkdtemp(join(tmpdir(), 'sophon-main-home-'));
  const electron = (await import('electron')) as unknown as StandIn;
  await import('../../../electron/main/index');
  await until('the main process to start', () => ready(electron));
  let quit = false;
  return {
    home,
    electron,
    quit: () => {
      if (!quit) electron.app.emit('will-quit');
      quit = true;
    },
    cleanup: async () => {
      process.env.SOPHON_HOME = saved.home;
      if (saved.user !== undefined) process.env.SOPHON_USER = saved.user;
      process.env.HOME = saved.HOME;
      await cleanup();
    },
  };
}
