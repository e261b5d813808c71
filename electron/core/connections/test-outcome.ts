/**
 * The classified result of a connection test: what a person needs to know to act. `message` is for
 * people and never contains a secret (nor a response body that might echo one).
 */
export const TEST_STATUSES = ['ok', 'rejected', 'missing_scope', 'unreachable', 'unexpected', 'untestable'] as const;
/** `untestable`: the service has no side-effect-free call (an outbound webhook fires when called). */
export type TestStatus = (typeof TEST_STATUSES)[number];

export interface TestOutcome {
  status: TestStatus;
  message: string;
  /** Round trip of the test call, milliseconds. */
  elapsedMs: number;
  /** HTTP status, or the protocol reply code for mail (e.g. SMTP 535), where there was one. */
  statusCode?: number;
  /** Account the service says the credential belongs to (login, email), when the test call tells. */
  account?: string;
}
