// The connection list painted from the boot chunk's early answer, before React and the app are
// evaluated (~100 ms of main-thread work on a slow machine): the same markup the Connections screen
// renders for its first rows, so React's first commit — which empties #root and puts its own in —
// changes nothing that is seen. Plain DOM calls (textContent, setAttribute): no HTML is parsed.
// test/e2e/first-paint.test.ts holds the two renderings to the same markup.
import { attentionOf } from '../../shared/attention';
import type { Connection } from '../../shared/connections';
import { attention, attentionParts, badgeOf, COLUMNS, expiresText, FIRST_ROWS, lastTestText, LIST_TEXT, rowLabel, rowText, serviceIcon, sortConnections } from './connection-view';
import { serviceLogo } from './service-logos';
import { absolute, relative } from './format';
import { href, parseRoute } from './routes';

type Child = Node | string | null | false | undefined;

function el(tag: string, attrs: Record<string, string | undefined>, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) e.setAttribute(name, value);
  for (const c of children) if (c) e.append(c);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';

/** ServiceIcon (ui.tsx) as DOM: the logo, or the monogram. */
function serviceIconEl(c: Connection): HTMLElement {
  const logo = serviceLogo(c.serviceId);
  if (!logo) {
    const icon = serviceIcon(c.serviceName);
    return el('span', { class: 'service-icon', 'aria-hidden': 'true', 'data-hue': String(icon.hue) }, icon.letters);
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', logo.path);
  path.setAttribute('fill', logo.color);
  svg.append(path);
  return el('span', { class: 'service-icon service-logo', 'aria-hidden': 'true', 'data-logo': c.serviceId }, svg);
}

export function connectionRow(c: Connection, now: number): HTMLElement {
  const { name, sub } = rowText(c);
  const need = attentionOf(c, now);
  const badge = badgeOf(c, now);
  return el(
    'li',
    { class: 'conn-row', 'data-connection-id': c.id, 'data-attention': need ?? undefined },
    el(
      'a',
      { class: 'conn-link', href: href.connection(c.id), 'aria-label': rowLabel(c, now) },
      serviceIconEl(c),
      el('span', { class: 'conn-main' }, el('span', { class: 'conn-label' }, name), el('span', { class: 'conn-sub' }, sub)),
      el(
        'span',
        { class: 'conn-badge' },
        el('span', { class: `badge badge-${badge.kind}`, title: c.stateReason ?? undefined, 'data-state': badge.kind }, el('span', { class: 'badge-dot', 'aria-hidden': 'true' }), badge.text),
        c.state !== 'active' && c.stateReason && el('span', { class: 'conn-reason' }, c.stateReason),
      ),
      el('span', { class: 'conn-cell', 'data-col': 'used', title: absolute(c.lastUsedAt) }, relative(c.lastUsedAt)),
      el('span', { class: need === 'expires_soon' || need === 'expired' ? 'conn-cell text-warn' : 'conn-cell', 'data-col': 'expires', title: absolute(c.expiresAt) }, expiresText(c)),
      el('span', { class: c.lastTest && !c.lastTest.ok ? 'conn-cell text-bad' : 'conn-cell', 'data-col': 'test' }, lastTestText(c)),
    ),
  );
}

/**
 * Paints the Connections screen's first rows into an empty `root` when that is the screen the address
 * shows and there are connections; false when it did nothing. Not interactive beyond its links (the
 * search box waits, disabled, for the app).
 */
export function paintConnectionList(root: HTMLElement, connections: readonly Connection[], hash: string): boolean {
  if (root.firstChild || connections.length === 0 || parseRoute(hash).page !== 'connections') return false;
  const now = Date.now();
  const parts = attentionParts(attention(connections, now));
  const rows = sortConnections(connections, now).slice(0, FIRST_ROWS).map((c) => connectionRow(c, now));
  const n = connections.length;
  root.append(
    el(
      'div',
      { class: 'layout', 'data-first-paint': '', 'aria-busy': 'true' },
      el('nav', { class: 'sidebar', 'aria-label': 'Sections' }, el('div', { class: 'sidebar-inner' }, el('div', { class: 'brand' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'S'), el('span', { class: 'brand-name' }, 'Sophon')))),
      el(
        'main',
        { id: 'main', class: 'content', tabindex: '-1' },
        el(
          'header',
          { class: 'page-header' },
          el('div', {}, el('h1', { tabindex: '-1', class: 'page-title' }, LIST_TEXT.title), el('p', { class: 'page-subtitle' }, LIST_TEXT.subtitle)),
          el('div', { class: 'page-actions' }, el('a', { class: 'btn btn-primary', href: href.add() }, LIST_TEXT.add)),
        ),
        el(
          'div',
          { class: 'toolbar' },
          el('label', { class: 'search' }, el('span', { class: 'visually-hidden' }, LIST_TEXT.searchLabel), el('input', { type: 'search', placeholder: LIST_TEXT.searchPlaceholder, disabled: '' })),
          el(
            'p',
            { class: 'summary' },
            `${n} connection${n === 1 ? '' : 's'}`,
            ...parts.map((p) => el('span', { class: `summary-${p.kind}` }, ` · ${p.text}`)),
            parts.length === 0 && el('span', { class: 'summary-ok' }, ' · all good'),
          ),
        ),
        el('div', { class: 'conn-table' }, el('div', { class: 'conn-head', 'aria-hidden': 'true' }, ...COLUMNS.map((col) => el('span', {}, col))), el('ul', { class: 'conn-list', role: 'list' }, ...rows)),
      ),
    ),
  );
  return true;
}
