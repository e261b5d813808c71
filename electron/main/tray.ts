import { Menu, nativeImage, Tray, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import { join } from 'node:path';
import type { TrayAction, TrayModel, TrayState } from './tray-model';

/** The tray icon and menu, rendered from a TrayModel (built and tested in tray-model.ts). */
export class AppTray {
  private readonly tray: Tray;
  private readonly icons: Record<TrayState, NativeImage>;
  private lastKey = '';

  constructor(
    iconDir: string,
    private readonly onAction: (action: TrayAction) => void,
  ) {
    const icon = (name: string) => nativeImage.createFromPath(join(iconDir, `tray-${name}.png`));
    this.icons = { ok: icon('ok'), needs_reauth: icon('reauth'), error: icon('error') };
    this.tray = new Tray(this.icons.ok);
    this.tray.setToolTip('Sophon');
    this.tray.on('click', () => this.onAction({ kind: 'show' }));
  }

  render(model: TrayModel): void {
    const key = JSON.stringify(model);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.tray.setImage(this.icons[model.state]);
    this.tray.setToolTip(model.tooltip);
    const template: MenuItemConstructorOptions[] = model.items.map((item) => {
      if (item.type === 'separator') return { type: 'separator' };
      const action = item.action;
      return { type: 'normal', label: item.label, enabled: item.enabled, ...(action ? { click: () => this.onAction(action) } : {}) };
    });
    this.tray.setContextMenu(Menu.buildFromTemplate(template));
  }

  destroy(): void {
    this.tray.destroy();
  }
}
