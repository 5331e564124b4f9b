/**
 * This browser as a device of the account: a random id made once and kept in localStorage, and
 * a readable name ("Chrome on Linux") so the account's device and stream lists say which
 * screen is which. Neither is a secret: the id only lets stream and device limits count.
 */

const KEY = 'tollgate.device_id';

/** This browser's device id, or undefined when storage is disabled (login then goes without one). */
export function deviceId() {
  try {
    let id = localStorage.getItem(KEY);
    if (id === null) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem(KEY, id);
    }
    return id;
  } catch {
    return undefined;
  }
}

/** Order matters: Edge and Opera also say Chrome, and Chrome also says Safari. */
const BROWSERS = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
/** Android says Linux too, and iPadOS may say Mac OS X. */
const SYSTEMS = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** e.g. "Chrome on Linux", from the user agent; at most 100 characters, as the login accepts. */
export function deviceName(userAgent = navigator.userAgent) {
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'Browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system ? `${browser} on ${system}` : browser;
}
