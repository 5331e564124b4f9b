/**
 * Editing the access rules of plans and titles (countries, browser origins). Threat: an admin
 * typo that silently lets everyone or no one play — "UK" for GB, "fr" for FR, an origin with a
 * path — so every code and origin is validated (core/access-rules.ts) and an empty allow list
 * (which would refuse every country) must be said as "no list" instead.
 */
import { type AccessRules, type CountryRules, parseCountryRules, parseOrigins } from '../../core/access-rules.js';
import { deny, grant, type Verdict } from '../../core/errors.js';

/** A change: each list given replaces that list, null removes it, absent keeps it. */
export interface AccessInput {
  readonly countries?: { readonly allow?: readonly string[] | null; readonly block?: readonly string[] | null };
  readonly allowedOrigins?: readonly string[];
}

/** How the admin API and the CLI show the rules. */
export interface AccessView {
  readonly countries: CountryRules;
  readonly allowed_origins: readonly string[];
}

export function accessView(access: AccessRules): AccessView {
  return { countries: access.countries, allowed_origins: access.allowedOrigins };
}

export function applyAccessInput(existing: AccessRules, input: AccessInput): Verdict<AccessRules> {
  const { allow = existing.countries.allow, block = existing.countries.block } = input.countries ?? {};
  for (const [name, list] of [['allow', allow], ['block', block]] as const) {
    if (list !== null && list !== undefined && list.length === 0) {
      return deny('bad_request', `countries.${name}: an empty list would ${name === 'allow' ? 'refuse every country' : 'mean nothing'}; give null (or leave the flag empty) to remove the list`);
    }
  }
  const countries = parseCountryRules({ ...(allow ? { allow } : {}), ...(block ? { block } : {}) });
  if (!countries.ok) return countries;
  const origins = input.allowedOrigins === undefined ? grant([...existing.allowedOrigins]) : parseOrigins(input.allowedOrigins);
  if (!origins.ok) return origins;
  return grant({ countries: countries.value, allowedOrigins: origins.value });
}
