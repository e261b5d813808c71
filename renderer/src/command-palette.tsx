import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ServiceSummary } from '../../shared/contract';
import { useApi, useConnections } from './api';
import { href, navigate } from './router';

/** One thing the palette can go to. `group` is read out with it, so a screen reader hears "Audit, page". */
export interface PaletteItem {
  id: string;
  label: string;
  group: 'Page' | 'Connection' | 'Add';
  hint: string;
  to: string;
}

export interface PalettePage {
  label: string;
  to: string;
}

/** The key held with K: ⌘ on Apple systems, Ctrl elsewhere (both work everywhere). */
export const PALETTE_MODIFIER = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

/** Enough to pick from while typing narrows it; the rest are one more word away. */
const MAX_SHOWN = 40;

/** Every word typed must appear somewhere in the item; pages first, then connections, then services to add. */
export function filterItems(items: readonly PaletteItem[], query: string): PaletteItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits = items.filter((i) => {
    const hay = `${i.label} ${i.hint} ${i.group}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  return hits.slice(0, MAX_SHOWN);
}

function typingInField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

/**
 * The app's keys: Ctrl/Cmd-K opens the palette anywhere; `/` (outside a text field, no dialog open)
 * focuses the page's search box (`[data-page-search]`, else the first search field of the page).
 */
function useShortcuts(open: () => void): void {
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        // Not over another question (a dialog asking which connection a skill may use): that one is answered first.
        if (document.querySelector('dialog[open]:not(.palette)')) return;
        e.preventDefault();
        open();
        return;
      }
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target) || document.querySelector('dialog[open]')) return;
      const main = document.getElementById('main');
      const search = main?.querySelector<HTMLInputElement>('[data-page-search]') ?? main?.querySelector<HTMLInputElement>('input[type="search"]');
      if (!search || search.disabled) return;
      e.preventDefault();
      search.focus();
      search.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
}

/** The services the palette offers to add, loaded the first time it opens. */
function useServices(wanted: boolean): ServiceSummary[] {
  const { api } = useApi();
  const [services, setServices] = useState<ServiceSummary[]>([]);
  const asked = useRef(false);
  useEffect(() => {
    if (!wanted || asked.current) return;
    asked.current = true;
    // Without them the palette still goes to pages and connections.
    api['services.list']({}).then(
      (r) => setServices(r.services),
      () => undefined,
    );
  }, [api, wanted]);
  return services;
}

/**
 * Ctrl/Cmd-K: a modal dialog with a combobox over a listbox (WAI-ARIA's pattern): typing filters, the
 * arrow keys (and Home/End) move the active option, Enter goes to it, Escape closes and gives focus
 * back to where it was.
 */
export function CommandPalette({ pages }: { pages: readonly PalettePage[] }) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const ids = { title: useId(), list: useId(), option: useId() };
  const { state } = useConnections();
  const services = useServices(open);
  useShortcuts(useMemo(() => () => setOpen(true), []));

  const items = useMemo<PaletteItem[]>(() => {
    const all: PaletteItem[] = pages.map((p) => ({ id: `page:${p.to}`, label: p.label, group: 'Page', hint: 'page', to: p.to }));
    if (state.status === 'ready') {
      for (const c of state.value) all.push({ id: `conn:${c.id}`, label: c.label, group: 'Connection', hint: [c.serviceName, c.account].filter(Boolean).join(' · '), to: href.connection(c.id) });
    }
    for (const s of services) all.push({ id: `add:${s.id}`, label: `Add ${s.name}`, group: 'Add', hint: s.group, to: href.add(s.id) });
    return all;
  }, [pages, state, services]);
  const shown = useMemo(() => filterItems(items, query), [items, query]);
  const at = Math.min(active, Math.max(0, shown.length - 1));

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      input.current?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  // The active option stays in view as the arrows move past the list's edge.
  useEffect(() => {
    if (open) document.getElementById(`${ids.option}-${at}`)?.scrollIntoView({ block: 'nearest' });
  }, [open, at, ids.option]);

  const close = () => {
    setOpen(false);
    setQuery('');
    setActive(0);
  };
  const go = (item: PaletteItem | undefined) => {
    if (!item) return;
    close();
    navigate(item.to);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const last = shown.length - 1;
    const move: Record<string, number> = { ArrowDown: at >= last ? 0 : at + 1, ArrowUp: at <= 0 ? last : at - 1, Home: 0, End: last };
    if (e.key in move) {
      e.preventDefault();
      setActive(Math.max(0, move[e.key]!));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      go(shown[at]);
    }
  };

  return (
    <dialog ref={dialog} className="dialog palette" aria-labelledby={ids.title} onClose={close} onCancel={close}>
      <h2 id={ids.title} className="visually-hidden">
        Command palette
      </h2>
      {open && (
        <>
          <input
            ref={input}
            type="text"
            className="palette-input"
            role="combobox"
            aria-expanded="true"
            aria-controls={ids.list}
            aria-autocomplete="list"
            aria-activedescendant={shown.length ? `${ids.option}-${at}` : undefined}
            aria-label="Go to a page or connection, or add a service"
            placeholder="Go to a page or connection, or add a service…"
            autoComplete="off"
            spellCheck={false}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
          />
          <ul id={ids.list} role="listbox" className="palette-list" aria-label="Results">
            {shown.map((item, i) => (
              <li
                key={item.id}
                id={`${ids.option}-${i}`}
                role="option"
                aria-selected={i === at}
                className="palette-option"
                onMouseMove={() => setActive(i)}
                onClick={() => go(item)}
              >
                <span className="palette-label">{item.label}</span>
                <span className="palette-hint">
                  <span className="visually-hidden">, </span>
                  {item.group === 'Page' ? 'Page' : item.group === 'Connection' ? item.hint || 'Connection' : `Add · ${item.hint}`}
                </span>
              </li>
            ))}
          </ul>
          {shown.length === 0 && (
            <p className="palette-empty" role="status">
              Nothing matches “{query}”.
            </p>
          )}
          <p className="palette-help muted" aria-hidden="true">
            ↑↓ to move · Enter to go · Esc to close
          </p>
        </>
      )}
    </dialog>
  );
}
