// Keys: list with filters, detail, create, edit, rotate, revoke.
import { api, ApiFailure, items, seg } from './api.js';
import { clear, dl, fmtTime, h, scalar, splitList, table, timeEl } from './dom.js';
import { announce, dialog, failure, field } from './ui.js';
import { usageChart } from './chart.js';

// Admin tokens are not keys: /v1/keys never lists them (see the Admin tokens page).
const TYPES = ['live_secret', 'test_secret', 'live_public', 'test_public', 'live_restricted',
  'test_restricted'];
const STATUSES = ['active', 'disabled', 'revoked', 'expired'];
const SOON_DAYS = 30;
const DAY = 86400000;

const filters = { q: '', owner: '', type: '', status: '', soon: false };

const canWrite = (me) => (me.scopes || []).includes('keys:write');

function expiringSoon(k) {
  if (!k.expires_at || k.status !== 'active') return false;
  const left = new Date(k.expires_at).getTime() - Date.now();
  return left > 0 && left <= SOON_DAYS * DAY;
}

function badge(k) {
  const soon = expiringSoon(k);
  return h('span', { class: `badge s-${k.status}${soon ? ' soon' : ''}` },
    k.status, soon ? ' · expiring soon' : null, k.status === 'active' && k.revokes_at ? ' · in grace' : null);
}

function keyLink(id, text) {
  return h('a', { href: `#/keys/${encodeURIComponent(id)}` }, text || id);
}

/** #/keys */
export async function keyList({ me, root }) {
  if (me.owner_id) filters.owner = me.owner_id;
  root.append(h('h1', {}, 'Keys'));
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let loaded = [];
  let cursor = null;

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter keys' },
    field('Search name, id or hint', 'q', { kind: 'search', value: filters.q }),
    field('Owner', 'owner', { value: filters.owner, attrs: me.owner_id ? { readonly: true } : {} }),
    field('Type', 'type', { kind: 'select', value: filters.type, options: [['', 'Any type'], ...TYPES.map((t) => [t, t])] }),
    field('Status', 'status', { kind: 'select', value: filters.status, options: [['', 'Any status'], ...STATUSES.map((s) => [s, s])] }),
    h('div', { class: 'field check' },
      h('input', { type: 'checkbox', id: 'f-soon', name: 'soon', checked: filters.soon }),
      h('label', { for: 'f-soon' }, `Expiring within ${SOON_DAYS} days`)),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Apply filters')));

  const render = () => {
    const q = filters.q.toLowerCase();
    const shown = loaded.filter((k) => (!filters.soon || expiringSoon(k))
      && (!q || [k.name, k.key_id, k.hint, k.owner_id].some((v) => v && String(v).toLowerCase().includes(q))));
    clear(body).append(table('API keys', [
      { label: 'Name', value: (k) => keyLink(k.key_id, k.name || '(unnamed)') },
      { label: 'Key id', value: (k) => h('code', {}, k.key_id) },
      { label: 'Owner', value: (k) => k.owner_id },
      { label: 'Type', value: (k) => k.type },
      { label: 'Status', value: badge },
      { label: 'Hint', value: (k) => h('code', {}, k.hint || '') },
      { label: 'Expires', value: (k) => timeEl(k.expires_at) },
      { label: 'Last used', value: (k) => timeEl(k.last_used_at) },
    ], shown, 'No keys match.'));
    count.textContent = `${shown.length} of ${loaded.length} loaded keys shown${cursor ? ' (more available)' : ''}.`;
    more.hidden = !cursor;
  };

  const load = async (append) => {
    const p = new URLSearchParams({ limit: '50' });
    if (filters.owner) p.set('owner_id', filters.owner);
    if (filters.type) p.set('type', filters.type);
    if (filters.status) p.set('status', filters.status);
    if (append && cursor) p.set('cursor', cursor);
    const page = await api('GET', `/v1/keys?${p}`);
    loaded = append ? loaded.concat(items(page)) : items(page);
    cursor = page.next_cursor || null;
    render();
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    filters.q = String(d.get('q') || '').trim();
    filters.owner = me.owner_id || String(d.get('owner') || '').trim();
    filters.type = String(d.get('type') || '');
    filters.status = String(d.get('status') || '');
    filters.soon = d.get('soon') === 'on';
    try {
      await load(false);
    } catch (e) {
      announce(failure(e), 'error');
    }
  });
  form.querySelector('[name=q]').addEventListener('input', (ev) => { filters.q = ev.target.value.trim(); render(); });
  form.querySelector('[name=soon]').addEventListener('change', (ev) => { filters.soon = ev.target.checked; render(); });
  more.addEventListener('click', async () => {
    try {
      await load(true);
      announce('More keys loaded.');
    } catch (e) {
      announce(failure(e), 'error');
    }
  });
  root.append(
    canWrite(me) ? h('p', {}, h('a', { class: 'button', href: '#/keys/new' }, 'Create a key')) : null,
    form, count, body, more);
  await load(false);
}

/** Shows a new key once; on close the DOM node and every reference to it are cleared. */
export async function showSecretOnce(created, title) {
  let secret = created.api_key;
  delete created.api_key;
  const code = h('code', { class: 'secret', id: 'one-time-key' }, secret);
  const copied = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy key');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = 'Copied to the clipboard.';
    } catch (e) {
      const r = document.createRange();
      r.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      let ok = false;
      try { ok = document.execCommand('copy'); } catch (x) { ok = false; }
      copied.textContent = ok ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
  await dialog({
    title,
    submitLabel: 'I have stored it — close',
    cancelLabel: null,
    body: [
      h('p', { class: 'warning', id: 'once-warning' }, h('strong', {}, 'You will not see this key again. '),
        'Keygate keeps only a hash of it. Copy it now and store it somewhere safe.'),
      h('div', { class: 'secret-box' }, code, copy),
      copied,
      dl([['Key id', h('code', {}, created.key_id)], ['Hint', h('code', {}, created.hint || '')],
        ['Owner', created.owner_id], ['Expires', timeEl(created.expires_at)]]),
    ],
    onClose: () => {
      code.textContent = '';
      code.remove();
      secret = null;
      const sel = window.getSelection();
      if (sel) sel.removeAllRanges();
    },
  });
}

function optionalInt(form, name) {
  const v = String(new FormData(form).get(name) || '').trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name.replace(/_/g, ' ')} must be a whole number`);
  return n;
}

function rateLimitFrom(form) {
  const requests = optionalInt(form, 'rl_requests');
  const window = optionalInt(form, 'rl_window');
  if (requests === undefined && window === undefined) return undefined;
  if (requests === undefined || window === undefined) throw new Error('A rate limit needs both requests and a window.');
  return { requests, window };
}

/** #/keys/new */
export async function createKey({ me, root }) {
  root.append(h('h1', {}, 'Create a key'));
  if (!canWrite(me)) {
    root.append(h('p', {}, 'This token may not create keys (it lacks keys:write).'));
    return;
  }
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'stack narrow', novalidate: true },
    field('Owner id', 'owner_id', { value: me.owner_id || '', required: true, hint: 'The customer or team the key belongs to.', attrs: me.owner_id ? { readonly: true } : {} }),
    field('Type', 'type', { kind: 'select', value: 'live_secret', options: TYPES.map((t) => [t, t]) }),
    field('Name', 'name', { hint: 'Optional, for people: where the key is used.' }),
    field('Scopes', 'scopes', { hint: 'Comma or space separated, e.g. read, write. Empty = no scopes.' }),
    field('IP allowlist', 'ip_allowlist', { hint: 'Addresses or CIDR ranges, comma or space separated. Empty = any address.' }),
    field('Expires in days', 'expires_in_days', { kind: 'number', attrs: { min: 1, inputmode: 'numeric' }, hint: 'Empty = the server default.' }),
    h('fieldset', {}, h('legend', {}, 'Rate limit (optional)'),
      h('div', { class: 'row' },
        field('Requests', 'rl_requests', { kind: 'number', attrs: { min: 1, inputmode: 'numeric' } }),
        field('Per window (seconds)', 'rl_window', { kind: 'number', attrs: { min: 1, inputmode: 'numeric' } }))),
    err,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const d = new FormData(form);
    try {
      const body = {
        owner_id: String(d.get('owner_id') || '').trim(),
        type: String(d.get('type')),
        scopes: splitList(d.get('scopes')),
        ip_allowlist: splitList(d.get('ip_allowlist')),
      };
      if (!body.owner_id) throw new Error('Owner id is required.');
      const name = String(d.get('name') || '').trim();
      if (name) body.name = name;
      const days = optionalInt(form, 'expires_in_days');
      if (days !== undefined) body.expires_in_days = days;
      const rl = rateLimitFrom(form);
      if (rl) body.rate_limit = rl;
      const created = await api('POST', '/v1/keys', body);
      form.reset();
      const id = created.key_id;
      await showSecretOnce(created, 'Your new key');
      announce(`Key ${id} created.`);
      window.location.hash = `#/keys/${encodeURIComponent(id)}`;
    } catch (e) {
      err.textContent = failure(e);
    }
  });
  root.append(form);
}

function editDialog(k) {
  const rl = (k.rate_limits || [])[0];
  return dialog({
    title: `Edit ${k.name || k.key_id}`,
    submitLabel: 'Save changes',
    body: [
      field('Name', 'name', { value: k.name || '' }),
      field('Scopes', 'scopes', { value: (k.scopes || []).join(', '), hint: 'Comma or space separated.' }),
      field('IP allowlist', 'ip_allowlist', { value: (k.ip_allowlist || []).join(', '), hint: 'Empty = any address.' }),
      h('fieldset', {}, h('legend', {}, 'Rate limit'),
        h('div', { class: 'row' },
          field('Requests', 'rl_requests', { kind: 'number', value: rl ? rl.requests : '', attrs: { min: 1 } }),
          field('Per window (seconds)', 'rl_window', { kind: 'number', value: rl ? rl.window : '', attrs: { min: 1 } }))),
      field('Expires in days (from now)', 'expires_in_days', { kind: 'number', attrs: { min: 1 }, hint: `Now: ${fmtTime(k.expires_at)}. Empty = unchanged.` }),
    ],
    onSubmit: async (form) => {
      const d = new FormData(form);
      const body = {
        name: String(d.get('name') || ''),
        scopes: splitList(d.get('scopes')),
        ip_allowlist: splitList(d.get('ip_allowlist')),
      };
      const r = rateLimitFrom(form);
      if (r) body.rate_limit = r;
      const days = optionalInt(form, 'expires_in_days');
      if (days !== undefined) body.expires_in_days = days;
      await api('PATCH', `/v1/keys/${seg(k.key_id)}`, body);
      return true;
    },
  });
}

function rotateDialog(k) {
  const choices = [['0', 'None — revoke the old key now'], ['1', '1 hour'], ['24', '24 hours'], ['72', '72 hours'], ['custom', 'Custom']];
  const custom = field('Custom grace period (hours)', 'custom_hours', { kind: 'number', attrs: { min: 0, step: 'any', disabled: true } });
  const group = h('fieldset', {}, h('legend', {}, 'Grace period: how long the old key keeps working'),
    choices.map(([v, l], i) => h('div', { class: 'check' },
      h('input', { type: 'radio', name: 'grace', id: `grace-${v}`, value: v, checked: v === '24' }),
      h('label', { for: `grace-${v}` }, l))), custom);
  group.addEventListener('change', () => {
    const on = group.querySelector('input[name=grace]:checked').value === 'custom';
    const input = custom.querySelector('input');
    input.disabled = !on;
    input.required = on;
  });
  let result = null;
  return dialog({
    title: `Rotate ${k.name || k.key_id}?`,
    submitLabel: 'Rotate key',
    danger: true,
    body: [h('p', {}, 'A new key with the same settings is issued. The old key stops working when the grace period ends.'),
      k.status === 'disabled' ? h('p', { class: 'warning' }, 'This key is disabled, so the new key starts disabled too: enable it when it should be used.') : null,
      group],
    onSubmit: async (form) => {
      const d = new FormData(form);
      let hours = d.get('grace');
      hours = hours === 'custom' ? Number(d.get('custom_hours')) : Number(hours);
      if (!Number.isFinite(hours) || hours < 0) throw new Error('Enter a grace period of 0 hours or more.');
      result = await api('POST', `/v1/keys/${seg(k.key_id)}/rotate`, { grace_period_hours: hours });
      return true;
    },
  }).then((ok) => (ok ? result : null));
}

function revokeDialog(k) {
  return dialog({
    title: `Revoke ${k.name || k.key_id}?`,
    submitLabel: 'Revoke key',
    danger: true,
    body: [h('p', { class: 'warning' }, h('strong', {}, 'This cannot be undone. '), 'Every request with this key is refused from now on.'),
      field('Reason', 'reason', { required: true, hint: 'Recorded in the audit log, e.g. "laptop stolen".' })],
    onSubmit: async (form) => {
      const reason = String(new FormData(form).get('reason') || '').trim();
      if (!reason) throw new Error('Give a reason.');
      await api('POST', `/v1/keys/${seg(k.key_id)}/revoke`, { reason });
      return true;
    },
  });
}

async function chain(k) {
  const back = [];
  let from = k.rotated_from;
  for (let i = 0; from && i < 10; i += 1) {
    back.unshift(from);
    try { from = (await api('GET', `/v1/keys/${seg(from)}`)).rotated_from; } catch (e) { from = null; }
  }
  const fwd = [];
  let to = k.rotated_to;
  for (let i = 0; to && i < 10; i += 1) {
    fwd.push(to);
    try { to = (await api('GET', `/v1/keys/${seg(to)}`)).rotated_to; } catch (e) { to = null; }
  }
  if (!back.length && !fwd.length) return h('p', {}, 'This key has not been rotated.');
  return h('ol', { class: 'chain' },
    back.map((id) => h('li', {}, keyLink(id), ' (older)')),
    h('li', { 'aria-current': 'true' }, h('strong', {}, k.key_id), ' (this key)'),
    fwd.map((id) => h('li', {}, keyLink(id), ' (newer)')));
}

async function usageSection(k) {
  const sec = h('section', { 'aria-labelledby': 'usage-h', class: 'card' }, h('h2', { id: 'usage-h' }, 'Usage'));
  const out = h('div');
  const windows = [['24h', '24 hours'], ['30d', '30 days']];
  const buttons = windows.map(([w, label]) => h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', 'data-window': w }, label));
  const show = async (w) => {
    const label = windows.find(([x]) => x === w)[1];
    buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.window === w)));
    const data = await api('GET', `/v1/keys/${seg(k.key_id)}/usage?window=${w}`);
    clear(out).append(usageChart(data, label));
  };
  buttons.forEach((b) => b.addEventListener('click', () => show(b.dataset.window).catch((e) => announce(failure(e), 'error'))));
  try {
    await show('24h');
  } catch (e) {
    if (e instanceof ApiFailure && (e.noRoute || e.status === 403)) return null; // not available
    out.append(h('p', { class: 'error' }, failure(e)));
  }
  sec.append(h('div', { class: 'toggle', role: 'group', 'aria-label': 'Usage window' }, buttons), out);
  return sec;
}

/** The audit trail of one target (or of everything), as a table. */
export function auditTable(events, caption) {
  return table(caption, [
    { label: 'When', value: (e) => timeEl(e.at) },
    { label: 'Action', value: (e) => e.action },
    { label: 'Target', value: (e) => (e.target_id && /^key_/.test(e.target_id) ? keyLink(e.target_id) : e.target_id) },
    { label: 'Owner', value: (e) => e.owner_id },
    { label: 'Actor', value: (e) => e.actor },
    { label: 'Source IP', value: (e) => e.source_ip },
    { label: 'Details', value: (e) => scalar(e.details) },
  ], events, 'No audit events.');
}

/** #/keys/{id} */
export async function keyDetail(ctx, id) {
  const { me, root, sections } = ctx;
  let k;
  try {
    k = await api('GET', `/v1/keys/${seg(id)}`);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) {
      root.append(h('h1', {}, 'Key not found'), h('p', {}, 'No key with that id is visible to this token. ', keyLink('', 'Back to the keys.')));
      root.querySelector('a').setAttribute('href', '#/keys');
      return;
    }
    throw e;
  }
  const reload = async () => { await keyDetail({ ...ctx, root: clear(root) }, id); };
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/keys' }, '← All keys')),
    h('h1', {}, k.name || k.key_id), h('p', {}, badge(k)));
  if (canWrite(me) && k.status !== 'revoked') {
    const edit = h('button', { type: 'button', class: 'secondary' }, 'Edit settings');
    const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate');
    const toggle = h('button', { type: 'button', class: 'secondary' }, k.status === 'disabled' ? 'Enable' : 'Disable');
    const revoke = h('button', { type: 'button', class: 'danger' }, 'Revoke');
    edit.addEventListener('click', async () => {
      if (await editDialog(k)) { announce('Key settings saved.'); await reload(); }
    });
    rotate.addEventListener('click', async () => {
      const r = await rotateDialog(k);
      if (!r) return;
      const newId = r.new_key.key_id;
      await showSecretOnce(r.new_key, 'Your rotated key');
      announce(r.message || `Rotated: new key ${newId}.`);
      window.location.hash = `#/keys/${encodeURIComponent(newId)}`;
    });
    toggle.addEventListener('click', async () => {
      const action = k.status === 'disabled' ? 'enable' : 'disable';
      try {
        await api('POST', `/v1/keys/${seg(k.key_id)}/${action}`, {});
        announce(`Key ${action}d.`);
        await reload();
      } catch (e) { announce(failure(e), 'error'); }
    });
    revoke.addEventListener('click', async () => {
      if (await revokeDialog(k)) { announce(`Key ${k.key_id} revoked.`); await reload(); }
    });
    root.append(h('div', { class: 'actions', role: 'group', 'aria-label': 'Key actions' }, edit, rotate, toggle, revoke));
  }
  const left = k.expires_at ? Math.round((new Date(k.expires_at).getTime() - Date.now()) / DAY) : null;
  root.append(h('section', { 'aria-labelledby': 'settings-h', class: 'card' }, h('h2', { id: 'settings-h' }, 'Settings'), dl([
    ['Key id', h('code', {}, k.key_id)],
    ['Hint', h('code', {}, k.hint || '')],
    ['Owner', k.owner_id], ['Type', k.type], ['Name', k.name],
    ['Scopes', k.scopes], ['IP allowlist', (k.ip_allowlist || []).length ? k.ip_allowlist : 'any address'],
    ['Rate limits', (k.rate_limits || []).map((r) => `${r.requests} per ${r.window} s${r.name && r.name !== 'default' ? ` (${r.name})` : ''}`)],
    ['Created', timeEl(k.created_at)], ['Updated', timeEl(k.updated_at)],
    ['Last used', timeEl(k.last_used_at)], ['Usage count', k.usage_count],
    ['Expires', k.expires_at ? h('span', {}, timeEl(k.expires_at), left !== null && left >= 0 ? ` (in ${left} days)` : '') : 'never'],
    ...(k.revokes_at ? [['Old key stops working', timeEl(k.revokes_at)]] : []),
    ...(k.revoked_at ? [['Revoked', timeEl(k.revoked_at)], ['Revoke reason', k.revoke_reason]] : []),
    ...(k.meta && Object.keys(k.meta).length ? [['Metadata', k.meta]] : []),
  ])));
  root.append(h('section', { 'aria-labelledby': 'chain-h', class: 'card' }, h('h2', { id: 'chain-h' }, 'Rotation chain'), await chain(k)));
  const usage = await usageSection(k);
  if (usage) root.append(usage);
  if (sections.has('audit')) {
    const page = await api('GET', `/v1/audit?target_id=${seg(k.key_id)}&limit=100`);
    root.append(h('section', { 'aria-labelledby': 'trail-h', class: 'card' }, h('h2', { id: 'trail-h' }, 'Audit trail'),
      auditTable(items(page), `Audit events of ${k.key_id}`)));
  }
}
