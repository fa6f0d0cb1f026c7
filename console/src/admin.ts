// An administrator's view: the value model in effect (GetValueModel `valueModels/current`)
// and recent audit events.
//
// The audit-events RPC is being added to the API separately. Until it is, the section says
// "not available". To wire it: the console looks in /openapi.json for a GET path with
// "audit" in it (or set AUDIT_EVENTS_PATH to the exact path) and lists what it returns; it
// reads the first array in the reply and shows the usual columns (time, actor, action,
// outcome, resource) under whichever of the names below the messages use.

import { ApiError, get, query } from './api';
import { bars } from './charts';
import { h, mount } from './dom';
import * as fmt from './fmt';
import { t } from './i18n';
import { table } from './view360';

/** The audit-events REST path, once known; empty: found in /openapi.json. */
export const AUDIT_EVENTS_PATH = '';

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

/** The audit-events path: configured, or a GET path about audit in the OpenAPI document. */
async function auditPath(): Promise<string | null> {
  if (AUDIT_EVENTS_PATH) return AUDIT_EVENTS_PATH;
  const doc = await fetch('/openapi.json').then((r) => (r.ok ? (r.json() as Promise<{ paths?: Record<string, { get?: unknown }> }>) : null));
  const path = Object.entries(doc?.paths ?? {}).find(([p, ops]) => /audit/i.test(p) && ops.get && !p.includes('{'));
  return path ? path[0] : null;
}

type AuditEvent = Record<string, unknown>;

const pick = (e: AuditEvent, ...names: string[]): string => {
  for (const n of names) {
    const v = e[n];
    if (v !== undefined && v !== null && v !== '') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return '—';
};

async function loadAudit(section: HTMLElement): Promise<void> {
  const heading = section.firstElementChild!;
  const unavailable = () => mount(section, heading, h('p', { class: 'part-missing', role: 'note', 'data-state': 'unavailable' }, t('auditUnavailable')));
  try {
    const path = await auditPath();
    if (!path) return unavailable();
    const reply = await get<Record<string, unknown>>(`${path}${query({ page_size: 20 })}`);
    const events = (Object.values(reply).find(Array.isArray) as AuditEvent[] | undefined) ?? [];
    if (events.length === 0) return mount(section, heading, h('p', { class: 'muted' }, t('noAuditEvents')));
    mount(
      section,
      heading,
      table(
        [t('when'), t('who'), t('what'), t('outcomeCol'), t('resource')],
        events.map((e) => {
          const time = pick(e, 'eventTime', 'time', 'createTime', 'occurTime');
          return [
            time === '—' ? time : fmt.dateTime(time),
            pick(e, 'actor', 'principal', 'subject', 'caller'),
            pick(e, 'action', 'method', 'rpc', 'operation'),
            pick(e, 'outcome', 'result', 'status'),
            pick(e, 'resource', 'target', 'name'),
          ];
        }),
      ),
    );
  } catch (err) {
    if (err instanceof ApiError && (err.httpStatus === 404 || err.httpStatus === 501)) return unavailable();
    mount(section, heading, failure(err));
  }
}

function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.httpStatus === 403) return h('p', { class: 'muted' }, t('forbidden'));
  return h('p', { class: 'error', role: 'alert' }, t('error', { message: err instanceof Error ? err.message : String(err) }));
}
