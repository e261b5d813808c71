// Where the broker's CPU goes, by phase of a call: reads the V8 CPU profiles (`node --cpu-prof`) its
// processes wrote during the benchmark and charges every sample to a phase. A sample belongs to the
// innermost frame on its stack that names a phase (so Node's socket writes under the answer are the
// answer's, under undici's request writer the upstream's); frames are placed in their source file
// through the bundle's source map, so a minified bundle works as well as SOPHON_BUILD_DEBUG=1's.
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The phases, in the order a call goes through them (what the table prints). */
export const PHASES = [
  'parse the client request (Node http server)',
  'door: Host/Origin/method checks, routing, token header',
  'token check and cache freshness',
  'policy: connection, scopes, manifest, path, host',
  'credential lookup and attach',
  'request header checks and copying',
  'upstream write (undici)',
  'upstream read and parse (undici)',
  'response headers copy',
  'redaction scan',
  'audit: queue the row',
  'audit: batch commit (hash chain, SQLite)',
  'audit: WAL checkpoint (its own process)',
  'answer write (Node http server, socket)',
  'socket reads, timers, event loop',
  'garbage collection',
  'other',
] as const;
export type Phase = (typeof PHASES)[number];

/** Which phase a frame names, from its source file and function; undefined: look further out. */
function phaseOf(file: string, fn: string): Phase | undefined {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (file.endsWith('broker/workers.ts') && fn === 'attempt') return 'audit: WAL checkpoint (its own process)';
  if (file.includes('/audit/') || file.endsWith('broker/audit-batch.ts')) {
    return fn === 'record' && file.endsWith('audit-batch.ts') ? 'audit: queue the row' : 'audit: batch commit (hash chain, SQLite)';
  }
  if (file.endsWith('/credentials/redact.ts')) return 'redaction scan';
  if (file.endsWith('broker/request-guard.ts')) return fn === 'checkTarget' ? 'policy: connection, scopes, manifest, path, host' : 'request header checks and copying';
  if (file.includes('/credentials/') || file.includes('/vault/')) return 'credential lookup and attach';
  if (file.endsWith('broker/db-version.ts') || file.endsWith('broker/token-store.ts')) return 'token check and cache freshness';
  if (file.endsWith('core/broker/broker.ts')) {
    if (['checkToken', 'checkCached', 'freshCache', 'newCache'].includes(fn)) return 'token check and cache freshness';
    if (fn === 'attachment') return 'credential lookup and attach';
    if (fn === 'send') return 'upstream write (undici)';
    if (['onResponseStart', 'onResponseData', 'onResponseEnd', 'decode'].includes(fn)) return 'upstream read and parse (undici)';
    // forward's own lines past the policy are the response header loop; the profile cannot tell them apart by function.
    return 'policy: connection, scopes, manifest, path, host';
  }
  if (file.includes('/import/broker-policy') || file.includes('/catalog/') || file.includes('/connections/')) return 'policy: connection, scopes, manifest, path, host';
  if (file.endsWith('server/broker/server.ts')) return fn === 'send' || fn === 'sendError' ? 'answer write (Node http server, socket)' : 'door: Host/Origin/method checks, routing, token header';
  if (file.includes('node_modules/undici/')) {
    if (/^(onHeadersComplete|onBody|onMessageComplete|onHeaderField|onHeaderValue|onStatus|execute|readMore|onUpgrade|wasm_on_\w+|onResponse\w*|onData|onComplete)$/.test(fn)) return 'upstream read and parse (undici)';
    return 'upstream write (undici)';
  }
  if (file.startsWith('wasm') || fn.startsWith('wasm-function') || fn.startsWith('wasm-to-js') || fn.startsWith('js-to-wasm')) return 'upstream read and parse (undici)';
  if (file === 'node:_http_server' || file === 'node:_http_common' || file === 'node:_http_incoming') return 'parse the client request (Node http server)';
  if (file === 'node:_http_outgoing') return 'answer write (Node http server, socket)';
  return undefined;
}

const STARTUP = /^node:internal\/(modules|main|process\/pre_execution|bootstrap)|\/bin\/(load|sophon)\.cjs$/;
const STARTUP_FUNCTIONS = new Set(['__init', 'main', 'buildProgram', 'startBrokerWorkers', 'startCheckpointer', 'withCore', 'openCore']);

/** Frames of the bundle placed in their source files. */
class Sources {
  private readonly maps = new Map<string, SourceMap | null>();

  file(frame: CallFrame): string {
    const url = frame.url;
    if (!url.startsWith('file://') && !url.startsWith('/')) return url;
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (path.includes('/node_modules/')) return path;
    let map = this.maps.get(path);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        map = null;
      }
      this.maps.set(path, map);
    }
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
    return entry?.originalSource ?? path;
  }
}

/** Milliseconds of CPU (idle and the profiler's own bookkeeping left out) by phase, over every profile in `dir`. */
export function phaseTotals(dir: string, unplaced?: Map<string, number>): Map<Phase, number> {
  const totals = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  const sources = new Sources();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const phaseOfNode = new Map<number, Phase | null>();
    // Starting the process (loading the CLI, forking workers) is no call's cost.
    const startup = new Map<number, boolean>();
    const isStartup = (id: number): boolean => {
      const known = startup.get(id);
      if (known !== undefined) return known;
      const frame = byId.get(id)!.callFrame;
      const up = parent.get(id);
      const own = STARTUP.test(frame.url) || STARTUP_FUNCTIONS.has(frame.functionName);
      const result = own || (up !== undefined && isStartup(up));
      startup.set(id, result);
      return result;
    };
    const resolve = (id: number): Phase | null => {
      const known = phaseOfNode.get(id);
      if (known !== undefined) return known;
      const frame = byId.get(id)!.callFrame;
      const up = parent.get(id);
      const own = phaseOf(sources.file(frame), frame.functionName);
      const phase = own ?? (up === undefined ? null : resolve(up));
      phaseOfNode.set(id, phase);
      return phase;
    };
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i]!;
      const fn = byId.get(id)!.callFrame.functionName;
      if (fn === '(idle)' || fn === '(root)' || isStartup(id)) continue;
      const frame = byId.get(id)!.callFrame;
      // Unplaced time in Node itself (the event loop, socket reads, native code) or in the bundle (other).
      const charged = resolve(id) ?? (frame.url === '' || frame.url.startsWith('node:') ? 'socket reads, timers, event loop' : 'other');
      totals.set(charged, totals.get(charged)! + (profile.timeDeltas[i] ?? 0) / 1000);
      if (unplaced && (process.env.SOPHON_PROFILE_PHASE ?? 'other') === charged) {
        // The stack, innermost first: what a new rule would have to name.
        const stack: string[] = [];
        for (let at: number | undefined = id; at !== undefined && stack.length < 6; at = parent.get(at)) stack.push(`${byId.get(at)!.callFrame.functionName || '(anonymous)'}@${sources.file(byId.get(at)!.callFrame).split('/').slice(-2).join('/')}`);
        const key = stack.join(' < ');
        unplaced.set(key, (unplaced.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
      }
    }
  }
  return totals;
}

/** The phase table in Markdown: each phase's share of the broker's CPU and, given the CPU per request, its µs per request. */
export function phaseTable(dir: string, cpuUsPerRequest: number): string {
  const totals = phaseTotals(dir);
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  const lines = ['| phase | share of CPU | µs / request |', '| --- | ---: | ---: |'];
  for (const phase of PHASES) {
    const ms = totals.get(phase)!;
    if (ms === 0) continue;
    lines.push(`| ${phase} | ${((ms / all) * 100).toFixed(1)}% | ${((ms / all) * cpuUsPerRequest).toFixed(1)} |`);
  }
  lines.push(`| total | 100% | ${cpuUsPerRequest.toFixed(1)} |`);
  return lines.join('\n');
}
