// Usage charts: stacked SVG bars by outcome, drawn with DOM APIs (no library, no inline script).
import { h, fmtTime, table } from './dom.js';
import { items } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const TIME_FIELDS = ['at', 't', 'time', 'ts', 'start', 'bucket', 'minute', 'hour', 'from', 'timestamp'];
const COUNT_OBJECTS = ['counts', 'outcomes', 'by_outcome', 'by_code'];
const COLORS = {
  valid: '#15803d', allowed: '#15803d', ok: '#15803d',
  rate_limited: '#b45309', ratelimited: '#b45309', quota_exceeded: '#a16207',
  insufficient_scope: '#7c3aed', ip_not_allowed: '#be185d',
  key_revoked: '#b91c1c', key_expired: '#9a3412', key_disabled: '#475569', invalid_key: '#1e3a8a',
};
const PALETTE = ['#0369a1', '#7e22ce', '#c2410c', '#0f766e', '#4d7c0f', '#9f1239'];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.appendChild(c);
  return el;
}

/** Normalises a usage answer into [{t, counts: {outcome: n}}]. */
export function usagePoints(data) {
  return items(data).map((p) => {
    if (!p || typeof p !== 'object') return null;
    const tf = TIME_FIELDS.find((f) => typeof p[f] === 'string' || typeof p[f] === 'number');
    const co = COUNT_OBJECTS.find((f) => p[f] && typeof p[f] === 'object');
    let counts = {};
    if (co) counts = { ...p[co] };
    else if (typeof p.outcome === 'string' && typeof p.count === 'number') counts = { [p.outcome]: p.count };
    else {
      for (const [k, v] of Object.entries(p)) {
        if (k !== tf && typeof v === 'number' && k !== 'total') counts[k] = v;
      }
    }
    return { t: tf ? p[tf] : null, counts };
  }).filter(Boolean).reduce((acc, p) => {
    // merge rows of the {t, outcome, count} shape
    const last = acc[acc.length - 1];
    if (last && last.t === p.t) Object.entries(p.counts).forEach(([k, v]) => { last.counts[k] = (last.counts[k] || 0) + v; });
    else acc.push(p);
    return acc;
  }, []);
}

/** A stacked bar chart figure with legend and a data table, or a note when there is no traffic. */
export function usageChart(data, windowLabel) {
  const points = usagePoints(data);
  const outcomes = [...new Set(points.flatMap((p) => Object.keys(p.counts)))];
  const totals = Object.fromEntries(outcomes.map((o) => [o, points.reduce((s, p) => s + (p.counts[o] || 0), 0)]));
  const sum = Object.values(totals).reduce((a, b) => a + b, 0);
  const color = (o, i) => COLORS[o] || PALETTE[i % PALETTE.length];
  const summary = sum
    ? `${sum} requests in the last ${windowLabel}: ${outcomes.map((o) => `${o} ${totals[o]}`).join(', ')}`
    : `No requests in the last ${windowLabel}.`;
  const fig = h('figure', { class: 'chart' });
  if (points.length) {
    const W = 600; const H = 160; const pad = 4;
    const max = Math.max(1, ...points.map((p) => Object.values(p.counts).reduce((a, b) => a + b, 0)));
    const bw = (W - pad * 2) / points.length;
    const g = svg('g');
    points.forEach((p, i) => {
      let y = H;
      outcomes.forEach((o, j) => {
        const n = p.counts[o] || 0;
        if (!n) return;
        const bh = (n / max) * (H - pad);
        y -= bh;
        const r = svg('rect', { x: (pad + i * bw).toFixed(2), y: y.toFixed(2), width: Math.max(0.5, bw - 0.5).toFixed(2), height: bh.toFixed(2), fill: color(o, j) });
        r.appendChild(svg('title')).textContent = `${p.t ? fmtTime(p.t) : ''} ${o}: ${n}`;
        g.appendChild(r);
      });
    });
    fig.appendChild(svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, preserveAspectRatio: 'none', class: 'bars' },
      svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, stroke: '#64748b' }), g));
  }
  fig.appendChild(h('figcaption', {}, summary));
  if (outcomes.length) {
    fig.appendChild(h('ul', { class: 'legend' }, outcomes.map((o, j) => h('li', {},
      h('span', { class: 'swatch', 'data-color': color(o, j) }), `${o}: ${totals[o]}`))));
    fig.querySelectorAll('.swatch').forEach((s) => { s.style.backgroundColor = s.dataset.color; });
    const busy = points.filter((p) => Object.values(p.counts).some((n) => n));
    fig.appendChild(h('details', {}, h('summary', {}, 'Show the numbers'),
      table(`Requests per interval, ${windowLabel}`, [
        { label: 'Interval', value: (p) => fmtTime(p.t) },
        ...outcomes.map((o) => ({ label: o, value: (p) => String(p.counts[o] || 0) })),
      ], busy, 'No requests.')));
  }
  return fig;
}
