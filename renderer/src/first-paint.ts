// The connection list painted from the boot chunk's early answer, before React and the app are
// evaluated (~100 ms of main-thread work on a slow machine): the same markup the Connections screen
// renders for its first rows, so React's first commit — which empties #root and puts its own in —
// changes nothing that is seen. Plain DOM calls (textContent, setAttribute): no HTML is parsed.
// test/e2e/first-paint.test.ts holds the two renderings to the same markup.
import type { Connection } from '../../shared/connections';
import { attention, FIRST_ROWS, groupConnections, lastTestText, LIST_TEXT, rowLabel, serviceIcon, stateText, visibleGroups } from './connection-view';
import { absolute, relative } from './format';
import { href, parseRoute } from './routes';

type Child = Node | string | null | false | undefined;

function el(tag: string, attrs: Record<string, string | undefined>, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) e.setAttribute(name, value);
  for (const c of children) if (c) e.append(c);
  return e;
}

export function connectionRow(c: Connection): HTMLElement {
  const icon = serviceIcon(c.serviceName);
  return el(
    'li',
    { class: 'conn-row', 'data-connection-id': c.id },
    el(
      'a',
      { class: 'conn-link', href: href.connection(c.id), 'aria-label': rowLabel(c) },
      el('span', { class: 'service-icon', 'aria-hidden': 'true', 'data-hue': String(icon.hue) }, icon.letters),
      el('span', { class: 'conn-main' }, el('span', { class: 'conn-label' }, c.label), el('span', { class: 'conn-sub' }, c.account ?? c.serviceName)),
      el(
        'span',
        { class: 'conn-badge' },
        el('span', { class: `badge badge-${c.state}`, title: c.stateReason ?? undefined, 'data-state': c.state }, el('span', { class: 'badge-dot', 'aria-hidden': 'true' }), stateText(c.state)),
        c.state !== 'active' && c.stateReason && el('span', { class: 'conn-reason' }, c.stateReason),
      ),
      el(
        'dl',
        { class: 'conn-meta' },
        el('div', {}, el('dt', {}, 'Last used'), el('dd', { title: absolute(c.lastUsedAt) }, relative(c.lastUsedAt))),
        el('div', {}, el('dt', {}, 'Expires'), el('dd', { title: absolute(c.expiresAt) }, c.expiresAt ? relative(c.expiresAt) : 'no expiry')),
        el('div', {}, el('dt', {}, 'Last test'), el('dd', { class: c.lastTest && !c.lastTest.ok ? 'text-bad' : undefined }, lastTestText(c))),
      ),
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
  const { reauth, errors } = attention(connections);
  const groups = visibleGroups(groupConnections(connections), FIRST_ROWS).map((g) =>
    el(
      'section',
      { class: 'group', 'aria-labelledby': `group-${g.serviceId}` },
      el('h2', { id: `group-${g.serviceId}`, class: 'group-title' }, g.name, ' ', el('span', { class: 'count' }, String(g.count))),
      el('ul', { class: 'conn-list', role: 'list' }, ...g.items.map(connectionRow)),
    ),
  );
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
            reauth > 0 && el('span', { class: 'summary-reauth' }, ` · ${reauth} need${reauth === 1 ? 's' : ''} re-auth`),
            errors > 0 && el('span', { class: 'summary-error' }, ` · ${errors} with errors`),
            reauth === 0 && errors === 0 && el('span', { class: 'summary-ok' }, ' · all good'),
          ),
        ),
        el('div', { class: 'groups' }, ...groups),
      ),
    ),
  );
  return true;
}
