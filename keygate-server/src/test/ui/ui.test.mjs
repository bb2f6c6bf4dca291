// Browser test of Keygate's admin UI: a real Chromium (Debian's, headless) driven by playwright-core
// against a real Keygate server. Run by io.keygate.server.ui.UiBrowserTest, which starts the server
// and passes:
//   KEYGATE_URL          base URL of the server
//   KEYGATE_TOKEN        an all-owners admin token
//   KEYGATE_OWNER_TOKEN  an admin token limited to owner "acme"
//   SCREENSHOT_DIR       where to save screenshots
//   CHROMIUM             the browser binary (default /usr/bin/chromium)
// Exit code 0 when every check passes. Prints one line per step.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = need('KEYGATE_URL');
const TOKEN = need('KEYGATE_TOKEN');
const OWNER_TOKEN = need('KEYGATE_OWNER_TOKEN');
const SHOTS = process.env.SCREENSHOT_DIR || 'screenshots';
const KEY_FORMAT = /^sk_live_[0-9A-Za-z]{49}$/;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

let browser;
const problems = []; // console errors and CSP violations seen in any page
const seen = {}; // facts shared between steps
const pagesShown = []; // hashes of the sections whose nav entry is visible

async function apiCall(method, p, body, token = TOKEN) {
  const res = await fetch(BASE + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function newPage(viewport) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  return page;
}

async function signIn(page, token) {
  await page.goto(`${BASE}/ui`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
  await settled(page);
}

/** Waits until the current page has finished loading its data. */
async function settled(page) {
  await page.locator('#view[aria-busy="false"]').waitFor({ state: 'attached' });
}

async function go(page, hash, heading) {
  await page.evaluate((h) => {
    if (window.location.hash === h) return;
    document.getElementById('view').removeAttribute('aria-busy');
    window.location.hash = h;
  }, hash);
  await settled(page);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Runs axe-core in the page; fails on serious or critical violations. */
async function axe(page, label) {
  // evaluate() runs as the debugger, outside the page's CSP, which forbids injected scripts
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  console.log(`axe ${label}: ${bad.length} serious/critical, ${minor.length} minor${minor.length ? ` (${minor.map((v) => v.id).join(', ')})` : ''}`);
  assert.deepEqual(bad, [], `axe violations on ${label}`);
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

/** Asserts the page does not scroll sideways. */
async function noHorizontalScroll(page, label) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${label}: page is ${scroll}px wide in a ${width}px viewport`);
}

/** Reads the one-time key from the dialog, checks the warning, closes it and checks it is gone. */
async function readKeyOnce(page, shotName) {
  const dlg = page.getByRole('dialog');
  await dlg.waitFor();
  const key = (await page.locator('#one-time-key').textContent()).trim();
  assert.match(key, KEY_FORMAT, 'the dialog shows a key in the documented format');
  assert.match(await dlg.textContent(), /You will not see this key again/);
  await page.evaluate(() => document.body.classList.add('mask-secrets'));
  await shot(page, shotName);
  await axe(page, `${shotName} dialog`);
  await page.evaluate(() => document.body.classList.remove('mask-secrets'));
  await dlg.getByRole('button', { name: /I have stored it/ }).click();
  // A closed <dialog> stops matching getByRole at once, but the UI clears the key in the dialog's
  // 'close' event, a task later: wait for the element itself to leave the DOM.
  await page.locator('#one-time-key').waitFor({ state: 'detached' });
  await page.locator('dialog').waitFor({ state: 'detached' });
  const html = await page.evaluate(() => document.documentElement.outerHTML
    + JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + window.location.href);
  assert.ok(!html.includes(key), 'after closing, the key is nowhere in the DOM, storage or URL');
  assert.ok(!html.includes(key.slice(8, 30)), 'not even a large part of it');
  return key;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  // a key of another owner, for the owner-limited token to not see
  const other = await apiCall('POST', '/v1/keys', { owner_id: 'globex', name: 'globex backend' });
  assert.equal(other.status, 201);
  seen.otherKeyId = other.json.key_id;
});

after(async () => {
  if (browser) await browser.close();
});

test('UI responses carry the security headers', async () => {
  for (const p of ['/ui', '/ui/app.js', '/ui/app.css']) {
    const res = await fetch(BASE + p);
    assert.equal(res.status, 200, p);
    assert.match(res.headers.get('content-security-policy'), /default-src 'self'; script-src 'self'/);
    assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  }
  const html = await (await fetch(`${BASE}/ui`)).text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler');
  assert.equal((await fetch(`${BASE}/ui/..%2fopenapi.json`)).status, 404);
});

test('sign in, create, read once, rotate, revoke, audit (desktop)', async () => {
  const page = await newPage(DESKTOP);
  await page.goto(`${BASE}/ui`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await axe(page, 'sign-in');
  await shot(page, 'desktop-signin');
  await page.getByLabel('Admin token').fill('kg_admin_notarealtoken');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token was refused').waitFor();
  await signIn(page, TOKEN);
  const stored = await page.evaluate(() => ({ cookie: document.cookie, url: window.location.href }));
  assert.equal(stored.cookie, '', 'no cookie');
  assert.ok(!stored.url.includes(TOKEN), 'token not in the URL');
  console.log('signed in');

  // create
  await page.getByRole('navigation').getByRole('link', { name: 'Create key' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create a key' }).waitFor();
  await axe(page, 'create');
  await shot(page, 'desktop-create');
  await page.getByLabel('Owner id').fill('acme');
  await page.getByLabel('Name').fill('ui test key');
  await page.getByLabel('Scopes').fill('read, write');
  await page.getByLabel('IP allowlist').fill('10.0.0.0/8 127.0.0.1');
  await page.getByLabel('Expires in days').fill('20');
  await page.getByLabel('Requests').fill('100');
  await page.getByLabel('Per window (seconds)').fill('60');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = await readKeyOnce(page, 'desktop-created-key-masked');
  await page.getByRole('heading', { level: 1, name: 'ui test key' }).waitFor();
  const keyId = decodeURIComponent(page.url().split('#/keys/')[1]);
  seen.keyId = keyId;
  console.log(`created ${keyId} and read it once`);
  // use it, so the detail shows usage
  for (let i = 0; i < 3; i++) {
    const v = await apiCall('POST', '/v1/verify', { key, ip: '127.0.0.1', required_scopes: ['read'] });
    assert.equal(v.json.valid, true);
  }
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'ui test key' }).waitFor();
  await settled(page);
  const settings = await page.getByRole('region', { name: 'Settings' }).textContent();
  assert.match(settings, /read, write/);
  assert.match(settings, /10\.0\.0\.0\/8/);
  assert.match(settings, /100 per 60 s/);
  assert.match(await page.locator('.badge').first().textContent(), /expiring soon/);
  const usage = await apiCall('GET', `/v1/keys/${keyId}/usage?window=24h`);
  const chart = page.getByRole('region', { name: 'Usage' });
  if (usage.status === 200) {
    await chart.locator('figcaption').waitFor();
    await chart.getByRole('button', { name: '30 days' }).click();
    await chart.getByText(/in the last 30 days/).waitFor();
    console.log(`usage chart shown: ${await chart.locator('figcaption').textContent()}`);
  } else {
    assert.equal(await chart.count(), 0, 'no usage section without a usage API');
    console.log('NOTE: no usage API on this server yet: the usage chart is hidden');
  }
  await axe(page, 'key detail');
  await shot(page, 'desktop-key-detail');

  // keyboard: Esc closes a dialog and focus returns to the button that opened it
  const revokeButton = page.getByRole('button', { name: 'Revoke', exact: true });
  await revokeButton.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Revoke');
  console.log('Esc closed the dialog and focus returned');

  // edit
  await page.getByRole('button', { name: 'Edit settings' }).click();
  const edit = page.getByRole('dialog');
  await edit.getByLabel('Scopes').fill('read');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'detached' });
  await page.getByRole('region', { name: 'Settings' }).getByText('read', { exact: true }).waitFor();
  console.log('edited scopes');

  // rotate with a 1 h grace
  await page.getByRole('button', { name: 'Rotate' }).click();
  const rot = page.getByRole('dialog');
  await rot.getByLabel('1 hour').check();
  await axe(page, 'rotate dialog');
  await shot(page, 'desktop-rotate-dialog');
  await rot.getByRole('button', { name: 'Rotate key' }).click();
  const newKey = await readKeyOnce(page, 'desktop-rotated-key-masked');
  assert.notEqual(newKey, key);
  await page.waitForURL((u) => !u.toString().endsWith(keyId));
  const newId = decodeURIComponent(page.url().split('#/keys/')[1]);
  await page.getByRole('region', { name: 'Rotation chain' }).getByRole('link', { name: keyId }).waitFor();
  const old = await apiCall('GET', `/v1/keys/${keyId}`);
  const graceMs = new Date(old.json.revokes_at) - Date.now();
  assert.ok(graceMs > 55 * 60e3 && graceMs <= 60 * 60e3, `old key revokes in about 1 h (${graceMs} ms)`);
  console.log(`rotated to ${newId} with a 1 h grace`);

  // revoke the new key, with confirmation
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  const rev = page.getByRole('dialog');
  assert.match(await rev.textContent(), /cannot be undone/);
  await rev.getByLabel('Reason').fill('ui test: done');
  await shot(page, 'desktop-revoke-dialog');
  await rev.getByRole('button', { name: 'Revoke key' }).click();
  await rev.waitFor({ state: 'detached' });
  await page.locator('.badge', { hasText: 'revoked' }).first().waitFor();
  assert.equal((await apiCall('GET', `/v1/keys/${newId}`)).json.status, 'revoked');
  console.log(`revoked ${newId}`);

  // audit trail on the detail page and on the audit log page
  const trail = page.getByRole('region', { name: 'Audit trail' });
  await trail.getByText('key.revoked').waitFor();
  assert.match(await trail.textContent(), /ui test: done/);
  await go(page, '#/audit', 'Audit log');
  const log = await page.locator('main').textContent();
  for (const action of ['key.created', 'key.rotated', 'key.revoked', 'key.updated']) {
    assert.ok(log.includes(action), `audit log shows ${action}`);
  }
  assert.ok(log.includes(newId) && log.includes(keyId));
  await axe(page, 'audit');
  await shot(page, 'desktop-audit');
  console.log('audit entries shown');

  // rotating a disabled key: the dialog warns, and the successor starts disabled
  const dis = (await apiCall('POST', '/v1/keys', { owner_id: 'acme', name: 'ui test disabled key' })).json;
  assert.equal((await apiCall('POST', `/v1/keys/${dis.key_id}/disable`, {})).status, 200);
  await go(page, `#/keys/${encodeURIComponent(dis.key_id)}`, 'ui test disabled key');
  await page.getByRole('button', { name: 'Rotate' }).click();
  const disRot = page.getByRole('dialog');
  assert.match(await disRot.textContent(), /the new key starts disabled too/);
  await disRot.getByRole('button', { name: 'Rotate key' }).click();
  await readKeyOnce(page, 'desktop-rotated-disabled-key-masked');
  await page.waitForURL((u) => !u.toString().endsWith(dis.key_id));
  const successor = decodeURIComponent(page.url().split('#/keys/')[1]);
  await page.getByRole('button', { name: 'Enable' }).waitFor();
  assert.equal((await apiCall('GET', `/v1/keys/${successor}`)).json.status, 'disabled');
  console.log(`rotated disabled key ${dis.key_id}: successor ${successor} starts disabled`);

  // keys list with filters
  await go(page, '#/keys', 'Keys');
  await page.getByLabel('Owner').fill('acme');
  await page.getByLabel('Status').selectOption('revoked');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('link', { name: 'ui test key' }).first().waitFor();
  // the unfiltered list is on screen until the filtered one replaces it, and an empty table while
  // it loads would pass an every() check: wait for a non-empty, all-revoked list and no request
  // in flight
  await page
    .waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('tbody tr')];
        return rows.length > 0 && rows.every((r) => r.textContent.includes('revoked'));
      },
      null,
      { timeout: 30000 },
    )
    .catch(() => {});
  await page.waitForLoadState('networkidle');
  const rows = await page.locator('tbody tr').count();
  const revoked = await page.locator('tbody tr', { hasText: 'revoked' }).count();
  assert.equal(rows, revoked, `status filter: only revoked keys, got ${JSON.stringify(await page.locator('tbody tr').allTextContents())}`);
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByLabel(/Expiring within 30 days/).check();
  await page.getByRole('cell', { name: keyId }).waitFor();
  await page.getByLabel('Search name, id or hint').fill('no-such-key-anywhere');
  await page.getByText('No keys match.').waitFor();
  await page.getByLabel('Search name, id or hint').fill('');
  await page.getByLabel(/Expiring within 30 days/).uncheck();
  await axe(page, 'keys');
  await shot(page, 'desktop-keys');
  assert.equal(await page.locator('select[name="type"] option[value="admin"]').count(), 0, 'no admin type among key filters');
  const types = await page.locator('tbody td[data-label="Type"]').allTextContents();
  assert.ok(types.length > 0 && !types.includes('admin'), 'the key list shows no admin token');
  console.log('keys list filters work');

  // optional sections: shown exactly when their API answers
  for (const [section, probePath] of [['alerts', '/v1/alerts?limit=1'], ['leaks', '/v1/leaks?limit=1'],
    ['canaries', '/v1/canaries?limit=1'], ['events', '/v1/events?limit=1'], ['report', '/v1/report?format=json'],
    ['tokens', '/v1/admin-tokens?limit=1']]) {
    const answers = (await apiCall('GET', probePath)).status === 200;
    const visible = await page.locator(`#nav [data-section="${section}"]`).isVisible();
    assert.equal(visible, answers, `nav entry ${section} visible exactly when its API answers`);
    console.log(`section ${section}: ${answers ? 'API answers, shown' : 'API absent, nav entry hidden'}`);
    if (answers) pagesShown.push(section);
  }
  seen.alerts = pagesShown.includes('alerts');

  if (seen.alerts) {
    // trigger an alert: present a canary key to the forward-auth endpoint
    const canary = await apiCall('POST', '/v1/canaries', { owner_id: 'acme', label: 'ui test decoy' });
    assert.equal(canary.status, 201, JSON.stringify(canary.json));
    const authz = await fetch(`${BASE}/v1/authz`, { headers: { 'X-API-Key': canary.json.api_key, 'User-Agent': 'ui-test' } });
    assert.equal(authz.status, 401);
    // and a burst of denials (insufficient scope) on the old key, still valid in its grace period
    for (let i = 0; i < 30; i++) {
      await fetch(`${BASE}/v1/authz?scopes=never-granted`, { headers: { 'X-API-Key': key } });
    }
    let alerts = [];
    for (let i = 0; i < 75 && !alerts.length; i++) {
      alerts = (await apiCall('GET', '/v1/alerts')).json.data || [];
      if (!alerts.length) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(alerts.length, 'presenting a canary raised an alert');
  }
  const titles = { alerts: 'Alerts', leaks: 'Leak incidents', canaries: 'Canary keys', events: 'Webhook deliveries', report: /Report/i, tokens: 'Admin tokens' };
  for (const section of pagesShown) {
    await go(page, `#/${section}`, titles[section]);
    if (section === 'alerts') {
      const ack = page.getByRole('button', { name: /^Acknowledge alert/ }).first();
      await ack.waitFor();
      await axe(page, 'alerts');
      await shot(page, 'desktop-alerts');
      await ack.click();
      await page.getByText('acknowledged').first().waitFor();
      console.log('alert seen and acknowledged');
      continue;
    }
    if (section === 'events') await page.getByText('key.revoked').first().waitFor();
    if (section === 'leaks') await leaksShowExposure(page);
    if (section === 'tokens') {
      // the signed-in token is listed by id and hint, never by its secret
      const me = (await apiCall('GET', '/v1/whoami')).json;
      await page.getByRole('cell', { name: me.key_id }).waitFor();
      assert.ok(!(await page.content()).includes(TOKEN), 'no token secret on the tokens page');
      console.log('admin tokens listed read-only, without secrets');
    }
    await axe(page, section);
    await shot(page, `desktop-${section}`);
  }
  if (!seen.alerts) {
    assert.equal(await page.locator('#nav [data-section="alerts"]').isVisible(), false);
    await page.evaluate(() => { window.location.hash = '#/alerts'; });
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    console.log('NOTE: no alerts API on this server yet: the Alerts entry is hidden and #/alerts is not found');
  }
  await page.context().close();
});

/**
 * Reports one key as found in a public repository (exposed 10 minutes before the report) and
 * another as caught by a pre-commit check (record-only), then checks that the leaks page shows
 * each one's exposure, the exposure time, and the exposure/report-to-revocation figures that
 * GET /v1/leaks returns.
 */
async function leaksShowExposure(page) {
  const exposed = (await apiCall('POST', '/v1/keys', { owner_id: 'acme', name: 'ui test leaked key' })).json;
  const caught = (await apiCall('POST', '/v1/keys', { owner_id: 'acme', name: 'ui test caught key' })).json;
  const exposedAt = new Date(Date.now() - 10 * 60_000);
  exposedAt.setMilliseconds(0);
  const gitleaks = [{
    Secret: exposed.api_key, Match: exposed.api_key, File: 'config/prod.env', StartLine: 3,
    Commit: '0123456789abcdef0123456789abcdef01234567', Date: exposedAt.toISOString(),
    Link: 'https://github.com/acme/app/blob/0123456/config/prod.env#L3',
  }];
  const r1 = await apiCall('POST', '/v1/leaks/reports?format=gitleaks', gitleaks);
  assert.equal(r1.status, 200, JSON.stringify(r1.json));
  const r2 = await apiCall('POST', '/v1/leaks/reports?mode=prevented',
    { findings: [{ key: caught.api_key, file: 'src/app.js', line: 7 }] });
  assert.equal(r2.status, 200, JSON.stringify(r2.json));
  assert.equal((await apiCall('GET', `/v1/keys/${exposed.key_id}`)).json.status, 'revoked');
  assert.equal((await apiCall('GET', `/v1/keys/${caught.key_id}`)).json.status, 'active', 'a prevented catch keeps the key');
  const leaks = (await apiCall('GET', '/v1/leaks?limit=50')).json;
  const incident = leaks.data.find((i) => i.key_id === exposed.key_id);
  assert.equal(incident.exposure, 'exposed');
  assert.equal(new Date(incident.exposed_at).getTime(), exposedAt.getTime());
  assert.ok(leaks.stats.exposure_to_revocation.count >= 1, JSON.stringify(leaks.stats));

  // reload the page: the reports above came after it was shown
  await page.evaluate(() => { document.getElementById('view').removeAttribute('aria-busy'); window.location.hash = '#/audit'; });
  await go(page, '#/leaks', 'Leak incidents');
  const row = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: exposed.key_id }) });
  assert.equal((await row.locator('td[data-label="Exposure"]').innerText()).trim(), 'exposed');
  assert.equal(await row.locator('td[data-label="Exposed"] time').getAttribute('datetime'), incident.exposed_at);
  assert.equal(await row.locator('td[data-label="Reported"] time').getAttribute('datetime'), incident.reported_at);
  assert.match(await row.locator('td[data-label="Exposure → revocation"]').innerText(), /^10 min/);
  const prevented = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: caught.key_id }) });
  assert.equal((await prevented.locator('td[data-label="Exposure"]').innerText()).trim(), 'prevented');
  assert.equal((await prevented.locator('td[data-label="Revoked"]').innerText()).trim(), '—');

  const stats = page.getByRole('region', { name: 'Leak figures' });
  const figure = async (label) => (await stats.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd').innerText()).trim();
  assert.equal(await figure('Keys exposed in public'), String(leaks.stats.exposed_keys));
  assert.equal(await figure('Caught before commit'), String(leaks.stats.prevented_keys));
  const e2r = leaks.stats.exposure_to_revocation;
  assert.match(await figure('Exposure → revocation'), new RegExp(`^mean .+, p95 .+ \\(${e2r.count} keys?\\)$`));
  assert.match(await figure('Report → revocation'), /^mean .+, p95 .+ \(\d+ keys?\)$/);
  console.log('leaks page shows exposure (exposed/prevented), exposed_at and the revocation figures');
}

test('phone layout: every page fits 375 px without sideways scrolling', async () => {
  const page = await newPage(PHONE);
  await signIn(page, TOKEN);
  const pages = [['#/keys', 'Keys', 'keys'], ['#/keys/new', 'Create a key', 'create'],
    [`#/keys/${seen.keyId}`, 'ui test key', 'key-detail'], ['#/audit', 'Audit log', 'audit']];
  const titles = { alerts: 'Alerts', leaks: 'Leak incidents', canaries: 'Canary keys', events: 'Webhook deliveries', report: /Report/i, tokens: 'Admin tokens' };
  for (const s of pagesShown) pages.push([`#/${s}`, titles[s], s]);
  for (const [hash, heading, name] of pages) {
    await go(page, hash, heading);
    await noHorizontalScroll(page, name);
    await axe(page, `phone ${name}`);
    await shot(page, `phone-${name}`);
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'sign-out forgets the token');
  await noHorizontalScroll(page, 'sign-in');
  await shot(page, 'phone-signin');
  await page.context().close();
});

test('an owner-limited token sees only its owner\'s keys', async () => {
  const page = await newPage(DESKTOP);
  await signIn(page, OWNER_TOKEN);
  await page.getByText('limited to owner acme').waitFor();
  const owners = await page.locator('tbody td[data-label="Owner"]').allTextContents();
  assert.ok(owners.length > 0, 'acme keys are listed');
  assert.deepEqual([...new Set(owners)], ['acme']);
  assert.equal(await page.getByLabel('Owner').inputValue(), 'acme');
  await shot(page, 'desktop-owner-limited-keys');
  await go(page, `#/keys/${seen.otherKeyId}`, 'Key not found');
  console.log('owner-limited token: only acme keys; globex key is not found');
  await page.context().close();
});

test('no console errors or CSP violations', () => {
  const real = problems.filter((p) => !/status of 40[134]/.test(p));
  assert.deepEqual(real, []);
});
