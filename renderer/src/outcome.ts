import type { TestOutcome } from '../../shared/contract';

/** A test result in words. */
export function outcomeText(o: Pick<TestOutcome, 'status' | 'message'>): string {
  const lead: Record<string, string> = {
    ok: 'Test passed',
    rejected: 'The service refused the credential',
    missing_scope: 'The credential works but lacks a permission the test needs',
    unreachable: 'The service could not be reached',
    unexpected: 'The service answered unexpectedly',
    untestable: 'This kind of connection cannot be tested without side effects',
  };
  return `${lead[o.status] ?? o.status}${o.message ? `: ${o.message}` : '.'}`;
}
