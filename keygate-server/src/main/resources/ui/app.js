// Keygate admin UI: sign-in, navigation and hash routing. No framework, no build step.
import { api, ApiFailure, probe, setUnauthorizedHandler, token } from './api.js';
import { clear, h } from './dom.js';
import { announce, failure } from './ui.js';
import { keyDetail, keyList, createKey } from './keys.js';
import { alertsPage, auditPage, canariesPage, eventsPage, leaksPage, reportPage, tokensPage } from './sections.js';

/** Optional sections: shown only when their API answers for this token. */
const PROBES = {
  audit: '/v1/audit?limit=1',
  alerts: '/v1/alerts?limit=1',
  leaks: '/v1/leaks?limit=1',
  canaries: '/v1/canaries?limit=1',
  events: '/v1/events?limit=1',
  report: '/v1/report?format=json',
  tokens: '/v1/admin-tokens?limit=1',
};

const state = { me: null, sections: new Set(), ready: null };

const view = () => document.getElementById('view');

function showSignin(message) {
  state.me = null;
  state.ready = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  document.getElementById('signout').hidden = true;
  clear(view());
  document.getElementById('signin').hidden = false;
  document.getElementById('signin-error').textContent = message || '';
  document.title = 'Sign in · Keygate admin';
  document.getElementById('token').focus();
}

async function loadSession() {
  state.me = await api('GET', '/v1/whoami', undefined, { quiet: true });
  const who = document.getElementById('who');
  clear(who);
  who.append(h('span', {}, 'Signed in as '), h('code', {}, state.me.key_id || 'admin'));
  if (state.me.owner_id) {
    who.append(' · ', h('strong', { class: 'limited' }, `limited to owner ${state.me.owner_id}`));
  }
  who.hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('signin').hidden = true;
  const scopes = new Set(state.me.scopes || []);
  const nav = document.getElementById('nav');
  nav.querySelector('[data-section="create"]').hidden = !scopes.has('keys:write');
  const results = await Promise.all(Object.entries(PROBES).map(async ([name, path]) => [name, await probe(path)]));
  state.sections = new Set(results.filter(([, ok]) => ok).map(([n]) => n));
  for (const [name] of Object.entries(PROBES)) {
    nav.querySelector(`[data-section="${name}"]`).hidden = !state.sections.has(name);
  }
  nav.hidden = false;
}

function setCurrent(hash) {
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href');
    const current = hash === target || (target === '#/keys' && /^#\/keys\/(?!new)/.test(hash));
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Each navigation renders into its own container: a page still awaiting data when the user moves
// on appends to a detached node, never to the page that replaced it.
let generation = 0;

async function route() {
  const mine = ++generation;
  const hash = window.location.hash;
  if (hash && !hash.startsWith('#/')) return; // in-page anchors such as the skip link
  if (!token.get()) {
    showSignin();
    return;
  }
  if (!state.ready) state.ready = loadSession();
  try {
    await state.ready;
  } catch (e) {
    token.clear();
    showSignin(e instanceof ApiFailure && e.status === 401
      ? 'That token was refused. Check it and try again.' : failure(e));
    return;
  }
  const path = (hash || '#/keys').slice(1);
  setCurrent(`#${path}`);
  const container = view();
  const root = h('div', { class: 'page' });
  clear(container).append(root);
  const ctx = { me: state.me, sections: state.sections, root };
  const m = path.match(/^\/keys\/([^/]+)$/);
  let page;
  if (path === '/keys' || path === '/') page = keyList;
  else if (path === '/keys/new') page = createKey;
  else if (m) page = (c) => keyDetail(c, decodeURIComponent(m[1]));
  else if (path === '/audit' && state.sections.has('audit')) page = auditPage;
  else if (path === '/alerts' && state.sections.has('alerts')) page = alertsPage;
  else if (path === '/leaks' && state.sections.has('leaks')) page = leaksPage;
  else if (path === '/canaries' && state.sections.has('canaries')) page = canariesPage;
  else if (path === '/events' && state.sections.has('events')) page = eventsPage;
  else if (path === '/report' && state.sections.has('report')) page = reportPage;
  else if (path === '/tokens' && state.sections.has('tokens')) page = tokensPage;
  else page = notFound;
  container.setAttribute('aria-busy', 'true');
  try {
    await page(ctx);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return;
    root.append(h('p', { class: 'error', role: 'alert' }, failure(e)));
  } finally {
    if (mine === generation) container.setAttribute('aria-busy', 'false');
  }
  if (mine !== generation) return;
  const heading = root.querySelector('h1');
  document.title = `${heading ? heading.textContent : 'Keygate'} · Keygate admin`;
}

function notFound({ root }) {
  root.append(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. ', h('a', { href: '#/keys' }, 'Go to the keys.')));
}

function start() {
  setUnauthorizedHandler(() => {
    token.clear();
    showSignin('The server refused the token (expired or revoked?). Sign in again.');
  });
  document.getElementById('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = document.getElementById('token');
    const t = input.value.trim();
    input.value = '';
    if (!t) return;
    token.set(t);
    state.ready = null;
    if (!window.location.hash.startsWith('#/')) window.location.hash = '#/keys';
    await route();
    if (state.me) {
      announce('Signed in.');
      document.getElementById('main').focus();
    }
  });
  document.getElementById('signout').addEventListener('click', () => {
    token.clear();
    announce('Signed out.');
    showSignin();
  });
  document.getElementById('skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('hashchange', () => {
    route().then(() => {
      const heading = view().querySelector('h1');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.focus();
      }
    });
  });
  route();
}

start();
