import { Notification } from 'electron';
import type { Connection } from '../../shared/connections';
import { decideNotices } from './attention-notices';

/**
 * OS notifications when a connection comes to need the person (attention-notices.ts decides which,
 * once per event); clicking one opens that connection in the window.
 */
export class AttentionNotifier {
  private seen: ReadonlySet<string> = new Set();
  // Shown notifications are kept until closed: one garbage-collected early loses its click handler.
  private readonly shown = new Set<Notification>();

  constructor(private readonly open: (connectionId: string) => void) {}

  update(connections: readonly Connection[], now = Date.now()): void {
    const { notices, current } = decideNotices(this.seen, connections, now);
    this.seen = current;
    if (!Notification.isSupported()) return;
    for (const n of notices) {
      const note = new Notification({ title: n.title, body: n.body });
      this.shown.add(note);
      note.on('click', () => this.open(n.connectionId));
      note.on('close', () => this.shown.delete(note));
      note.show();
    }
  }
}
