// Forms whose errors come from the API: an AIP-193 BadRequest names each bad field by its
// request path (`interaction.summary`), and the message is shown next to that field. The
// browser's own validation is off so that the API stays the one judge of a request.

import { ApiError } from './api';
import { h, uid } from './dom';
import { t, type Key } from './i18n';

export interface Field {
  /** The request field path, as the API names it in field violations. */
  path: string;
  label: Key;
  kind: 'text' | 'textarea' | 'select' | 'datetime' | 'checkbox';
  options?: Array<[value: string, label: string]>;
  value?: string;
  required?: boolean;
}

export interface FormSpec {
  fields: Field[];
  submit: Key;
  onSubmit: (values: Record<string, string>) => Promise<void>;
  className?: string;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export function form(spec: FormSpec): HTMLFormElement {
  const controls = new Map<string, { control: Control; error: HTMLElement }>();
  const status = h('p', { class: 'form-status', role: 'status' });
  const button = h('button', { type: 'submit', class: 'primary' }, t(spec.submit));
  const rows = spec.fields.map((field) => {
    const id = uid('f');
    const errorId = `${id}-error`;
    const error = h('p', { id: errorId, class: 'field-error', hidden: true });
    const common = {
      id,
      name: field.path,
      'aria-describedby': errorId,
      'aria-required': field.required ? 'true' : null,
    };
    let control: Control;
    switch (field.kind) {
      case 'textarea':
        control = h('textarea', { ...common, rows: 3 });
        control.value = field.value ?? '';
        break;
      case 'select':
        control = h(
          'select',
          common,
          (field.options ?? []).map(([value, text]) => h('option', { value, selected: value === field.value }, text)),
        );
        break;
      case 'datetime':
        control = h('input', { ...common, type: 'datetime-local', value: field.value ?? '' });
        break;
      case 'checkbox':
        control = h('input', { ...common, type: 'checkbox', checked: field.value === 'true' });
        break;
      default:
        control = h('input', { ...common, type: 'text', value: field.value ?? '', autocomplete: 'off' });
    }
    controls.set(field.path, { control, error });
    const labelEl = h('label', { for: id }, t(field.label), field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
    return h('div', { class: `field field-${field.kind}` }, field.kind === 'checkbox' ? [control, labelEl] : [labelEl, control], error);
  });

  const clear = () => {
    for (const { control, error } of controls.values()) {
      control.removeAttribute('aria-invalid');
      error.hidden = true;
      error.textContent = '';
    }
    status.textContent = '';
    status.className = 'form-status';
  };

  const el = h('form', { class: `api-form ${spec.className ?? ''}`, novalidate: true }, rows, h('div', { class: 'form-actions' }, button, status));
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear();
    const values: Record<string, string> = {};
    for (const [path, { control }] of controls) {
      values[path] = control instanceof HTMLInputElement && control.type === 'checkbox' ? String(control.checked) : control.value;
    }
    button.disabled = true;
    status.textContent = t('saving');
    try {
      await spec.onSubmit(values);
      status.textContent = t('saved');
      status.className = 'form-status ok';
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  });

  const showError = (err: unknown) => {
    status.className = 'form-status bad';
    if (!(err instanceof ApiError)) {
      status.textContent = t('error', { message: String(err) });
      return;
    }
    let first: Control | null = null;
    const unmatched: string[] = [];
    for (const [path, description] of err.violations) {
      const target = controls.get(path);
      if (target) {
        target.control.setAttribute('aria-invalid', 'true');
        target.error.textContent = description;
        target.error.hidden = false;
        first ??= target.control;
      } else {
        unmatched.push(`${path}: ${description}`);
      }
    }
    status.textContent = first && unmatched.length === 0 ? t('fixFields') : [err.message, ...unmatched].join(' · ');
    first?.focus();
  };
  return el;
}

/** `[value, label]` pairs for an enum's values (UNSPECIFIED left out). */
export function options(values: string[], labelOf: (v: string) => string): Array<[string, string]> {
  return values.map((v) => [v, labelOf(v)]);
}

/** `2026-11-28T09:30` in local time, for a datetime-local input. */
export function localNow(): string {
  const d = new Date();
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}
