// Audit log, alerts, leak incidents, canaries, webhook deliveries and the security report.
// The optional APIs are read defensively: known fields get columns, anything else is listed.
import { api, items, seg } from './api.js';
import { clear, dl, fmtDuration, h, renderJson, scalar, table, timeEl } from './dom.js';
import { announce, failure, field } from './ui.js';
import { auditTable, showSecretOnce } from './keys.js';

const pick = (o, ...names) => names.map((n) => o[n]).find((v) => v !== undefined && v !== null);
const keyLink = (id) => (id ? h('a', { href: `#/keys/${encodeURIComponent(id)}` }, id) : '—');

/**
 * A paged list page: loads `path`, renders rows with `columns`, "Load more" via next_cursor;
 * `onPage(page)` sees each first page (e.g. for figures that come with it).
 */
async function pagedList(root, { title, intro, path, caption, columns, empty, before, onPage }) {
  root.append(h('h1', {}, title));
  if (intro) root.append(h('p', {}, intro));
  if (before) root.append(before);
  const body = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let rows = [];
  let cursor = null;
  const load = async (append) => {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=50${append && cursor ? `&cursor=${seg(cursor)}` : ''}`);
    rows = append ? rows.concat(items(page)) : items(page);
    cursor = (page && page.next_cursor) || null;
    if (onPage && !append) onPage(page);
    clear(body).append(table(caption, columns(() => load(false)), rows, empty));
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load(true).catch((e) => announce(failure(e), 'error')));
  root.append(body, more);
  await load(false);
}

/** #/audit */
export async function auditPage({ root }) {
  root.append(h('h1', {}, 'Audit log'),
    h('p', {}, 'Every change, newest first. Each event carries the hash of the one before it.'));
  const body = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let rows = [];
  let cursor = null;
  let target = '';
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field('Target id', 'target', { hint: 'A key id, e.g. key_…' }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Filter')));
  const load = async (append) => {
    const p = new URLSearchParams({ limit: '50' });
    if (target) p.set('target_id', target);
    if (append && cursor) p.set('cursor', cursor);
    const page = await api('GET', `/v1/audit?${p}`);
    rows = append ? rows.concat(items(page)) : items(page);
    cursor = page.next_cursor || null;
    clear(body).append(auditTable(rows, 'Audit events'));
    more.hidden = !cursor;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    target = String(new FormData(form).get('target') || '').trim();
    load(false).catch((e) => announce(failure(e), 'error'));
  });
  more.addEventListener('click', () => load(true).catch((e) => announce(failure(e), 'error')));
  root.append(form, body, more);
  await load(false);
}

const alertId = (a) => pick(a, 'alert_id', 'id');
const acked = (a) => Boolean(pick(a, 'acknowledged_at', 'acked_at') || a.acknowledged === true || a.status === 'acknowledged');

/** #/alerts */
export async function alertsPage({ root, me }) {
  const canAck = (me.scopes || []).includes('alerts:write');
  await pagedList(root, {
    title: 'Alerts',
    intro: 'Anomalies Keygate noticed in key traffic, and canary keys that were presented.',
    path: '/v1/alerts',
    caption: 'Alerts',
    empty: 'No alerts.',
    columns: (reload) => [
      { label: 'When', value: (a) => timeEl(pick(a, 'created_at', 'detected_at', 'raised_at', 'at', 'last_seen_at')) },
      { label: 'Kind', value: (a) => pick(a, 'type', 'kind', 'alert_type') },
      { label: 'Key', value: (a) => keyLink(a.key_id) },
      { label: 'Owner', value: (a) => a.owner_id },
      { label: 'Details', value: (a) => scalar(pick(a, 'details', 'data', 'message', 'summary')) },
      { label: 'State', value: (a) => {
        if (acked(a)) return h('span', { class: 'badge s-ok' }, 'acknowledged');
        if (!canAck || !alertId(a)) return h('span', { class: 'badge s-open' }, 'open');
        const b = h('button', { type: 'button', class: 'secondary small' }, 'Acknowledge');
        b.setAttribute('aria-label', `Acknowledge alert ${alertId(a)}`);
        b.addEventListener('click', async () => {
          try {
            await api('POST', `/v1/alerts/${seg(alertId(a))}/ack`, {});
            announce('Alert acknowledged.');
            await reload();
          } catch (e) { announce(failure(e), 'error'); }
        });
        return b;
      } },
    ],
  });
}

function revocationSeconds(i) {
  const direct = pick(i, 'time_to_revocation_seconds', 'seconds_to_revocation');
  if (typeof direct === 'number') return direct;
  const ms = pick(i, 'time_to_revocation_ms', 'ms_to_revocation');
  if (typeof ms === 'number') return ms / 1000;
  const start = pick(i, 'exposed_at', 'found_at', 'reported_at');
  return i.revoked_at && start ? (new Date(i.revoked_at) - new Date(start)) / 1000 : null;
}

function reportRevocationSeconds(i) {
  if (typeof i.report_to_revocation_ms === 'number') return i.report_to_revocation_ms / 1000;
  return i.revoked_at && i.reported_at ? (new Date(i.revoked_at) - new Date(i.reported_at)) / 1000 : null;
}

/** "exposed" (found in public or a pushed commit) or "prevented" (caught before it got out). */
function exposureBadge(i) {
  const e = i.exposure;
  if (!e) return '—';
  return h('span', { class: `badge ${e === 'prevented' ? 's-ok' : 's-open'}` }, e);
}

/** Mean and p95 of one of the `stats` figures of GET /v1/leaks ({count, mean_millis, p95_millis}). */
function figure(f) {
  if (!f || !f.count) return 'no revoked live key yet';
  const mean = typeof f.mean_millis === 'number' ? fmtDuration(f.mean_millis / 1000) : '—';
  const p95 = typeof f.p95_millis === 'number' ? fmtDuration(f.p95_millis / 1000) : '—';
  return `mean ${mean}, p95 ${p95} (${f.count} key${f.count === 1 ? '' : 's'})`;
}

function leakStats(stats) {
  return h('section', { class: 'leak-stats', 'aria-labelledby': 'leak-stats-title' },
    h('h2', { id: 'leak-stats-title' }, 'Leak figures'),
    dl([
      ['Since', timeEl(stats.since)],
      ['Keys exposed in public', stats.exposed_keys],
      ['Caught before commit (prevented)', stats.prevented_keys],
      ['Exposure → revocation', figure(stats.exposure_to_revocation)],
      ['Report → revocation', figure(stats.report_to_revocation)],
      ['Incidents', stats.incidents],
      ['Canary incidents (not counted)', stats.canary_incidents],
      ['Test keys (not counted)', stats.test_keys],
    ]),
    h('p', { class: 'hint' }, 'Times to revocation cover revoked live keys only; canaries, test keys, prevented catches and repeats are left out.'));
}

/** #/leaks */
export async function leaksPage({ root }) {
  const figures = h('div');
  await pagedList(root, {
    title: 'Leak incidents',
    intro: 'Keys found in public places or caught before they got out, and how fast Keygate revoked them.',
    path: '/v1/leaks',
    caption: 'Leak incidents',
    empty: 'No leaks reported.',
    before: figures,
    onPage: (page) => { clear(figures); if (page && page.stats) figures.append(leakStats(page.stats)); },
    columns: () => [
      { label: 'Exposed', value: (i) => timeEl(pick(i, 'exposed_at', 'found_at', 'reported_at')) },
      { label: 'Reported', value: (i) => timeEl(i.reported_at) },
      { label: 'Exposure', value: exposureBadge },
      { label: 'Key', value: (i) => keyLink(i.key_id) },
      { label: 'Owner', value: (i) => i.owner_id },
      { label: 'Source', value: (i) => pick(i, 'source', 'reporter') },
      { label: 'Where', value: (i) => {
        const loc = pick(i, 'location', 'url', 'file');
        const url = typeof loc === 'object' && loc ? pick(loc, 'url', 'file') : loc;
        return url ? String(url) : '—';
      } },
      { label: 'Action', value: (i) => i.action },
      { label: 'Revoked', value: (i) => timeEl(i.revoked_at) },
      { label: 'Exposure → revocation', value: (i) => (i.revoked_at || revocationSeconds(i) !== null ? fmtDuration(revocationSeconds(i)) : 'not revoked') },
      { label: 'Report → revocation', value: (i) => (i.revoked_at ? fmtDuration(reportRevocationSeconds(i)) : 'not revoked') },
    ],
  });
}

/** #/canaries */
export async function canariesPage({ root, me }) {
  const form = h('form', { class: 'filters', 'aria-label': 'Create a canary key' },
    field('Label (where it will be planted)', 'label', { required: true }),
    field('Owner id', 'owner_id', { value: me.owner_id || '', required: true, attrs: me.owner_id ? { readonly: true } : {} }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Create canary')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const body = { label: String(d.get('label') || '').trim() };
    const owner = String(d.get('owner_id') || '').trim();
    if (owner) body.owner_id = owner;
    try {
      const created = await api('POST', '/v1/canaries', body);
      form.reset();
      if (created && created.api_key) await showSecretOnce(created, 'Your canary key');
      announce('Canary created.');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) { announce(failure(e), 'error'); }
  });
  await pagedList(root, {
    title: 'Canary keys',
    intro: 'Decoy keys that never grant access: any use raises an alert.',
    path: '/v1/canaries',
    caption: 'Canary keys',
    empty: 'No canaries yet.',
    before: (me.scopes || []).includes('keys:write') ? form : null,
    columns: () => [
      { label: 'Label', value: (c) => c.label },
      { label: 'Key id', value: (c) => h('code', {}, c.key_id || '') },
      { label: 'Hint', value: (c) => h('code', {}, c.hint || '') },
      { label: 'Owner', value: (c) => c.owner_id },
      { label: 'Created', value: (c) => timeEl(c.created_at) },
      { label: 'Last triggered', value: (c) => timeEl(pick(c, 'last_triggered_at', 'triggered_at')) },
    ],
  });
}

function deliverySummary(e) {
  const ds = Array.isArray(e.deliveries) ? e.deliveries : [];
  if (!ds.length) return pick(e, 'status', 'state') || 'no channels';
  return ds.map((d) => {
    const state = pick(d, 'status', 'state') || (d.delivered_at ? 'delivered' : 'pending');
    const extra = [d.attempts !== undefined ? `${d.attempts} attempts` : null,
      d.last_status ? `HTTP ${d.last_status}` : null, d.last_error || null].filter(Boolean).join(', ');
    return `${pick(d, 'channel_kind', 'kind') || 'channel'}: ${state}${extra ? ` (${extra})` : ''}`;
  }).join('; ');
}

/** #/events */
export async function eventsPage({ root }) {
  await pagedList(root, {
    title: 'Webhook deliveries',
    intro: 'Notification events and the state of their delivery to each owner channel.',
    path: '/v1/events',
    caption: 'Events and deliveries',
    empty: 'No events yet.',
    columns: () => [
      { label: 'When', value: (e) => timeEl(pick(e, 'created_at', 'occurred_at', 'at')) },
      { label: 'Event', value: (e) => pick(e, 'type', 'event_type') },
      { label: 'Event id', value: (e) => h('code', {}, pick(e, 'event_id', 'id') || '') },
      { label: 'Key', value: (e) => keyLink(e.key_id) },
      { label: 'Owner', value: (e) => e.owner_id },
      { label: 'Delivery', value: deliverySummary },
    ],
  });
}

/** #/tokens: admin tokens, read-only (they are created, rotated and revoked with the API). */
export async function tokensPage({ root }) {
  await pagedList(root, {
    title: 'Admin tokens',
    intro: 'Tokens for Keygate\'s own API. They are managed with /v1/admin-tokens, never as keys; secrets are never shown here.',
    path: '/v1/admin-tokens',
    caption: 'Admin tokens',
    empty: 'No admin tokens visible to this token.',
    columns: () => [
      { label: 'Token id', value: (t) => h('code', {}, t.key_id || '') },
      { label: 'Hint', value: (t) => h('code', {}, t.hint || '') },
      { label: 'Name', value: (t) => t.name },
      { label: 'Owner', value: (t) => t.owner_id || 'all owners' },
      { label: 'Scopes', value: (t) => (t.scopes || []).join(', ') },
      { label: 'Status', value: (t) => h('span', { class: `badge s-${t.status}` }, t.status) },
      { label: 'Expires', value: (t) => timeEl(t.expires_at) },
      { label: 'Last used', value: (t) => timeEl(t.last_used_at) },
    ],
  });
}

/** #/report */
export async function reportPage({ root }) {
  const r = await api('GET', '/v1/report?format=json');
  const title = (r && pick(r, 'title')) || 'API Key Security Implementation Report';
  root.append(h('h1', {}, title));
  if (r && typeof r === 'object') {
    const rest = { ...r };
    delete rest.title;
    root.append(h('section', { class: 'card report' }, renderJson(rest, 'Report')));
  } else {
    root.append(h('pre', { class: 'report' }, String(r)));
  }
}
