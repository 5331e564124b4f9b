/**
 * The access-rule flags shared by `plans add` and `titles set`: --countries-allow FR,DE,
 * --countries-block US, --allowed-origins https://a.example,https://b.example. An empty value
 * removes that list ("--countries-allow ''"); an absent flag keeps it.
 */
import type { AccessInput } from '../server/catalog/access.js';

export const ACCESS_FLAGS = {
  'countries-allow': { type: 'string' },
  'countries-block': { type: 'string' },
  'allowed-origins': { type: 'string' },
} as const;

export const ACCESS_USAGE = "[--countries-allow FR,DE] [--countries-block US] [--allowed-origins https://a.example,…] (an empty value removes a list)";

const list = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

function countryList(value: string | boolean | undefined): string[] | null | undefined {
  if (typeof value !== 'string') return undefined;
  const codes = list(value);
  return codes.length === 0 ? null : codes;
}

export function accessFlags(v: Record<string, string | boolean | undefined>): AccessInput {
  const allow = countryList(v['countries-allow']);
  const block = countryList(v['countries-block']);
  const origins = v['allowed-origins'];
  return {
    ...(allow !== undefined || block !== undefined ? { countries: { ...(allow !== undefined ? { allow } : {}), ...(block !== undefined ? { block } : {}) } } : {}),
    ...(typeof origins === 'string' ? { allowedOrigins: list(origins) } : {}),
  };
}
