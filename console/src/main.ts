// The console's shell: sign-in, the header (search, navigation, language), and the routes
// under /console. A screen pop (`/console/pop?phone=+86…`, as a telephony system opens it)
// starts its one GetClient360 call before anything else is built.

import './style.css';
import { ApiError, get, setUnauthenticatedHandler } from './api';
import * as auth from './auth';
import { renderAdmin } from './admin';
import { renderAnalyst } from './analyst';
import { h, mount } from './dom';
import { currentLang, label, onLangChange, setLang, t } from './i18n';
import { renderPortfolio } from './portfolio';
import { installSlashShortcut, searchBox } from './search';
import type { Client360 } from './types';
import { fetch360, render360 } from './view360';

const BASE = '/console';

type Route =
  | { name: 'home' }
  | { name: 'client'; id: string }
  | { name: 'pop'; params: Record<string, string> }
  | { name: 'portfolio' }
  | { name: 'analyst' }
  | { name: 'admin' };

/** Deep-link parameters a telephony or other system may pass, as GetClient360 keys. */
const POP_KEYS: Record<string, string> = {
  phone: 'contact_phone',
  contact_phone: 'contact_phone',
  email: 'contact_email',
  contact_email: 'contact_email',
  lei: 'lei',
  registration_number: 'registration_number',
  country_code: 'country_code',
  tax_id: 'tax_id',
  account: 'account_number',
  account_number: 'account_number',
};

function route(): Route {
  const path = location.pathname.replace(/^\/console\/?/, '').replace(/\/$/, '');
  const parts = path.split('/');
  if (parts[0] === 'clients' && parts[1]) return { name: 'client', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'pop') {
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(location.search)) {
      if (POP_KEYS[k] && v.trim()) params[POP_KEYS[k]] = v.trim();
    }
    return { name: 'pop', params };
  }
  if (parts[0] === 'portfolio' || parts[0] === 'analyst' || parts[0] === 'admin') return { name: parts[0] };
  return { name: 'home' };
}

// --- the screen pop's head start ----------------------------------------------------------

let pending: { key: string; promise: Promise<Client360> } | null = null;
const routeKey = (r: Route) => (r.name === 'client' ? `id:${r.id}` : r.name === 'pop' ? `pop:${JSON.stringify(r.params)}` : r.name);

function start360(r: Route): Promise<Client360> | null {
  if (r.name !== 'client' && r.name !== 'pop') return null;
  const key = routeKey(r);
  if (pending?.key !== key) {
    pending = { key, promise: fetch360(r.name === 'client' ? { id: r.id } : { params: r.params }) };
    pending.promise.catch(() => {});
  }
  return pending.promise;
}

if (auth.current()) start360(route());

// --- shell --------------------------------------------------------------------------------

const app = document.getElementById('app')!;
const main = h('main', { id: 'main', tabindex: '-1' });
let stopLive: () => void = () => {};
/** The last 360 shown, so a language switch re-renders without calling again. */
let shown: { key: string; data: Client360 } | null = null;

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

function header(session: auth.Session): HTMLElement {
  const link = (href: string, text: string, current: boolean) =>
    h('li', null, h('a', { href, 'aria-current': current ? 'page' : null }, text));
  const r = route();
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'skip', href: '#main' }, t('skip')),
    h('div', { class: 'brand' }, h('a', { href: `${BASE}/` }, t('appName'))),
    h(
      'nav',
      { 'aria-label': t('mainNav') },
      h(
        'ul',
        null,
        link(`${BASE}/`, t('navSearch'), r.name === 'home'),
        auth.can(session, 'portfolio') ? link(`${BASE}/portfolio`, t('navPortfolio'), r.name === 'portfolio') : null,
        auth.can(session, 'analyst') ? link(`${BASE}/analyst`, t('navAnalyst'), r.name === 'analyst') : null,
        auth.can(session, 'admin') ? link(`${BASE}/admin`, t('navAdmin'), r.name === 'admin') : null,
      ),
    ),
    searchBox((id) => navigate(`${BASE}/clients/${encodeURIComponent(id)}`)),
    h(
      'div',
      { class: 'user' },
      h('span', { class: 'who' }, t('signedInAs', { subject: session.subject, role: label(session.role) })),
      h(
        'button',
        {
          type: 'button',
          class: 'lang',
          lang: currentLang() === 'zh' ? 'en' : 'zh-CN',
          title: t('switchLangLabel'),
          onclick: () => setLang(currentLang() === 'zh' ? 'en' : 'zh'),
        },
        t('switchLang'),
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            auth.signOut();
            void render();
          },
        },
        t('signOut'),
      ),
    ),
  );
}

function signInView(): HTMLElement {
  const error = h('p', { id: 'token-error', class: 'field-error', role: 'alert', hidden: true });
  const input = h('textarea', {
    id: 'token',
    rows: 4,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-help token-error',
  });
  const form = h(
    'form',
    { class: 'card signin', novalidate: true },
    h('h1', null, t('signInTitle')),
    h('p', { id: 'token-help' }, t('signInHelp')),
    h('label', { for: 'token' }, t('token')),
    input,
    error,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, t('signIn'))),
    h(
      'p',
      null,
      h('button', { type: 'button', class: 'link', lang: currentLang() === 'zh' ? 'en' : 'zh-CN', onclick: () => setLang(currentLang() === 'zh' ? 'en' : 'zh') }, t('switchLang')),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const session = auth.parse(input.value);
    const fail = (message: string) => {
      error.textContent = message;
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    };
    if (typeof session === 'string') return fail(t(session));
    auth.signIn(session);
    try {
      // Any role may list schemes: a cheap check that the gateway accepts the token.
      await get('/v1/schemes?page_size=1');
    } catch (err) {
      if (err instanceof ApiError && err.httpStatus === 401) {
        auth.signOut();
        return fail(t('tokenRejected', { message: err.message }));
      }
    }
    start360(route());
    void render();
  });
  return form;
}

async function render(): Promise<void> {
  stopLive();
  stopLive = () => {};
  const session = auth.current();
  if (!session) {
    mount(app, h('main', { id: 'main' }, signInView()));
    document.title = `${t('signInTitle')} · ${t('appName')}`;
    (document.getElementById('token') as HTMLElement | null)?.focus();
    return;
  }
  const r = route();
  mount(app, header(session), main);
  document.title = t('appName');
  switch (r.name) {
    case 'home':
      mount(main, h('div', { class: 'page home' }, h('h1', { class: 'sr-only' }, t('navSearch')), h('p', { class: 'hint-big' }, t('searchHint'))));
      if (document.activeElement === document.body) document.getElementById('search')?.focus();
      return;
    case 'portfolio':
      return renderPortfolio(main, session);
    case 'analyst':
      return renderAnalyst(main);
    case 'admin':
      return renderAdmin(main);
    case 'client':
    case 'pop':
      return show360(r, session);
  }
}

async function show360(r: Route, session: auth.Session): Promise<void> {
  const key = routeKey(r);
  let data = shown?.key === key ? shown.data : null;
  if (!data) {
    mount(main, h('p', { class: 'muted', role: 'status' }, t('loading')));
    try {
      data = await start360(r)!;
    } catch (err) {
      pending = null;
      const message = err instanceof ApiError && err.httpStatus === 404 ? t('notFound') : t('error', { message: err instanceof Error ? err.message : String(err) });
      mount(main, h('div', { class: 'page' }, h('h1', null, t('notFound')), h('p', { class: 'error', role: 'alert' }, message)));
      return;
    } finally {
      if (pending?.key === key) pending = null;
    }
  }
  if (routeKey(route()) !== key) return;
  stopLive = render360(main, data, session);
  document.title = `${data.client?.displayName ?? ''} · ${t('appName')}`;
  performance.mark('console:360-rendered');
  requestAnimationFrame(() => setTimeout(() => performance.mark('console:360-painted'), 0));
  // A pop's address becomes the client's own, so a reload or a shared link shows the same client.
  const id = data.client?.name.split('/').pop();
  if (r.name === 'pop' && id) {
    history.replaceState(null, '', `${BASE}/clients/${encodeURIComponent(id)}`);
    shown = { key: routeKey(route()), data };
  } else {
    shown = { key, data };
  }
  main.querySelector<HTMLElement>('h1')?.setAttribute('tabindex', '-1');
}

// Links inside the console navigate without reloading the page.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest('a');
  const href = a?.getAttribute('href');
  if (!a || !href || !href.startsWith(`${BASE}/`) || a.target) return;
  e.preventDefault();
  navigate(href);
  main.focus();
});
window.addEventListener('popstate', () => void render());
setUnauthenticatedHandler(() => void render());
onLangChange(() => void render());
installSlashShortcut();
void render();
