import { SophonError } from '../errors';
import type { ConnectionRecord } from './connection-store';

export interface ConnectionChoice {
  id: string;
  serviceId: string;
  label: string;
}

/** Raised when a reference fits several connections; carries the choices so a TTY can ask. */
export class AmbiguousConnectionError extends SophonError {
  constructor(
    readonly ref: string,
    readonly choices: ConnectionChoice[],
  ) {
    super(
      'ambiguous',
      `"${ref}" matches ${choices.length} connections: ${choices.map((c) => `${c.label} (${c.serviceId}, ${c.id})`).join('; ')}. Name one by its id or label.`,
    );
  }
}

/**
 * A person names a connection by id, by label, or by service when they have only one of it.
 * Never a silent guess between several.
 */
export function resolveConnectionRef(connections: readonly ConnectionRecord[], ref: string): ConnectionRecord {
  const usable = connections.filter((c) => c.state !== 'pending');
  const byId = usable.find((c) => c.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byLabel = usable.filter((c) => c.label.toLowerCase() === lower);
  const matches = byLabel.length ? byLabel : usable.filter((c) => c.serviceId === lower);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new AmbiguousConnectionError(ref, matches.map((c) => ({ id: c.id, serviceId: c.serviceId, label: c.label })));
  }
  throw new SophonError('not_found', `No connection "${ref}". See \`sophon connect list\`.`);
}
