/**
 * The dashboard's client for the admin API. The admin token lives in this module's memory
 * only (not localStorage, not a cookie): a reload signs the operator out.
 */

export class AdminError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

let token = null;

export function signIn(adminToken) {
  token = adminToken;
}

export function signOut() {
  token = null;
}

export function signedIn() {
  return token !== null;
}

/** One admin call; a problem+json refusal becomes an AdminError with its code. */
export async function admin(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new AdminError(response.status, payload.code ?? 'error', payload.detail ?? `${method} ${path} answered ${response.status}`);
  return payload;
}

/** A query string from the defined values only. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
