import { runningAddress } from '../config/run-address';
import type { ConnectionRecord } from '../connections/connection-store';

/** What the person must do before a call can go on: add a connection, sign in to one again, or pick one of several. */
export type PersonStep =
  | { kind: 'add'; serviceId: string; serviceName: string }
  | { kind: 'reauth'; record: ConnectionRecord }
  | { kind: 'pick'; serviceId: string; serviceName: string; options: ConnectionRecord[] };

/** The dashboard's and the app's route for the step (renderer/src/routes.ts); a pick is asked by the dialog every page shows. */
export function stepRoute(step: PersonStep): string {
  if (step.kind === 'add') return `#/add/${encodeURIComponent(step.serviceId)}`;
  if (step.kind === 'reauth') return `#/connection/${encodeURIComponent(step.record.id)}`;
  return '#/connections';
}

/**
 * The running dashboard's page for the step (`sophon dashboard` leaves its address in run/dashboard.json), or
 * null when none runs. Only the address and route: never the dashboard's token, so the link is safe in an MCP
 * message; the person opens it where they are signed in.
 */
export async function stepLink(home: string, step: PersonStep): Promise<string | null> {
  const dashboard = await runningAddress(home, 'dashboard');
  return dashboard ? `${dashboard.url.replace(/\/+$/, '')}/${stepRoute(step)}` : null;
}

/** What to do without a dashboard link (or with it, for a client that cannot open one): the commands that do the step. */
export function stepCommand(step: PersonStep): string {
  if (step.kind === 'add') return `\`sophon connect add ${step.serviceId}\``;
  if (step.kind === 'reauth') return `\`sophon connect reauth ${step.record.id}\``;
  return '`sophon dashboard`';
}

/** The sentence shown to the person in the client (or, for the app, told to the model), naming where the step is done. */
export function stepMessage(agent: string, step: PersonStep, where: 'dashboard' | 'app' = 'dashboard'): string {
  const place = where === 'app' ? 'the Sophon app' : "Sophon's dashboard";
  if (step.kind === 'add') return `${agent} needs a ${step.serviceName} connection and you have none it may use. Add one in ${place}; the call goes on once it is added.`;
  if (step.kind === 'reauth') return `Your ${step.record.serviceId} connection "${step.record.label}" (${step.record.id}) needs you to sign in again before ${agent} can use it. Sign in from its page in ${place}; the call goes on once you have.`;
  return `${agent} wants to use ${step.serviceName} and you have ${step.options.length} connections of it. Pick the one for this call in ${place} (it asks on every page).`;
}
