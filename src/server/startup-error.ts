/**
 * Why the service cannot start, said in terms of the setting that fixes it. A raw
 * `connect ECONNREFUSED 127.0.0.1:5432` names neither the store nor the variable; these
 * messages name both, and never carry a password from a connection URL.
 */

/** sysexits: a service this one needs is unavailable (a store that cannot be reached). */
export const EX_UNAVAILABLE = 69;
/** sysexits: a configuration error (a setting points at something unusable). */
export const EX_CONFIG = 78;

export class StartupError extends Error {
  constructor(
    message: string,
    /** The exit status the CLI ends with. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The URL with its password (and any password-like query parameter) replaced by ***. */
export function maskUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Runs open(); a failure becomes a StartupError naming the store, where it was looked for (a
 * URL with its password masked, or a folder) and the setting that points there.
 */
export async function openStore<T>(what: string, setting: string, location: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    const password = location.includes('://') ? passwordOf(location) : '';
    let cause = error instanceof Error ? error.message || error.name : String(error);
    if (password !== '') cause = cause.split(password).join('***');
    const shown = location.includes('://') ? maskUrl(location) : location;
    throw new StartupError(`cannot open ${what} at ${shown} (${setting}): ${cause}`, EX_UNAVAILABLE);
  }
}

function passwordOf(text: string): string {
  try {
    return decodeURIComponent(new URL(text).password);
  } catch {
    return '';
  }
}

/** A listen failure, with the setting to change. */
export function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as { code?: unknown }).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new StartupError(`port ${port} on ${host} is already in use: set TOLLGATE_PORT to a free port (or TOLLGATE_HOST)`, 1);
  if (code === 'EACCES') return new StartupError(`not allowed to listen on ${where}: set TOLLGATE_PORT to 1024 or above`, 1);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`cannot listen on ${where}, an address this machine does not have: check TOLLGATE_HOST`, 1);
  }
  return error instanceof Error ? error : new Error(String(error));
}
