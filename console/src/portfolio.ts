// A manager's book: their clients by value tier, key accounts whose account plans are due
// for review, and clients in exit review. ListClients (filtered on relationship_manager)
// gives the book; each client's tier comes from GetValueScore (ListValueScores has no
// portfolio filter, and a book is small), a few calls at a time.

import { ApiError, get, pool, query } from './api';
import type { Session } from './auth';
import { bars } from './charts';
import { h, mount, uid } from './dom';
import * as fmt from './fmt';
import { label, t } from './i18n';
import type { AccountPlan, Client, ValueScore } from './types';
import { table } from './view360';

const TIERS = ['TIER_KEY_ACCOUNT', 'TIER_GROW', 'TIER_MAINTAIN', 'TIER_REVIEW_FOR_EXIT'];
const MAX_CLIENTS = 300;
const MAX_PAGES = 50;
const REVIEW_WINDOW_DAYS = 30;

interface Row {
  client: Client;
  score: ValueScore | null;
}

export function renderPortfolio(root: HTMLElement, session: Session): void {
  const body = h('div', { class: 'portfolio-body' });
  const inputId = uid('rm');
  const input = h('input', { id: inputId, type: 'text', value: session.portfolio, autocomplete: 'off', readonly: session.role !== 'ADMIN' });
  const picker = h(
    'form',
    { class: 'inline-form' },
    h('label', { for: inputId }, t('portfolioFor')),
    input,
    h('button', { type: 'submit' }, t('show')),
  );
  picker.addEventListener('submit', (e) => {
    e.preventDefault();
    void load(input.value.trim());
  });
  const title = h('h1', null, t('portfolioTitle', { rm: session.portfolio }));
  mount(root, h('div', { class: 'page portfolio' }, title, picker, body));

  const load = async (rm: string) => {
    title.textContent = t('portfolioTitle', { rm });
    mount(body, h('p', { class: 'muted', role: 'status' }, t('loading')));
    try {
      // A filtered list may answer a short page with a token (the filter is applied as the
      // service reads): follow tokens until the book is complete or MAX_CLIENTS are in.
      const filter = `client.relationship_manager == ${JSON.stringify(rm)}`;
      const clients: Client[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await get<{ clients?: Client[]; nextPageToken?: string }>(
          `/v1/clients${query({ filter, page_size: 1000, page_token: pageToken })}`,
        );
        clients.push(...(page.clients ?? []));
        pageToken = page.nextPageToken ?? '';
        pages += 1;
      } while (pageToken && clients.length < MAX_CLIENTS && pages < MAX_PAGES);
      const list = { nextPageToken: pageToken };
      const rows: Row[] = await pool(clients, 6, async (client) => {
        try {
          return { client, score: await get<ValueScore>(`/v1/${client.name}/valueScore`) };
        } catch (err) {
          if (err instanceof ApiError && err.httpStatus === 404) return { client, score: null };
          throw err;
        }
      });
      const keyAccounts = rows.filter((r) => r.score?.tier === 'TIER_KEY_ACCOUNT');
      const plans = await pool(keyAccounts, 4, async (r) => {
        const reply = await get<{ accountPlans?: AccountPlan[] }>(`/v1/${r.client.name}/accountPlans${query({ page_size: 20 })}`);
        return { row: r, plans: reply.accountPlans ?? [] };
      });
      mount(
        body,
        list.nextPageToken ? h('p', { class: 'muted', role: 'note' }, t('truncated', { count: clients.length })) : null,
        h('p', { class: 'muted' }, t('clientsCount', { count: clients.length })),
        tierSection(rows),
        plansSection(plans),
        exitSection(rows),
      );
    } catch (err) {
      mount(body, h('p', { class: 'error', role: 'alert' }, t('error', { message: err instanceof Error ? err.message : String(err) })));
    }
  };
  void load(session.portfolio);
}

const link = (c: Client) => h('a', { href: `/console/clients/${fmt.id(c.name)}` }, c.displayName || c.legalName || fmt.id(c.name));

function tierSection(rows: Row[]): HTMLElement {
  const counts = TIERS.map((tier) => ({ tier, n: rows.filter((r) => r.score?.tier === tier).length }));
  const unscored = rows.filter((r) => !r.score).length;
  const data = [...counts.map((c) => ({ label: label(c.tier), value: c.n, className: `bar ${c.tier}` })), { label: t('unscored'), value: unscored, className: 'bar muted-bar' }];
  const chartTitle = t('tierChart', { list: data.map((d) => `${d.label} ${d.value}`).join(', ') });
  const sorted = [...rows].sort((a, b) => (b.score?.compositeScore ?? -1) - (a.score?.compositeScore ?? -1));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'h-tiers' },
    h('h2', { id: 'h-tiers' }, t('byTier')),
    h('figure', { class: 'tier-chart' }, bars(data, { title: chartTitle, labelWidth: 140 })),
    table(
      [t('name'), t('tier'), t('score'), 'RAROC', 'EVA'],
      sorted.map((r) => [
        link(r.client),
        r.score ? h('span', { class: `tier-badge ${r.score.tier}` }, label(r.score.tier)) : t('unscored'),
        r.score ? fmt.number(r.score.compositeScore ?? 0, 1) : '—',
        r.score?.raroc !== undefined ? fmt.percent(r.score.raroc, 1) : '—',
        r.score?.eva ? fmt.money(r.score.eva) : '—',
      ]),
      [2, 3, 4],
    ),
  );
}

function plansSection(items: Array<{ row: Row; plans: AccountPlan[] }>): HTMLElement {
  const horizon = Date.now() + REVIEW_WINDOW_DAYS * 86400_000;
  const lines = items.flatMap(({ row, plans }) => {
    if (plans.length === 0) return [[link(row.client), h('span', { class: 'muted' }, t('noPlan')), '—']];
    return plans
      .filter((p) => p.reviewTime && new Date(p.reviewTime).getTime() <= horizon)
      .map((p) => {
        const overdue = new Date(p.reviewTime!).getTime() < Date.now();
        return [link(row.client), p.title ?? '', h('span', { class: overdue ? 'chip warn' : 'chip' }, overdue ? t('overdue') : '', ' ', t('review', { time: fmt.date(p.reviewTime) }))];
      });
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'h-plans' },
    h('h2', { id: 'h-plans' }, t('keyAccountPlans')),
    items.length === 0
      ? h('p', { class: 'muted' }, t('noKeyAccounts'))
      : lines.length === 0
        ? h('p', { class: 'muted' }, t('noPlansDue'))
        : table([t('name'), t('title'), t('review', { time: '' })], lines),
  );
}

function exitSection(rows: Row[]): HTMLElement {
  const exits = rows.filter((r) => r.score?.tier === 'TIER_REVIEW_FOR_EXIT');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'h-exit' },
    h('h2', { id: 'h-exit' }, t('exitReview')),
    exits.length === 0
      ? h('p', { class: 'muted' }, t('noExitReview'))
      : table(
          [t('name'), t('score'), 'RAROC', 'EVA', t('lifecycle')],
          exits.map((r) => [
            link(r.client),
            fmt.number(r.score?.compositeScore ?? 0, 1),
            r.score?.raroc !== undefined ? fmt.percent(r.score.raroc, 1) : '—',
            r.score?.eva ? fmt.money(r.score.eva) : '—',
            label(r.client.lifecycleStage),
          ]),
          [1, 2, 3],
        ),
  );
}
