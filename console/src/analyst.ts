// An analyst's view of a segmentation scheme: GetSchemeReport's quality metrics (η²
// homogeneity, identifiability, accessibility, substance, penetration) and the target-market
// ranking from EvaluateTargetMarkets with the default weights, as charts and tables.

import { call, get } from './api';
import { bars } from './charts';
import { h, mount, uid } from './dom';
import * as fmt from './fmt';
import { label, t } from './i18n';
import { table } from './view360';

interface Scheme {
  name: string;
  displayName?: string;
  state?: string;
}

interface SchemeReport {
  population?: string;
  segmentCount?: number;
  maxSegments?: number;
  manageable?: boolean;
  missingInputs?: string[];
  productPenetration?: Record<string, number>;
  homogeneity?: Array<{ basis?: string; variable?: string; etaSquared?: number }>;
  segments?: Array<{
    segment?: string;
    displayName?: string;
    level?: number;
    memberCount?: string;
    share?: number;
    identifiability?: number;
    accessibility?: number;
    substantial?: boolean;
    meanValue?: number;
  }>;
}

interface Evaluation {
  segment?: string;
  displayName?: string;
  level?: number;
  memberCount?: string;
  attractiveness?: number;
  profit?: { score?: number };
  market?: { score?: number };
  internal?: { score?: number };
}

export async function renderAnalyst(root: HTMLElement): Promise<void> {
  const body = h('div', { class: 'analyst-body' });
  mount(root, h('div', { class: 'page analyst' }, h('h1', null, t('analystTitle')), body));
  mount(body, h('p', { class: 'muted', role: 'status' }, t('loading')));
  try {
    const { schemes = [] } = await get<{ schemes?: Scheme[] }>('/v1/schemes?page_size=50');
    if (schemes.length === 0) {
      mount(body, h('p', { class: 'muted' }, t('noSchemes')));
      return;
    }
    const selectId = uid('scheme');
    const select = h(
      'select',
      { id: selectId },
      schemes.map((s) => h('option', { value: s.name }, `${s.displayName ?? s.name} (${label(s.state)})`)),
    );
    const active = schemes.find((s) => s.state === 'SCHEME_STATE_ACTIVE') ?? schemes[0];
    select.value = active.name;
    const report = h('div');
    select.addEventListener('change', () => void show(select.value));
    mount(body, h('div', { class: 'inline-form' }, h('label', { for: selectId }, t('scheme')), select), report);
    const show = async (name: string) => {
      mount(report, h('p', { class: 'muted', role: 'status' }, t('loading')));
      const [r, evals] = await Promise.all([
        get<SchemeReport>(`/v1/${name}:report`),
        call<{ evaluations?: Evaluation[] }>('POST', `/v1/${name}:evaluateTargetMarkets`, {}).catch((err: Error) => err),
      ]);
      mount(report, summary(r), homogeneity(r), segments(r), penetration(r), targets(evals));
    };
    await show(active.name);
  } catch (err) {
    mount(body, h('p', { class: 'error', role: 'alert' }, t('error', { message: err instanceof Error ? err.message : String(err) })));
  }
}

function card(id: string, title: string, ...children: Array<Node | null>): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': `h-${id}` }, h('h2', { id: `h-${id}` }, title), children);
}

function summary(r: SchemeReport): HTMLElement {
  return h(
    'dl',
    { class: 'facts stats' },
    h('dt', null, t('population')),
    h('dd', null, fmt.number(r.population)),
    h('dt', null, t('segmentCount')),
    h('dd', null, `${r.segmentCount ?? 0} / ${r.maxSegments ?? '—'}`),
    h('dt', null, t('manageable')),
    h('dd', null, r.manageable ? t('yes') : t('no')),
    r.missingInputs?.length ? [h('dt', null, '⚠'), h('dd', null, t('missingInputs', { list: r.missingInputs.join(', ') }))] : null,
  );
}

function homogeneity(r: SchemeReport): HTMLElement {
  const data = (r.homogeneity ?? []).map((x) => ({
    label: x.variable ?? label(x.basis),
    value: x.etaSquared ?? 0,
    text: fmt.number(x.etaSquared ?? 0, 3),
  }));
  const title = t('homogeneityChart', { list: data.map((d) => `${d.label} ${d.text}`).join(', ') });
  return card('homogeneity', t('homogeneity'), h('figure', null, bars(data, { title, max: 1, labelWidth: 200 })));
}

function segments(r: SchemeReport): HTMLElement {
  return card(
    'segments',
    t('segmentQuality'),
    table(
      [t('name'), t('members'), t('share'), t('identifiability'), t('accessibility'), t('substantial'), t('meanValue')],
      (r.segments ?? []).map((s) => [
        `${'· '.repeat(Math.max(0, (s.level ?? 1) - 1))}${s.displayName ?? fmt.id(s.segment)}`,
        fmt.number(s.memberCount),
        fmt.percent(s.share, 1),
        fmt.percent(s.identifiability),
        fmt.percent(s.accessibility),
        s.substantial ? t('yes') : t('no'),
        fmt.number(s.meanValue ?? 0, 1),
      ]),
      [1, 2, 3, 4, 6],
    ),
  );
}

function penetration(r: SchemeReport): HTMLElement {
  const data = Object.entries(r.productPenetration ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([line, share]) => ({ label: label(`PRODUCT_LINE_${line}`), value: share, text: fmt.percent(share) }));
  const title = `${t('penetration')}: ${data.map((d) => `${d.label} ${d.text}`).join(', ')}`;
  return card('penetration', t('penetration'), h('figure', null, bars(data, { title, max: 1 })));
}

function targets(evals: { evaluations?: Evaluation[] } | Error): HTMLElement {
  if (evals instanceof Error) {
    return card('targets', t('targetMarkets'), h('p', { class: 'muted' }, t('partUnavailable', { reason: evals.message })));
  }
  const ranked = [...(evals.evaluations ?? [])].sort((a, b) => (b.attractiveness ?? 0) - (a.attractiveness ?? 0));
  const data = ranked.map((e) => ({
    label: e.displayName ?? fmt.id(e.segment),
    value: e.attractiveness ?? 0,
    text: fmt.number(e.attractiveness ?? 0, 2),
    parts: [
      { value: e.profit?.score ?? 0, className: 'part-profit', label: `${t('profit')} ${fmt.number(e.profit?.score ?? 0, 2)}` },
      { value: e.market?.score ?? 0, className: 'part-market', label: `${t('market')} ${fmt.number(e.market?.score ?? 0, 2)}` },
      { value: e.internal?.score ?? 0, className: 'part-internal', label: `${t('internal')} ${fmt.number(e.internal?.score ?? 0, 2)}` },
    ],
  }));
  const title = t('targetChart', { list: data.map((d) => `${d.label} ${d.text}`).join(', ') });
  return card(
    'targets',
    t('targetMarkets'),
    h('figure', null, bars(data, { title, max: 1, labelWidth: 220 })),
    h(
      'p',
      { class: 'legend', 'aria-hidden': 'true' },
      h('span', { class: 'swatch part-profit' }),
      t('profit'),
      ' ',
      h('span', { class: 'swatch part-market' }),
      t('market'),
      ' ',
      h('span', { class: 'swatch part-internal' }),
      t('internal'),
    ),
    table(
      ['#', t('name'), t('members'), t('attractiveness'), t('profit'), t('market'), t('internal')],
      ranked.map((e, i) => [
        String(i + 1),
        e.displayName ?? fmt.id(e.segment),
        fmt.number(e.memberCount),
        fmt.number(e.attractiveness ?? 0, 3),
        fmt.number(e.profit?.score ?? 0, 3),
        fmt.number(e.market?.score ?? 0, 3),
        fmt.number(e.internal?.score ?? 0, 3),
      ]),
      [2, 3, 4, 5, 6],
    ),
  );
}
