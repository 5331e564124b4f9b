/** The access rules of plans and titles as stored: two JSON TEXT columns (migration 6). */
import type { AccessRules, CountryRules } from '../../../core/access-rules.js';

export const ACCESS_COLUMNS = 'countries, allowed_origins';

export interface AccessRow {
  countries: string;
  allowed_origins: string;
}

export function accessFromRow(row: AccessRow): AccessRules {
  return { countries: JSON.parse(row.countries) as CountryRules, allowedOrigins: JSON.parse(row.allowed_origins) as string[] };
}

/** The two column values, in ACCESS_COLUMNS order. */
export function accessValues(access: AccessRules): [string, string] {
  return [JSON.stringify(access.countries), JSON.stringify(access.allowedOrigins)];
}
