// DOM helpers. Every dynamic value goes in as a text node or an attribute, never as HTML.

/** Creates an element: h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' || k === 'checked' || k === 'selected') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let seq = 0;
/** A unique element id. */
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Whether s looks like an ISO-8601 instant. */
export function isInstant(s) {
  return typeof s === 'string' && ISO.test(s);
}

/** A short local date-time, or an em dash for nothing. */
export function fmtTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

/** A <time> element for an instant. */
export function timeEl(s) {
  if (!s) return document.createTextNode('—');
  return h('time', { datetime: s, title: s }, fmtTime(s));
}

/** "3 d 4 h", "12 min", "40 s" for a number of seconds. */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** Splits "a, b c" into ['a', 'b', 'c']. */
export function splitList(s) {
  return String(s || '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

/** Human text for any JSON scalar. */
export function scalar(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (isInstant(v)) return fmtTime(v);
  if (Array.isArray(v)) return v.length ? v.map(scalar).join(', ') : '—';
  if (typeof v === 'object') {
    return Object.entries(v).map(([k, x]) => `${k}: ${scalar(x)}`).join('; ') || '—';
  }
  return String(v);
}

/** A label/value list (<dl>) from [label, value-or-node] pairs. */
export function dl(pairs) {
  const list = h('dl', { class: 'props' });
  for (const [k, v] of pairs) {
    list.appendChild(h('div', {}, h('dt', {}, k), h('dd', {}, v instanceof Node ? v : scalar(v))));
  }
  return list;
}

/**
 * A table that becomes a list of cards on narrow screens. columns: [{label, value: row => node|text}].
 */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty || 'Nothing here yet.');
  const t = h('table', { class: 'grid' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))));
  const body = h('tbody');
  for (const r of rows) {
    body.appendChild(h('tr', {}, columns.map((c) => {
      const v = c.value(r);
      return h('td', { 'data-label': c.label }, v instanceof Node ? v : scalar(v));
    })));
  }
  t.appendChild(body);
  return h('div', { class: 'table-wrap' }, t);
}

/** Renders any JSON value as readable DOM: objects as lists, arrays of objects as tables. */
export function renderJson(v, caption) {
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return table(caption || 'Items', keys.map((k) => ({
        label: k.replace(/_/g, ' '),
        value: (r) => (r[k] && typeof r[k] === 'object' ? renderJson(r[k], k) : scalar(r[k])),
      })), v);
    }
    return document.createTextNode(scalar(v));
  }
  if (v && typeof v === 'object') {
    return dl(Object.entries(v).map(([k, x]) => [k.replace(/_/g, ' '),
      x && typeof x === 'object' ? renderJson(x, k) : scalar(x)]));
  }
  return document.createTextNode(scalar(v));
}
