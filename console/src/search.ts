// The one search box (an ARIA combobox): names go to SearchClients, identifiers to
// LookupClient, as the user types (debounced, the previous call aborted). ↑/↓ move through
// the results, Enter opens one, Escape closes the list; `/` anywhere focuses the box.

import { ApiError, get, query } from './api';
import { debounce, h, mount } from './dom';
import * as fmt from './fmt';
import { detect } from './keys';
import { label, t, type Key } from './i18n';
import type { Client } from './types';

interface Result {
  client: Client;
  matchedOn?: string;
}

const DEBOUNCE_MS = 180;

export function searchBox(open: (clientId: string) => void): HTMLElement {
  const input = h('input', {
    id: 'search',
    type: 'search',
    role: 'combobox',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': 'search-results',
    'aria-describedby': 'search-hint',
    placeholder: t('searchPlaceholder'),
  });
  const list = h('ul', { id: 'search-results', role: 'listbox', 'aria-label': t('results'), hidden: true });
  const status = h('p', { id: 'search-status', class: 'search-status', role: 'status' });
  let results: Result[] = [];
  let active = -1;
  let inflight: AbortController | null = null;

  const setActive = (i: number) => {
    active = i;
    const options = list.querySelectorAll<HTMLElement>('[role=option]');
    options.forEach((o, j) => o.setAttribute('aria-selected', String(j === i)));
    if (i >= 0 && options[i]) {
      input.setAttribute('aria-activedescendant', options[i].id);
      options[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  };

  const show = (found: Result[]) => {
    results = found;
    mount(
      list,
      found.map((r, i) =>
        h(
          'li',
          {
            id: `result-${i}`,
            role: 'option',
            'aria-selected': 'false',
            class: 'result',
            onmousedown: (e: Event) => e.preventDefault(),
            onclick: () => choose(i),
          },
          h('span', { class: 'result-name' }, r.client.displayName || r.client.legalName || fmt.id(r.client.name)),
          h(
            'span',
            { class: 'result-meta' },
            [r.client.legalName, r.client.city, r.client.registrationNumber, label(r.client.lifecycleStage)].filter(Boolean).join(' · '),
            r.matchedOn ? ` · ${t('matchedOn', { field: r.matchedOn })}` : '',
          ),
        ),
      ),
    );
    list.hidden = found.length === 0;
    input.setAttribute('aria-expanded', String(found.length > 0));
    status.textContent = found.length === 0 ? t('noResults') : t('resultCount', { count: found.length });
    setActive(found.length > 0 ? 0 : -1);
  };

  const choose = (i: number) => {
    const r = results[i];
    if (!r) return;
    close();
    open(fmt.id(r.client.name));
  };

  const run = async (text: string) => {
    inflight?.abort();
    if (text.trim().length < 2) {
      close();
      status.textContent = '';
      return;
    }
    const controller = new AbortController();
    inflight = controller;
    const key = detect(text);
    status.textContent = `${t('searching')} ${t('searchingAs', { kind: t(`kind_${key.kind}` as Key) })}`;
    input.dataset.kind = key.kind;
    try {
      let found: Result[];
      if (key.kind === 'name') {
        found = await searchNames(text.trim(), controller.signal);
      } else {
        try {
          const client = await get<Client>(`/v1/clients:lookup${query(key.params)}`, controller.signal);
          found = [{ client, matchedOn: t(`kind_${key.kind}` as Key) }];
        } catch (err) {
          // Not a known identifier of this kind: ranked search still matches tax ids,
          // accounts and names that look like numbers.
          if (!(err instanceof ApiError) || err.httpStatus !== 404) throw err;
          found = await searchNames(text.trim(), controller.signal);
        }
      }
      if (inflight === controller) {
        show(found);
        // What the shown results answer (tests and tools wait on it).
        input.dataset.answered = text.trim();
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      status.textContent = t('error', { message: err instanceof Error ? err.message : String(err) });
      close();
    }
  };
  const debounced = debounce(run, DEBOUNCE_MS);

  input.addEventListener('input', () => debounced(input.value));
  input.addEventListener('keydown', (e) => {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        if (list.hidden && results.length) {
          list.hidden = false;
          input.setAttribute('aria-expanded', 'true');
        }
        setActive(Math.min(results.length - 1, active + 1));
        break;
      case 'ArrowUp':
        e.preventDefault();
        setActive(Math.max(0, active - 1));
        break;
      case 'Enter':
        e.preventDefault();
        if (active >= 0) choose(active);
        else void run(input.value);
        break;
      case 'Escape':
        if (!list.hidden) {
          e.preventDefault();
          close();
        }
        break;
    }
  });
  input.addEventListener('blur', () => window.setTimeout(close, 150));

  return h(
    'div',
    { class: 'search', role: 'search' },
    h('label', { for: 'search', class: 'search-label' }, t('searchLabel')),
    h('div', { class: 'search-field' }, input, list),
    h('p', { id: 'search-hint', class: 'search-hint' }, t('searchHint')),
    status,
  );
}

async function searchNames(text: string, signal: AbortSignal): Promise<Result[]> {
  const reply = await get<{ results?: Array<{ client: Client; matchedOn?: string }> }>(
    `/v1/clients:search${query({ query: text, page_size: 8 })}`,
    signal,
  );
  return (reply.results ?? []).map((r) => ({ client: r.client, matchedOn: r.matchedOn }));
}

/** `/` focuses the search box unless the user is typing somewhere. */
export function installSlashShortcut(): void {
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const box = document.getElementById('search');
    if (box) {
      e.preventDefault();
      box.focus();
      (box as HTMLInputElement).select();
    }
  });
}
