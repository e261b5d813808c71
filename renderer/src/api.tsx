import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Connection } from '../../shared/connections';
import type { EventName, EventPayload, In, Out, SophonApi } from '../../shared/contract';
import type { OperationName } from '../../shared/operations';
import type { Transport } from '../transport';
import type { Boot, Early } from './boot';
import { describeError, type ErrorText } from './errors';

interface ApiContextValue {
  api: SophonApi;
  transport: Transport;
  /** Started as soon as the app starts, in parallel, so the first screen waits for one round trip, not a chain. */
  initial: Boot['initial'];
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

const ApiContext = createContext<ApiContextValue | null>(null);

export function ApiProvider({ boot, children }: { boot: Boot; children: ReactNode }) {
  const value = useMemo<ApiContextValue>(
    () => ({ ...boot, on: (event, listener) => boot.transport.on(event, listener as (p: unknown) => void) }),
    [boot],
  );
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiContextValue {
  const ctx = useContext(ApiContext);
  if (!ctx) throw new Error('useApi outside ApiProvider');
  return ctx;
}

export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const { on } = useApi();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => on(event, (p) => ref.current(p)), [on, event]);
}

export type Loadable<T> = { status: 'loading' } | { status: 'error'; error: ErrorText } | { status: 'ready'; value: T };

/** A boot-time call as a Loadable: already 'ready' (or 'error') when its answer came before the first render. */
export function loadableOf<T, U = T>(call: Early<T>, pick: (value: T) => U = (v) => v as unknown as U): Loadable<U> {
  const o = call.outcome;
  if (o === null) return { status: 'loading' };
  return o.ok ? { status: 'ready', value: pick(o.value) } : { status: 'error', error: describeError(o.error) };
}

/** Runs an operation when the inputs change; `reload()` runs it again. */
export function useQuery<K extends OperationName>(op: K, input: In<K>, deps: unknown[] = []): [Loadable<Out<K>>, () => void] {
  const { api } = useApi();
  const [state, setState] = useState<Loadable<Out<K>>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    let live = true;
    const fn = api[op] as (i: In<K>) => Promise<Out<K>>;
    fn(JSON.parse(key) as In<K>).then(
      (value) => live && setState({ status: 'ready', value }),
      (err: unknown) => live && setState({ status: 'error', error: describeError(err) }),
    );
    return () => {
      live = false;
    };
  }, [api, op, key, tick, ...deps]);
  return [state, useCallback(() => setTick((t) => t + 1), [])];
}

// ---- the connection list: loaded once, then kept live from `connections.changed` ----

interface ConnectionsValue {
  state: Loadable<Connection[]>;
  reload: () => void;
  /** Put a connection the API just returned into the list without waiting for the event. */
  upsert: (c: Connection) => void;
  drop: (id: string) => void;
}

const ConnectionsContext = createContext<ConnectionsValue | null>(null);

export function ConnectionsProvider({ children }: { children: ReactNode }) {
  const { api, initial } = useApi();
  const [state, setState] = useState<Loadable<Connection[]>>(() => loadableOf(initial.connections, (v) => v.connections));
  // The boot-time answer, when it was already in the first render, needs no second pass.
  const first = useRef<'wait' | 'shown' | 'done'>(state.status === 'loading' ? 'wait' : 'shown');
  const lastJson = useRef('');
  const reload = useCallback(() => {
    const phase = first.current;
    first.current = 'done';
    if (phase === 'shown') return;
    const request = phase === 'wait' ? initial.connections.promise : api['connections.list']({});
    request.then(
      (v) => {
        lastJson.current = JSON.stringify(v.connections);
        setState({ status: 'ready', value: v.connections });
      },
      (err: unknown) => setState((prev) => (prev.status === 'ready' ? prev : { status: 'error', error: describeError(err) })),
    );
  }, [api, initial]);
  useEffect(reload, [reload]);
  // The event stream sends the whole list on connect and on every change; an unchanged list is not re-rendered.
  useEvent('connections.changed', (p) => {
    const json = JSON.stringify(p.connections);
    if (json === lastJson.current) return;
    lastJson.current = json;
    setState({ status: 'ready', value: p.connections });
  });
  const upsert = useCallback((c: Connection) => {
    setState((prev) => {
      if (prev.status !== 'ready') return prev;
      const i = prev.value.findIndex((x) => x.id === c.id);
      const next = [...prev.value];
      if (i >= 0) next[i] = c;
      else next.push(c);
      return { status: 'ready', value: next };
    });
  }, []);
  const drop = useCallback((id: string) => {
    setState((prev) => (prev.status === 'ready' ? { status: 'ready', value: prev.value.filter((c) => c.id !== id) } : prev));
  }, []);
  const value = useMemo(() => ({ state, reload, upsert, drop }), [state, reload, upsert, drop]);
  return <ConnectionsContext.Provider value={value}>{children}</ConnectionsContext.Provider>;
}

export function useConnections(): ConnectionsValue {
  const ctx = useContext(ConnectionsContext);
  if (!ctx) throw new Error('useConnections outside ConnectionsProvider');
  return ctx;
}

/** The operations this door offers (imports.* only once the importer exists). */
export function hasOperation(api: SophonApi, name: string): boolean {
  return typeof (api as unknown as Record<string, unknown>)[name] === 'function';
}
