/**
 * Access layers beside the token: where the viewer is (country) and which web page plays
 * (browser origin). Threats: a manifest_url or license_url used from a country the rights do
 * not cover, and a player embedded on a page the operator never allowed.
 *
 * A title and a plan each carry rules; a request must pass both. Countries: a block list
 * refuses its countries; an allow list refuses every other country, and an unknown country
 * (private or unlisted address) too, since it cannot be shown to be allowed. Origins: an empty
 * list allows every page; else a browser request (Origin, else the Referer's origin) must come
 * from a listed origin or the server's own. A request with neither header (native players,
 * ffmpeg) passes: the origin is a browser's statement, not a secret, and nothing else sends it.
 */
import { deny, type Denial, grant, type Verdict } from './errors.js';

export interface CountryRules {
  /** ISO 3166-1 alpha-2, upper case. When present, only these countries play. */
  readonly allow?: readonly string[];
  /** ISO 3166-1 alpha-2, upper case. These countries never play. */
  readonly block?: readonly string[];
}

export interface AccessRules {
  readonly countries: CountryRules;
  /** Browser origins (scheme://host[:port]) allowed to play; empty: any. */
  readonly allowedOrigins: readonly string[];
}

export const NO_ACCESS_RULES: AccessRules = Object.freeze({ countries: Object.freeze({}), allowedOrigins: Object.freeze([]) });

/** What a request says about its client, the country looked up only when a rule needs it. */
export interface AccessClient {
  country(): string | undefined;
  /** browserOrigin() of the request: undefined for a non-browser request, 'null' for an opaque origin. */
  readonly origin: string | undefined;
}

// ISO 3166-1 alpha-2 officially assigned codes, plus XK (Kosovo), which country databases use.
const ISO_COUNTRIES = new Set(
  ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW').split(' '),
);

const MAX_LIST = 300;

/**
 * Country codes as an operator typed them: trimmed and upper-cased ("fr" means FR), each an
 * assigned ISO 3166-1 alpha-2 code ("UK" is refused: Great Britain is GB), without duplicates.
 */
export function parseCountryCodes(codes: readonly string[], field: string): Verdict<string[]> {
  if (codes.length > MAX_LIST) return deny('bad_request', `${field}: at most ${MAX_LIST} countries`);
  const out = new Set<string>();
  for (const raw of codes) {
    const code = raw.trim().toUpperCase();
    if (!ISO_COUNTRIES.has(code)) return deny('bad_request', `${field}: "${raw}" is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE, GB)`);
    out.add(code);
  }
  return grant([...out].sort());
}

/** Allow and block lists; a country in both would be meaningless, so it is refused. */
export function parseCountryRules(input: { allow?: readonly string[]; block?: readonly string[] }, field = 'countries'): Verdict<CountryRules> {
  const allow = input.allow === undefined ? undefined : parseCountryCodes(input.allow, `${field}.allow`);
  if (allow !== undefined && !allow.ok) return allow;
  const block = input.block === undefined ? undefined : parseCountryCodes(input.block, `${field}.block`);
  if (block !== undefined && !block.ok) return block;
  const both = allow?.value.filter((c) => block?.value.includes(c)) ?? [];
  if (both.length > 0) return deny('bad_request', `${field}: ${both.join(', ')} is both allowed and blocked`);
  return grant({ ...(allow ? { allow: allow.value } : {}), ...(block ? { block: block.value } : {}) });
}

/** An origin as browsers send it: http(s)://host[:port], lower-case host, no default port, no path. */
export function parseOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  const bare = url.pathname === '/' && !/[?#]/.test(text) && url.username === '' && url.password === '';
  return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : undefined;
}

export function parseOrigins(list: readonly string[], field = 'allowed_origins'): Verdict<string[]> {
  if (list.length > MAX_LIST) return deny('bad_request', `${field}: at most ${MAX_LIST} origins`);
  const out = new Set<string>();
  for (const raw of list) {
    const origin = parseOrigin(raw);
    if (origin === undefined) return deny('bad_request', `${field}: "${raw}" is not an origin like https://player.example.com[:port]`);
    out.add(origin);
  }
  return grant([...out]);
}

/**
 * The page a browser request comes from: its Origin header, else its Referer's origin.
 * 'null' for an opaque origin (Origin: null, sandboxed frames, file: pages, a Referer that is
 * no URL), which no list contains; undefined when the request carries neither header.
 */
export function browserOrigin(origin: string | undefined, referer: string | undefined): string | undefined {
  const header = origin ?? referer;
  if (header === undefined || header === '') return undefined;
  try {
    const url = new URL(header);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : 'null';
  } catch {
    return 'null';
  }
}

/**
 * The first rule set that refuses this client, as a denial naming the country or origin;
 * undefined when every set lets it play. `ownOrigin` (the server's own pages) always passes.
 */
export function accessRefusal(rules: readonly AccessRules[], client: AccessClient, ownOrigin: string): Denial | undefined {
  const origin = client.origin;
  if (origin !== undefined && origin !== ownOrigin) {
    for (const set of rules) {
      if (set.allowedOrigins.length > 0 && !set.allowedOrigins.includes(origin)) {
        return deny('origin_not_allowed', `playback from the page at ${origin} is not allowed for this title`);
      }
    }
  }
  let country: string | undefined | null = null;
  for (const { countries } of rules) {
    if (countries.allow === undefined && countries.block === undefined) continue;
    if (country === null) country = client.country();
    if (country === undefined) {
      if (countries.allow !== undefined) return deny('geo_blocked', 'this title plays only in some countries, and the country of your address is unknown');
    } else if (countries.block?.includes(country) === true || (countries.allow !== undefined && !countries.allow.includes(country))) {
      return deny('geo_blocked', `this title is not available in your country (${country})`);
    }
  }
  return undefined;
}
