// The client on one screen, from one GetClient360 call; the live timeline follows
// StreamTimeline afterwards. A part the gateway could not fetch is named in `warnings`: its
// section says why instead of the screen failing.

import { ApiError, call, follow, get, query, takeEarly } from './api';
import type { Session } from './auth';
import { bars } from './charts';
import { h, mount, type Child } from './dom';
import * as fmt from './fmt';
import { form, localNow, options } from './forms';
import { isKey, label, t, type Key } from './i18n';
import type { Case, Client360, Contactability, Interaction, TimelineEvent, ValueScore, Warning } from './types';

export const CHANNELS = [
  'CHANNEL_PHONE',
  'CHANNEL_CONTACT_CENTRE',
  'CHANNEL_EMAIL',
  'CHANNEL_RM_VISIT',
  'CHANNEL_BRANCH',
  'CHANNEL_ONLINE',
  'CHANNEL_MOBILE',
  'CHANNEL_VIDEO',
];
const PURPOSES = ['CONTACT_PURPOSE_SERVICE', 'CONTACT_PURPOSE_MARKETING', 'CONTACT_PURPOSE_RESEARCH'];
const KINDS = [
  'INTERACTION_KIND_SERVICE_REQUEST',
  'INTERACTION_KIND_CALL',
  'INTERACTION_KIND_COMPLAINT',
  'INTERACTION_KIND_SALES',
  'INTERACTION_KIND_FEEDBACK',
  'INTERACTION_KIND_VISIT_REPORT',
];
const CATEGORIES = [
  'CASE_CATEGORY_PAYMENT_ISSUE',
  'CASE_CATEGORY_ACCOUNT_SERVICE',
  'CASE_CATEGORY_INFORMATION_REQUEST',
  'CASE_CATEGORY_DOCUMENT_REQUEST',
  'CASE_CATEGORY_CREDIT_REQUEST',
  'CASE_CATEGORY_CARD_ISSUE',
  'CASE_CATEGORY_COMPLAINT',
];
const PRIORITIES = ['CASE_PRIORITY_NORMAL', 'CASE_PRIORITY_LOW', 'CASE_PRIORITY_HIGH', 'CASE_PRIORITY_URGENT'];

/** Legal moves of a case (the interaction service's state machine). */
const NEXT_STATES: Record<string, string[]> = {
  CASE_STATE_OPEN: ['CASE_STATE_IN_PROGRESS'],
  CASE_STATE_REOPENED: ['CASE_STATE_IN_PROGRESS'],
  CASE_STATE_IN_PROGRESS: ['CASE_STATE_RESOLVED'],
  CASE_STATE_RESOLVED: ['CASE_STATE_CLOSED', 'CASE_STATE_REOPENED'],
  CASE_STATE_CLOSED: ['CASE_STATE_REOPENED'],
};
const OPEN_STATES = new Set(['CASE_STATE_OPEN', 'CASE_STATE_IN_PROGRESS', 'CASE_STATE_REOPENED']);

/** The one call of a screen pop: by resource id, or by any LookupClient key. */
export function fetch360(target: { id: string } | { params: Record<string, string> }, signal?: AbortSignal): Promise<Client360> {
  const path =
    'id' in target
      ? `/v1/clients/${encodeURIComponent(target.id)}:view360`
      : `/v1/clients:view360${query(target.params)}`;
  return takeEarly<Client360>(path) ?? get<Client360>(path, signal);
}

interface State {
  data: Client360;
  clientName: string;
  session: Session;
  cases: Map<string, Case>;
  timeline: Map<string, { time: string; node: () => HTMLElement; fresh: boolean }>;
  lastSequence: string;
  /** Events committed from this time on are new to the user (the stream first replays history). */
  freshSince: number;
}

/** Renders the 360 into `root`; returns a function that stops its live parts. */
export function render360(root: HTMLElement, data: Client360, session: Session): () => void {
  const client = data.client;
  if (!client) {
    mount(root, h('p', { class: 'error' }, t('notFound')));
    return () => {};
  }
  const state: State = {
    data,
    clientName: client.name,
    session,
    cases: new Map((data.openCases ?? []).map((c) => [c.name, c])),
    timeline: new Map(),
    lastSequence: '0',
    // A little before the screen was drawn: what was logged while it loaded is news too.
    freshSince: Date.now() - 5_000,
  };
  for (const i of data.recentInteractions ?? []) addInteraction(state, i, false);

  const warnings = new Map<string, Warning>((data.warnings ?? []).map((w) => [w.part ?? '', w]));
  const missing = (part: string): HTMLElement | null => {
    const w = warnings.get(part);
    return w ? h('p', { class: 'part-missing', role: 'note' }, t('partUnavailable', { reason: reasonText(w) })) : null;
  };

  const casesEl = h('div', { class: 'cases' });
  // Scrolls on its own, so it takes focus: keyboard users scroll it with the arrow keys.
  const timelineEl = h('ol', { class: 'timeline', 'aria-label': t('timeline'), tabindex: '0' });
  const liveEl = h('span', { class: 'live-state', role: 'status' }, t('connecting'));
  const announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });

  const renderCases = () => mount(casesEl, casesView(state, renderCases));
  const renderTimeline = () => mount(timelineEl, timelineView(state));
  renderCases();
  renderTimeline();

  const name = client.displayName || client.legalName || fmt.id(client.name);
  mount(
    root,
    h(
      'article',
      { class: 'client360', 'aria-labelledby': 'client-title' },
      h(
        'header',
        { class: 'client-head' },
        h('h1', { id: 'client-title' }, name),
        client.legalName && client.legalName !== name ? h('p', { class: 'legal-name' }, client.legalName) : null,
        h(
          'ul',
          { class: 'chips', 'aria-label': t('identity') },
          h('li', { class: 'chip' }, `${t('lifecycle')}: ${label(client.lifecycleStage)}`),
          data.valueScore?.tier ? h('li', { class: `chip tier ${data.valueScore.tier}` }, `${t('tier')}: ${label(data.valueScore.tier)}`) : null,
          client.customerType ? h('li', { class: 'chip' }, label(client.customerType)) : null,
        ),
      ),
      warningsView(data.warnings ?? []),
      h(
        'div',
        { class: 'grid360' },
        h(
          'div',
          { class: 'col col-a' },
          section('identity', t('identity'), identityView(data), missing('PART_PROFILE')),
          section('value', t('value'), missing('PART_VALUE_SCORE') ?? valueView(data.valueScore), missing('PART_SEGMENTS') ?? segmentsView(data)),
        ),
        h(
          'div',
          { class: 'col col-b' },
          section(
            'timeline',
            t('timeline'),
            h('p', { class: 'live' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), liveEl),
            missing('PART_INTERACTIONS'),
            timelineEl,
            announce,
          ),
          section('cases', t('cases'), missing('PART_CASES') ?? casesEl),
        ),
        h(
          'div',
          { class: 'col col-c' },
          section('actions', t('actions'), actionsView(state, renderCases)),
          section('recommendations', t('recommendations'), missing('PART_RECOMMENDATIONS') ?? recommendationsView(data)),
          section('contactability', t('contactability'), missing('PART_CONTACTABILITY') ?? contactabilityView(data.contactability)),
        ),
        h(
          'div',
          { class: 'col col-wide' },
          section('products', t('products'), missing('PART_HOLDINGS') ?? productsView(data)),
          section('contacts', t('contacts'), missing('PART_CONTACTS') ?? contactsView(data)),
        ),
      ),
    ),
  );

  // The group head's name, after the screen is up (the pop itself is one call).
  if (client.parent) {
    const target = root.querySelector<HTMLElement>('[data-parent]');
    get<{ displayName?: string; name: string }>(`/v1/${client.parent}`)
      .then((parent) => {
        if (target) target.textContent = parent.displayName || fmt.id(parent.name);
      })
      .catch(() => {});
  }

  const stop = follow<TimelineEvent>(
    () => `/v1/${state.clientName}:streamTimeline${query({ after_sequence: state.lastSequence })}`,
    {
      onMessage: (event) => {
        state.lastSequence = event.sequence ?? state.lastSequence;
        const text = applyEvent(state, event);
        renderTimeline();
        renderCases();
        if (text) announce.textContent = text;
      },
      onState: (s) => {
        liveEl.parentElement?.classList.toggle('on', s.kind === 'live');
        liveEl.textContent =
          s.kind === 'live'
            ? t('live')
            : s.kind === 'connecting'
              ? t('connecting')
              : s.kind === 'retrying'
                ? t('reconnecting', { seconds: s.seconds })
                : t('streamStopped', { message: s.error.message });
      },
    },
  );
  return stop;
}

function reasonText(w: Warning): string {
  return [w.reason, w.message].filter(Boolean).join(' — ');
}

function section(id: string, title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: `card card-${id}`, 'aria-labelledby': `h-${id}` }, h('h2', { id: `h-${id}` }, title), body);
}

function warningsView(warnings: Warning[]): HTMLElement | null {
  if (warnings.length === 0) return null;
  return h(
    'div',
    { class: 'warnings', role: 'alert' },
    h('h2', null, t('warnings')),
    h(
      'ul',
      null,
      warnings.map((w) => {
        const partKey = `part_${w.part}`;
        const part = isKey(partKey) ? t(partKey) : (w.part ?? '');
        return h('li', { 'data-part': w.part ?? '' }, t('partMissing', { part, reason: reasonText(w) }));
      }),
    ),
  );
}

function dl(rows: Array<[Key, Child]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([k, v]) => [h('dt', null, t(k)), h('dd', null, v === '' || v === undefined || v === null ? '—' : v)]),
  );
}

function identityView(data: Client360): HTMLElement {
  const c = data.client!;
  const location = [c.city, c.region, c.countryCode].filter(Boolean).join(', ');
  return dl([
    ['legalName', c.legalName],
    ['registration', c.registrationNumber ? `${c.registrationNumber} (${c.countryCode ?? ''})` : ''],
    ['lei', c.lei],
    ['taxId', h('span', { class: 'mono', 'data-field': 'taxId' }, c.taxId || '—')],
    ['industry', c.industryCode],
    ['location', location],
    ['turnover', c.annualTurnover ? fmt.money(c.annualTurnover) : ''],
    ['employees', c.employeeCount ? fmt.number(c.employeeCount) : ''],
    ['creditGrade', c.creditGrade],
    [
      'group',
      c.parent
        ? h('a', { href: `/console/clients/${fmt.id(c.parent)}`, 'data-parent': '' }, fmt.id(c.parent))
        : t('standalone'),
    ],
    ['rm', c.relationshipManager],
    ['dataQuality', c.dataQuality?.completeness !== undefined ? t('completeness', { pct: fmt.percent(c.dataQuality.completeness) }) : ''],
  ]);
}

/** The composite score's weighted parts (RAROC, EVA, relationship, market access), from the
 * components the score carries: weights from `standalone_score` and `composite_score`. */
function scoreParts(score: ValueScore): Array<{ key: string; part: number; weight: number; points: number }> {
  const byName = new Map((score.components ?? []).map((c) => [c.name, c]));
  const inputOf = (component: string, name: string) =>
    Number(byName.get(component)?.inputs?.find((i) => i.name === name)?.value ?? NaN);
  const scale = Number(byName.get('weight_scale')?.value ?? 1);
  const own = ['raroc', 'eva', 'relationship'].flatMap((key) => {
    const part = Number(byName.get(`${key}_part`)?.value ?? NaN);
    const weight = inputOf('standalone_score', `${key}_weight`);
    if (Number.isNaN(part) || Number.isNaN(weight)) return [];
    return [{ key, part, weight: weight * scale, points: 100 * weight * scale * part }];
  });
  const access = score.marginalFactor ?? NaN;
  const accessWeight = inputOf('composite_score', 'access_weight');
  if (Number.isNaN(access) || Number.isNaN(accessWeight)) return own;
  return [...own, { key: 'access', part: access, weight: accessWeight, points: 100 * accessWeight * access }];
}

const partLabel = (key: string) =>
  key === 'relationship' ? t('relationshipPart') : key === 'access' ? t('accessPart') : key.toUpperCase();

function valueView(score: ValueScore | undefined): HTMLElement {
  if (!score) return h('p', { class: 'muted' }, t('notScored'));
  const parts = scoreParts(score);
  const composite = score.compositeScore ?? 0;
  const chartTitle = t('componentsChart', {
    list: parts.map((p) => `${partLabel(p.key)} ${fmt.number(p.points, 1)}`).join(', '),
  });
  return h(
    'div',
    { class: 'value' },
    h(
      'p',
      { class: 'score-line' },
      h('span', { class: `tier-badge ${score.tier ?? ''}` }, label(score.tier)),
      h('span', { class: 'score', 'data-score': String(composite) }, t('scoreOf', { score: fmt.number(composite, 1) })),
    ),
    h('p', { class: 'muted' }, t('period', { period: score.period ?? '', version: score.modelVersion ?? '' })),
    score.moneyWithheld ? h('p', { class: 'muted', role: 'note' }, t('moneyWithheld')) : null,
    parts.length
      ? h(
          'figure',
          { class: 'score-chart' },
          bars(
            parts.map((p) => ({
              label: `${partLabel(p.key)} ×${fmt.number(p.weight, 2)}`,
              value: p.points,
              text: `${fmt.number(p.points, 1)} / ${fmt.number(100 * p.weight, 0)}`,
              className: `bar bar-${p.key}`,
            })),
            { title: chartTitle, max: Math.max(...parts.map((p) => 100 * p.weight)), labelWidth: 130, width: 340 },
          ),
          h('figcaption', { class: 'sr-only' }, chartTitle),
        )
      : null,
    score.components?.length
      ? h(
          'details',
          { class: 'components' },
          h('summary', null, t('components')),
          h(
            'table',
            null,
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('name')), h('th', { scope: 'col' }, t('value')), h('th', { scope: 'col' }, t('formula')))),
            h(
              'tbody',
              null,
              score.components.map((c) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row' }, c.name),
                  h('td', { class: 'num' }, componentValue(c.value, c.unit)),
                  h('td', { class: 'formula' }, c.formula ?? ''),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

function componentValue(value: string | undefined, unit: string | undefined): string {
  const n = Number(value);
  if (value === undefined) return '—';
  if (Number.isNaN(n)) return value;
  if (unit === 'ratio') return fmt.number(n, 3);
  if (unit === 'points') return fmt.number(n, 1);
  if (unit && /^[A-Z]{3}$/.test(unit)) return fmt.money({ currencyCode: unit, units: Math.trunc(n) });
  return `${fmt.number(n, 2)} ${unit ?? ''}`;
}

function segmentsView(data: Client360): HTMLElement {
  const segments = data.segments ?? [];
  return h(
    'div',
    { class: 'segments' },
    h('h3', null, t('segments')),
    segments.length === 0
      ? h('p', { class: 'muted' }, t('noSegments'))
      : h(
          'ul',
          { class: 'chips' },
          segments.map((s) => h('li', { class: 'chip', title: s.schemeDisplayName ?? '' }, `${s.segmentDisplayName ?? fmt.id(s.segment)} · L${s.level ?? 1}`)),
        ),
  );
}

function slaView(c: Case): HTMLElement {
  const breached = c.slaBreached || (c.dueTime !== undefined && new Date(c.dueTime).getTime() < Date.now());
  return h(
    'span',
    { class: `sla ${breached ? 'breached' : 'ok'}` },
    breached ? t('slaBreached') : t('slaOk'),
    ' · ',
    t('due', { time: fmt.relative(c.dueTime) }),
    c.slaHours ? ` · ${t('slaHours', { hours: c.slaHours })}` : '',
  );
}

function casesView(state: State, rerender: () => void): HTMLElement {
  const cases = [...state.cases.values()].filter((c) => OPEN_STATES.has(c.state ?? ''));
  if (cases.length === 0) return h('p', { class: 'muted' }, t('noCases'));
  return h(
    'ul',
    { class: 'case-list' },
    cases.map((c) =>
      h(
        'li',
        { class: 'case', 'data-case': c.name },
        h('p', { class: 'case-title' }, h('strong', null, c.title ?? ''), ' ', h('span', { class: 'chip' }, label(c.state))),
        h('p', { class: 'muted' }, `${label(c.category)} · ${label(c.priority)} · `, slaView(c)),
        moveForm(state, c, rerender),
      ),
    ),
  );
}

/** UpdateCase with the case's etag; a stale etag (ABORTED) reloads the case. */
function moveForm(state: State, c: Case, rerender: () => void): HTMLElement {
  const next = NEXT_STATES[c.state ?? ''] ?? [];
  if (next.length === 0) return h('span');
  return form({
    className: 'inline',
    submit: 'save',
    fields: [
      { path: 'case.state', label: 'status', kind: 'select', options: options(next, (s) => t('moveTo', { state: label(s) })) },
      { path: 'case.resolution', label: 'outcome', kind: 'text' },
    ],
    onSubmit: async (values) => {
      const mask = values['case.resolution'] ? 'state,resolution' : 'state';
      try {
        const updated = await call<Case>('PATCH', `/v1/${c.name}${query({ update_mask: mask })}`, {
          state: values['case.state'],
          resolution: values['case.resolution'] || undefined,
          etag: c.etag,
        });
        state.cases.set(updated.name, updated);
        addCase(state, updated, true);
      } catch (err) {
        if (err instanceof ApiError && err.status === 'ABORTED') {
          const fresh = await get<Case>(`/v1/${c.name}`);
          state.cases.set(fresh.name, fresh);
          rerender();
          throw new ApiError(409, 'ABORTED', t('conflict'), err.reason, new Map());
        }
        throw err;
      }
      rerender();
    },
  });
}

function recommendationsView(data: Client360): HTMLElement {
  const recs = data.recommendations ?? [];
  if (recs.length === 0) return h('p', { class: 'muted' }, t('noRecommendations'));
  return h(
    'ol',
    { class: 'recs' },
    recs.map((r) =>
      h(
        'li',
        null,
        h('strong', null, label(`PRODUCT_LINE_${r.productLine ?? ''}`)),
        ' ',
        h('span', { class: 'chip' }, t('lift', { lift: fmt.number(r.lift ?? 0, 2) })),
        r.contactable ? (r.suggestedChannel ? h('span', { class: 'chip ok' }, label(r.suggestedChannel)) : null) : h('span', { class: 'chip warn' }, t('notContactable')),
        h('p', { class: 'reason' }, r.reason ?? ''),
      ),
    ),
  );
}

function contactabilityView(c: Contactability | undefined): HTMLElement {
  const permissions = c?.permissions ?? [];
  const channels = CHANNELS.filter((ch) => permissions.some((p) => p.channel === ch));
  const find = (purpose: string, channel: string) => permissions.find((p) => p.purpose === purpose && p.channel === channel);
  return h(
    'div',
    { class: 'contactability' },
    c?.doNotContact ? h('p', { class: 'chip warn' }, t('doNotContact')) : null,
    c?.preferredChannel ? h('p', { class: 'muted' }, t('preferred', { channel: label(c.preferredChannel) })) : null,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('channel')), PURPOSES.map((p) => h('th', { scope: 'col' }, label(p))))),
        h(
          'tbody',
          null,
          channels.map((ch) =>
            h(
              'tr',
              null,
              h('th', { scope: 'row' }, label(ch)),
              PURPOSES.map((purpose) => {
                const p = find(purpose, ch);
                if (!p) return h('td', null, '—');
                return h(
                  'td',
                  { class: p.allowed ? 'yes' : 'no', title: p.explanation ?? '' },
                  h('span', { 'aria-hidden': 'true' }, p.allowed ? '✓ ' : '✕ '),
                  h('span', { class: 'sr-only' }, `${p.allowed ? t('allowed') : t('notAllowed')}: `),
                  h('span', { class: 'reason-code' }, label(p.reason)),
                );
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

function productsView(data: Client360): HTMLElement {
  const holdings = data.holdings ?? [];
  if (holdings.length === 0) return h('p', { class: 'muted' }, t('noProducts'));
  return table(
    [t('product'), t('productLine'), t('account'), t('balance')],
    holdings.map((x) => [x.productCode ?? '', label(x.productLine), h('span', { class: 'mono' }, x.accountNumber ?? ''), x.balance ? fmt.money(x.balance) : '—']),
    [3],
  );
}

function contactsView(data: Client360): HTMLElement {
  const contacts = data.contacts ?? [];
  if (contacts.length === 0) return h('p', { class: 'muted' }, t('noContacts'));
  return table(
    [t('contactName'), t('role'), t('phone'), t('email')],
    contacts.map((c) => [
      h('span', null, c.displayName ?? '', c.jobTitle ? h('span', { class: 'muted' }, ` · ${c.jobTitle}`) : null),
      label(c.role),
      h('span', { class: 'mono', 'data-field': 'phone' }, c.phone ?? '—'),
      h('span', { class: 'mono', 'data-field': 'email' }, c.email ?? '—'),
    ]),
  );
}

export function table(head: string[], rows: Child[][], numeric: number[] = []): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('thead', null, h('tr', null, head.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            r.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', { class: numeric.includes(i) ? 'num' : null }, cell))),
          ),
        ),
      ),
    ),
  );
}

// --- timeline -----------------------------------------------------------------------------

function addInteraction(state: State, i: Interaction, fresh: boolean): void {
  state.timeline.set(i.name, {
    time: i.occurTime ?? i.createTime ?? '',
    fresh,
    node: () =>
      h(
        'div',
        { class: 'entry' },
        h('p', { class: 'entry-head' }, h('time', { datetime: i.occurTime ?? '' }, fmt.dateTime(i.occurTime)), ' · ', label(i.channel), ' · ', label(i.direction), ' · ', label(i.kind)),
        i.subject ? h('p', null, h('strong', null, i.subject)) : null,
        h('p', { class: 'summary' }, i.summary ?? ''),
        i.outcome ? h('p', { class: 'muted' }, i.outcome) : null,
        h('p', { class: 'muted small' }, [...(i.staff ?? []), i.recordedBy].filter(Boolean).join(' · ')),
      ),
  });
}

function addCase(state: State, c: Case, fresh: boolean): void {
  state.timeline.set(`${c.name}@${c.updateTime ?? c.createTime ?? ''}`, {
    time: c.updateTime ?? c.createTime ?? '',
    fresh,
    node: () =>
      h(
        'div',
        { class: 'entry entry-case' },
        h('p', { class: 'entry-head' }, h('time', { datetime: c.updateTime ?? '' }, fmt.dateTime(c.updateTime ?? c.createTime)), ' · ', t('cases')),
        h('p', null, h('strong', null, c.title ?? ''), ' → ', label(c.state)),
      ),
  });
}

/** Folds one timeline event into the state; returns what to announce, if anything. */
function applyEvent(state: State, event: TimelineEvent): string {
  const fresh = Date.parse(event.commitTime ?? '') >= state.freshSince;
  if (event.interaction) {
    const known = state.timeline.has(event.interaction.name);
    addInteraction(state, event.interaction, fresh && !known);
    return fresh && !known ? `${label(event.interaction.channel)}: ${event.interaction.summary ?? ''}` : '';
  }
  if (event.case) {
    const c: Case = { ...event.case, updateTime: event.case.updateTime ?? event.commitTime };
    if (state.cases.get(c.name)?.etag === c.etag) return '';
    state.cases.set(c.name, c);
    addCase(state, c, fresh);
    return fresh ? `${c.title ?? ''}: ${label(c.state)}` : '';
  }
  if (event.channelPreference) {
    const p = event.channelPreference;
    state.timeline.set(p.name, {
      time: p.createTime ?? event.commitTime ?? '',
      fresh,
      node: () =>
        h(
          'div',
          { class: 'entry entry-consent' },
          h('p', { class: 'entry-head' }, h('time', null, fmt.dateTime(p.createTime ?? event.commitTime)), ' · ', t('recordConsent')),
          h('p', null, `${p.allPurposes ? t('allPurposes') : label(p.purpose)} · ${p.allChannels ? t('allChannels') : label(p.channel)} → ${label(p.consent)}`),
        ),
    });
    return '';
  }
  return '';
}

function timelineView(state: State): Child {
  const items = [...state.timeline.values()].sort((a, b) => b.time.localeCompare(a.time)).slice(0, 50);
  if (items.length === 0) return h('li', { class: 'muted' }, t('noInteractions'));
  return items.map((item) => h('li', { class: item.fresh ? 'fresh' : null }, item.node()));
}

// --- actions ------------------------------------------------------------------------------

function actionsView(state: State, rerenderCases: () => void): HTMLElement {
  const client = state.clientName;
  const requestId = () => query({ request_id: fmt.uuid() });
  const contacts = state.data.contacts ?? [];
  const enumOptions = (values: string[]) => options(values, label);

  const interaction = form({
    submit: 'logInteraction',
    fields: [
      { path: 'interaction.channel', label: 'channel', kind: 'select', options: enumOptions(CHANNELS), value: 'CHANNEL_PHONE' },
      { path: 'interaction.direction', label: 'direction', kind: 'select', options: enumOptions(['DIRECTION_INBOUND', 'DIRECTION_OUTBOUND']) },
      { path: 'interaction.kind', label: 'kind', kind: 'select', options: enumOptions(KINDS) },
      { path: 'interaction.occur_time', label: 'occurTime', kind: 'datetime', value: localNow(), required: true },
      { path: 'interaction.subject', label: 'subject', kind: 'text' },
      { path: 'interaction.summary', label: 'summary', kind: 'textarea', required: true },
      { path: 'interaction.outcome', label: 'outcome', kind: 'text' },
    ],
    onSubmit: async (v) => {
      const occur = v['interaction.occur_time'] ? new Date(v['interaction.occur_time']).toISOString() : undefined;
      await call('POST', `/v1/${client}/interactions${requestId()}`, {
        channel: v['interaction.channel'],
        direction: v['interaction.direction'],
        kind: v['interaction.kind'],
        occurTime: occur,
        subject: v['interaction.subject'] || undefined,
        summary: v['interaction.summary'],
        outcome: v['interaction.outcome'] || undefined,
      });
    },
  });

  const openCase = form({
    submit: 'openCase',
    fields: [
      { path: 'case.title', label: 'title', kind: 'text', required: true },
      { path: 'case.description', label: 'description', kind: 'textarea' },
      { path: 'case.category', label: 'category', kind: 'select', options: enumOptions(CATEGORIES) },
      { path: 'case.priority', label: 'priority', kind: 'select', options: enumOptions(PRIORITIES) },
      { path: 'case.channel', label: 'channel', kind: 'select', options: enumOptions(CHANNELS), value: 'CHANNEL_CONTACT_CENTRE' },
    ],
    onSubmit: async (v) => {
      const created = await call<Case>('POST', `/v1/${client}/cases${requestId()}`, {
        title: v['case.title'],
        description: v['case.description'] || undefined,
        category: v['case.category'],
        priority: v['case.priority'],
        channel: v['case.channel'],
      });
      state.cases.set(created.name, created);
      rerenderCases();
    },
  });

  const consent = form({
    submit: 'recordConsent',
    fields: [
      { path: 'channel_preference.purpose', label: 'purpose', kind: 'select', options: [['*', t('allPurposes')], ...enumOptions(PURPOSES)], value: 'CONTACT_PURPOSE_MARKETING' },
      { path: 'channel_preference.channel', label: 'channel', kind: 'select', options: [['*', t('allChannels')], ...enumOptions(CHANNELS)], value: 'CHANNEL_EMAIL' },
      { path: 'channel_preference.consent', label: 'consent', kind: 'select', options: enumOptions(['CONSENT_STATUS_GRANTED', 'CONSENT_STATUS_WITHDRAWN']) },
      { path: 'channel_preference.contact', label: 'contacts', kind: 'select', options: [['', '—'], ...contacts.map((c): [string, string] => [c.name, c.displayName ?? fmt.id(c.name)])] },
      { path: 'channel_preference.source', label: 'source', kind: 'text', value: 'contact-centre call' },
    ],
    onSubmit: async (v) => {
      const purpose = v['channel_preference.purpose'];
      const channel = v['channel_preference.channel'];
      await call('POST', `/v1/${client}/channelPreferences${requestId()}`, {
        purpose: purpose === '*' ? undefined : purpose,
        allPurposes: purpose === '*' || undefined,
        channel: channel === '*' ? undefined : channel,
        allChannels: channel === '*' || undefined,
        consent: v['channel_preference.consent'],
        contact: v['channel_preference.contact'] || undefined,
        source: v['channel_preference.source'] || undefined,
      });
    },
  });

  const panel = (id: string, title: Key, body: HTMLElement, open = false) =>
    h('details', { class: 'action', open, 'data-action': id }, h('summary', null, t(title)), body);
  return h('div', { class: 'actions' }, panel('interaction', 'logInteraction', interaction, true), panel('case', 'openCase', openCase), panel('consent', 'recordConsent', consent));
}
