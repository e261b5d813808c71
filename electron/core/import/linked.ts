import { IMPORT_FIELDS } from './broker-policy';

/** A connection whose secret Sophon re-reads from another program's store instead of keeping it in the vault. */
export function isLinked(fields: Record<string, string>): boolean {
  return fields[IMPORT_FIELDS.mode] === 'linked';
}
