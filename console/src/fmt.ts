// Numbers, money and times in the UI language's conventions.

import { currentLang } from './i18n';

export interface Money {
  currencyCode?: string;
  units?: string | number;
  nanos?: number;
}

const locale = () => (currentLang() === 'zh' ? 'zh-CN' : 'en-GB');

export function moneyValue(m: Money | undefined): number {
  if (!m) return 0;
  return Number(m.units ?? 0) + (m.nanos ?? 0) / 1e9;
}

export function money(m: Money | undefined): string {
  if (!m || (!m.currencyCode && m.units === undefined)) return '—';
  try {
    return new Intl.NumberFormat(locale(), {
      style: 'currency',
      currency: m.currencyCode || 'CNY',
      maximumFractionDigits: 0,
    }).format(moneyValue(m));
  } catch {
    return `${m.currencyCode ?? ''} ${number(moneyValue(m))}`;
  }
}

export function number(n: number | string | undefined, digits = 0): string {
  if (n === undefined || n === '') return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(n));
}

export function percent(n: number | undefined, digits = 0): string {
  if (n === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(n);
}

export function dateTime(iso: string | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function date(iso: string | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}

/** "in 3 hours" / "2 days ago". */
export function relative(iso: string | undefined): string {
  if (!iso) return '—';
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400 * 2) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

/** `clients/0123…` → `0123…`. */
export function id(name: string | undefined): string {
  return name?.split('/').pop() ?? '';
}

/** A v4 UUID for request_id (crypto.randomUUID needs a secure context; this does not). */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
