/**
 * The player page's client for the Tollgate API. Tokens live only in this module's memory,
 * never in localStorage or cookies, where a script injected later could read them. Refresh
 * tokens work once and presenting a used one revokes the whole login, so at most one refresh
 * is in flight and a refresh that lands after logout is dropped.
 */

/** Refresh this long before the access token expires, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 30_000;

/** A refusal from the API, carrying the problem+json `code`, `detail` and whole body (e.g. `active_streams`). */
export class ApiError extends Error {
  constructor(status, code, detail, problem = null) {
    super(detail);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

export class TollgateApi {
  #base;
  #access = null;
  #refresh = null;
  #expiresAt = 0;
  #refreshing = null;

  /** @param {string} base the API's base URL, e.g. https://tollgate.example (no trailing slash) */
  constructor(base) {
    this.#base = base;
  }

  get base() {
    return this.#base;
  }

  get loggedIn() {
    return this.#refresh !== null;
  }

  /** @param {{id?: string, name?: string}} device this browser, so the account can list and limit its devices */
  async login(email, password, device = {}) {
    const body = { email, password, ...(device.id ? { device_id: device.id } : {}), ...(device.name ? { device_name: device.name } : {}) };
    this.#keep(await this.#call('POST', '/v1/auth/login', body));
  }

  /** Forgets the tokens first, so the page is logged out even if the server cannot be reached. */
  async logout() {
    const refresh = this.#refresh;
    this.#forget();
    if (refresh !== null) await this.#call('POST', '/v1/auth/logout', { refresh_token: refresh });
  }

  /** An authenticated call; refreshes the access token when it has expired or is about to. */
  async request(method, path, body) {
    if (this.#access === null || Date.now() > this.#expiresAt - EXPIRY_MARGIN_MS) await this.#renew();
    try {
      return await this.#call(method, path, body, this.#access);
    } catch (error) {
      // The server's clock decides: an access token it calls expired is renewed once.
      if (!(error instanceof ApiError) || error.code !== 'token_expired') throw error;
      await this.#renew();
      return this.#call(method, path, body, this.#access);
    }
  }

  #renew() {
    const used = this.#refresh;
    if (used === null) return Promise.reject(new ApiError(401, 'unauthorized', 'Please log in.'));
    this.#refreshing ??= this.#call('POST', '/v1/auth/refresh', { refresh_token: used })
      .then(
        (tokens) => {
          if (this.#refresh === used) this.#keep(tokens);
        },
        (error) => {
          // A refused refresh token means the login is over (expired, revoked or reused).
          if (error instanceof ApiError && error.status === 401 && this.#refresh === used) this.#forget();
          throw error;
        },
      )
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }

  #keep(tokens) {
    this.#access = tokens.access_token;
    this.#refresh = tokens.refresh_token;
    this.#expiresAt = Date.now() + tokens.expires_in * 1000;
  }

  #forget() {
    this.#access = null;
    this.#refresh = null;
    this.#expiresAt = 0;
  }

  async #call(method, path, body, accessToken) {
    const headers = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    let response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      // fetch hides the reason (offline, DNS, or a CORS refusal) from scripts on purpose.
      throw new ApiError(0, 'network', `Cannot reach Tollgate at ${this.#base} (offline, or this origin is not allowed).`);
    }
    if (response.status === 204) return null;
    const payload = await response.json().catch(() => null);
    if (response.ok && payload !== null) return payload;
    const detail = typeof payload?.detail === 'string' ? payload.detail : `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, payload?.code ?? 'http_error', detail, payload);
  }
}
