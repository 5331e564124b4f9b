/**
 * Email addresses as account names. Threat: one address spelled several ways making several
 * accounts (and several sets of login-failure counters): `É` as one code point (NFC) or as `E`
 * plus a combining accent (NFD), upper case, stray spaces. Every path that stores or looks up
 * an email uses normalizeEmail, and every entry point (HTTP schemas, the CLI) accepts the same
 * spellings, checked by the same rule.
 */

export const EMAIL_MIN_LENGTH = 3;
export const EMAIL_MAX_LENGTH = 254;
/** One `@`, no white space; the JSON schemas use it with the `u` flag, as isValidEmail does. */
export const EMAIL_PATTERN = '^[^@\\s]+@[^@\\s]+$';

const EMAIL_RE = new RegExp(EMAIL_PATTERN, 'u');

/** The one stored and compared spelling: trimmed, lower-cased, Unicode NFC. */
export function normalizeEmail(email: string): string {
  // NFC last, so the result is NFC whatever lower-casing produced.
  return email.trim().toLowerCase().normalize('NFC');
}

/** What the admin and login schemas accept (lengths in code points, as JSON Schema counts). */
export function isValidEmail(email: string): boolean {
  const length = [...email].length;
  return length >= EMAIL_MIN_LENGTH && length <= EMAIL_MAX_LENGTH && EMAIL_RE.test(email);
}
