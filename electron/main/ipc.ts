import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Envelope } from '../../shared/contract';
import { OPERATION_NAMES, operationChannel, type OperationName } from '../../shared/operations';
import { isAppUrl } from './policy';

/** Runs one operation for the app's user: the shared dispatcher (validation, envelope) over core. */
export type OperationCall = (name: OperationName, input: unknown) => Promise<Envelope>;

export type SenderCheck = (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean;

/**
 * The one place IPC handlers are registered: one `sophon:<operation>` channel per contract operation,
 * derived from the operation list (never written per channel). Each message's sender is checked first
 * — a message from any other frame gets `forbidden` and never reaches core — then the operation runs
 * through the shared dispatcher, which validates the input and wraps the result in the envelope.
 */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, call: OperationCall, isTrustedSender: SenderCheck): string[] {
  const channels: string[] = [];
  for (const name of OPERATION_NAMES) {
    const channel = operationChannel(name);
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, input: unknown): Promise<Envelope> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'forbidden', message: `IPC ${channel} refused: it did not come from Sophon's own window.` } };
      }
      return call(name, input);
    });
    channels.push(channel);
  }
  return channels;
}

/**
 * Trusted: the message comes from the app window's own web contents, from its main frame (not an
 * iframe), and that frame shows the app's renderer (app://sophon/…), not a page it was navigated to.
 */
export function appSenderCheck(appContents: () => WebContents | null): SenderCheck {
  return (event) => {
    const contents = appContents();
    if (!contents || event.sender !== contents) return false;
    const frame = event.senderFrame;
    if (!frame || frame !== contents.mainFrame) return false;
    return isAppUrl(frame.url);
  };
}
