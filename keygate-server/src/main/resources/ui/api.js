// The API client. The admin token lives in sessionStorage (this tab only, never a cookie or URL)
// and goes out as an Authorization header, so a cross-site request cannot carry it.

const TOKEN = 'keygate.admin-token';

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }

  /** Whether the server has no such route at all (a feature not built yet). */
  get noRoute() {
    return (this.status === 404 && this.code === 'not_found'
      && /^no route/i.test(this.message)) || this.status === 405 || this.status === 501;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (t) => sessionStorage.setItem(TOKEN, t),
  clear: () => sessionStorage.removeItem(TOKEN),
};

let onUnauthorized = () => {};
/** Called when the server refuses the token (401). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** Calls the API; resolves with the parsed JSON (or text), rejects with an ApiFailure. */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: opts.accept || 'application/json' };
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new ApiFailure(0, 'network_error', 'The server did not answer.');
  }
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = new ApiFailure(res.status, data && data.error, data && data.message);
    if (res.status === 401 && !opts.quiet) onUnauthorized(err);
    throw err;
  }
  return data;
}

/** The items of a list answer: {data: [...]} or a bare array, or any first array field. */
export function items(page) {
  if (Array.isArray(page)) return page;
  if (!page || typeof page !== 'object') return [];
  for (const k of ['data', 'items', 'alerts', 'incidents', 'events', 'canaries', 'results']) {
    if (Array.isArray(page[k])) return page[k];
  }
  const first = Object.values(page).find(Array.isArray);
  return first || [];
}

/** Whether an optional API answers: true when it does, false when the route does not exist
 * (or the token may not use it). */
export async function probe(path) {
  try {
    await api('GET', path, undefined, { quiet: true });
    return true;
  } catch (e) {
    return false;
  }
}

/** Encodes a path segment. */
export const seg = (s) => encodeURIComponent(String(s));
