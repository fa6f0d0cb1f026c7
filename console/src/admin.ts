// An administrator's view: the value model in effect (GetValueModel `valueModels/current`)
// and recent audit events of the service chosen (ListAuditEvents, `GET /v1/auditEvents`
// with `service`: each service keeps its own trail).

import { ApiError, get, query } from './api';
import { bars } from './charts';
import { h, mount } from './dom';
import * as fmt from './fmt';
import { t } from './i18n';
import { table } from './view360';

/** The services whose audit trails can be read, by the short name ListAuditEvents takes. */
export const AUDITED_SERVICES = ['profile', 'segmentation', 'scoring', 'interaction'] as const;

interface ValueModel {
  name?: string;
  version?: string;
  description?: string;
  currencyCode?: string;
  grades?: Array<{ grade?: string; pd?: number; riskWeight?: number }>;
  unratedGrade?: string;
  defaultLgd?: number;
  capitalRatio?: number;
  hurdleRate?: number;
  scoreWeights?: { raroc?: number; eva?: number; relationship?: number };
  tierThresholds?: { keyAccount?: number; grow?: number; maintain?: number };
  createTime?: string;
  creator?: string;
}

export async function renderAdmin(root: HTMLElement): Promise<void> {
  const model = h('section', { class: 'card', 'aria-labelledby': 'h-model' }, h('h2', { id: 'h-model' }, t('valueModel')), h('p', { class: 'muted' }, t('loading')));
  const audit = h('section', { class: 'card', 'aria-labelledby': 'h-audit', 'data-section': 'audit' }, h('h2', { id: 'h-audit' }, t('auditEvents')), h('p', { class: 'muted' }, t('loading')));
  mount(root, h('div', { class: 'page admin' }, h('h1', null, t('adminTitle')), h('div', { class: 'grid two' }, model, audit)));
  await Promise.all([loadModel(model), loadAudit(audit)]);
}

async function loadModel(section: HTMLElement): Promise<void> {
  const heading = section.firstElementChild!;
  try {
    const m = await get<ValueModel>('/v1/valueModels/current');
    const w = m.scoreWeights ?? {};
    const weights = [
      { label: 'RAROC', value: w.raroc ?? 0, text: fmt.number(w.raroc ?? 0, 2) },
      { label: 'EVA', value: w.eva ?? 0, text: fmt.number(w.eva ?? 0, 2) },
      { label: t('relationshipPart'), value: w.relationship ?? 0, text: fmt.number(w.relationship ?? 0, 2) },
    ];
    const thresholds = m.tierThresholds ?? {};
    mount(
      section,
      heading,
      h('p', null, h('strong', null, t('version', { version: m.version ?? '' })), ' · ', m.description ?? '', ' · ', m.currencyCode ?? ''),
      h('p', { class: 'muted' }, fmt.dateTime(m.createTime), m.creator ? ` · ${m.creator}` : ''),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, t('defaultLgd')),
        h('dd', null, fmt.percent(m.defaultLgd, 1)),
        h('dt', null, t('capitalRatio')),
        h('dd', null, fmt.percent(m.capitalRatio, 1)),
        h('dt', null, t('hurdleRate')),
        h('dd', null, fmt.percent(m.hurdleRate, 1)),
        h('dt', null, t('tierThresholds')),
        h('dd', null, `≥ ${thresholds.keyAccount ?? '—'} / ≥ ${thresholds.grow ?? '—'} / ≥ ${thresholds.maintain ?? '—'}`),
      ),
      h('h3', null, t('scoreWeights')),
      h('figure', null, bars(weights, { title: `${t('scoreWeights')}: ${weights.map((x) => `${x.label} ${x.text}`).join(', ')}`, max: 1, labelWidth: 120 })),
      h('h3', null, t('grades')),
      table(
        [t('creditGrade'), t('pd'), t('riskWeight')],
        (m.grades ?? []).map((g) => [g.grade === m.unratedGrade ? `${g.grade} *` : (g.grade ?? ''), fmt.percent(g.pd, 2), fmt.number(g.riskWeight ?? 0, 2)]),
        [1, 2],
      ),
    );
  } catch (err) {
    mount(section, heading, failure(err));
  }
}

interface AuditEvent {
  sequence?: string;
  eventTime?: string;
  subject?: string;
  role?: string;
  action?: string;
  resource?: string;
  requestId?: string;
  outcome?: string;
  detail?: string;
}

/** The section: a service chooser and the newest 20 records of that service's trail. */
async function loadAudit(section: HTMLElement): Promise<void> {
  const heading = section.firstElementChild!;
  const chooserId = 'audit-service';
  const chooser = h(
    'select',
    { id: chooserId },
    ...AUDITED_SERVICES.map((name) => h('option', { value: name }, name)),
  ) as HTMLSelectElement;
  const results = h('div', { 'aria-live': 'polite' });
  const controls = h('p', null, h('label', { for: chooserId }, t('auditService')), ' ', chooser);
  mount(section, heading, controls, results);
  const show = async () => {
    mount(results, h('p', { class: 'muted' }, t('loading')));
    try {
      const reply = await get<{ auditEvents?: AuditEvent[] }>(`/v1/auditEvents${query({ service: chooser.value, page_size: 20 })}`);
      const events = reply.auditEvents ?? [];
      if (events.length === 0) return mount(results, h('p', { class: 'muted' }, t('noAuditEvents')));
      mount(
        results,
        table(
          [t('when'), t('who'), t('what'), t('outcomeCol'), t('resource')],
          events.map((e) => [
            e.eventTime ? fmt.dateTime(e.eventTime) : '—',
            h('span', { class: 'wrap' }, e.role ? `${e.subject ?? '—'} (${e.role})` : (e.subject ?? '—')),
            // The action, with its detail (a change kind, a refusal's reason) beneath it.
            h('span', { class: 'wrap' }, e.action ?? '—', e.detail ? h('br') : null, e.detail ? h('small', { class: 'muted' }, e.detail) : null),
            (e.outcome ?? '').replace(/^AUDIT_OUTCOME_/, '') || '—',
            e.resource ? h('span', { class: 'mono' }, e.resource) : '—',
          ]),
        ),
      );
    } catch (err) {
      mount(results, failure(err));
    }
  };
  chooser.addEventListener('change', () => void show());
  await show();
}

function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.httpStatus === 403) return h('p', { class: 'muted' }, t('forbidden'));
  return h('p', { class: 'error', role: 'alert' }, t('error', { message: err instanceof Error ? err.message : String(err) }));
}
