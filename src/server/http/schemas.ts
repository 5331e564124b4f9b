/** JSON-schema pieces shared by several routes. */
import { EMAIL_MAX_LENGTH, EMAIL_MIN_LENGTH, EMAIL_PATTERN } from '../../core/email.js';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;
/** The rule of isValidEmail (src/core/email.ts), which the CLI applies. */
export const emailSchema = { type: 'string', minLength: EMAIL_MIN_LENGTH, maxLength: EMAIL_MAX_LENGTH, pattern: EMAIL_PATTERN } as const;

/**
 * Answer shapes shared by several routes, for the OpenAPI document. Objects stay open
 * (additionalProperties: true, as JSON Schema's default) so a field added later is allowed;
 * test/server/openapi.test.ts checks every answer against them.
 */
export const openObject = (required: readonly string[], properties: Record<string, object>) =>
  ({ type: 'object', required, additionalProperties: true, properties }) as const;

export const titlesListSchema = {
  description: 'a list of title ids, or "*" for every title',
  oneOf: [{ type: 'string', const: '*' }, { type: 'array', items: { type: 'string' } }],
} as const;

export const tokenPairSchema = openObject(['access_token', 'token_type', 'expires_in', 'refresh_token'], {
  access_token: { type: 'string', description: 'a JWT (EdDSA or ES256), for Authorization: Bearer' },
  token_type: { type: 'string', const: 'Bearer' },
  expires_in: { type: 'integer', description: 'seconds until the access token expires' },
  refresh_token: { type: 'string', description: 'opaque; works once' },
});

export const userSchema = openObject(['user_id', 'email', 'plan_id'], {
  user_id: { type: 'string' },
  email: { type: 'string' },
  plan_id: { type: 'string' },
});

export const rentalSchema = openObject(['title_id', 'expires_at', 'playback_expires_at'], {
  title_id: { type: 'string' },
  expires_at: { type: 'string', format: 'date-time', description: 'the end of the rental window' },
  playback_expires_at: { type: ['string', 'null'], format: 'date-time', description: 'the end of the playback window; null until the first start, or without one' },
});

export const meSchema = openObject(['user_id', 'email', 'plan_id', 'titles', 'rentals'], {
  ...userSchema.properties,
  titles: titlesListSchema,
  rentals: { type: 'array', items: rentalSchema, description: 'rentals that still entitle' },
});

const countryList = (what: string) => ({ type: ['array', 'null'], maxItems: 300, items: { type: 'string', maxLength: 8 }, description: what });

/** The access rules in a request (plans, titles): each list given replaces that list; null removes it. */
export const accessInputProperties = {
  countries: {
    type: 'object',
    additionalProperties: false,
    description: 'ISO 3166-1 alpha-2 codes (any case; stored upper-case)',
    properties: {
      allow: countryList('only these countries play (an unknown country is refused); null removes the list'),
      block: countryList('these countries never play; null removes the list'),
    },
  },
  allowed_origins: {
    type: 'array',
    maxItems: 300,
    items: { type: 'string', maxLength: 300 },
    description: 'browser origins (scheme://host[:port]) that may play; [] allows every page. Requests without Origin or Referer pass',
  },
} as const;

/** The access rules in an answer. */
const accessViewProperties = {
  countries: openObject([], {
    allow: { type: 'array', items: { type: 'string', pattern: '^[A-Z]{2}$' } },
    block: { type: 'array', items: { type: 'string', pattern: '^[A-Z]{2}$' } },
  }),
  allowed_origins: { type: 'array', items: { type: 'string' } },
};

export const titleAccessSchema = openObject(['id', 'countries', 'allowed_origins'], { id: { type: 'string' }, ...accessViewProperties });

export const planSchema = openObject(['id', 'titles', 'max_streams', 'stream_limit_mode', 'count_by', 'max_devices', 'require_mfa', 'countries', 'allowed_origins'], {
  ...accessViewProperties,
  id: { type: 'string' },
  titles: titlesListSchema,
  max_streams: { type: ['integer', 'null'], description: 'null: unlimited' },
  stream_limit_mode: { type: 'string', enum: ['refuse', 'evict_oldest'], description: 'at the limit: refuse the new stream, or end the oldest' },
  count_by: { type: 'string', enum: ['session', 'device'], description: 'what the limit counts: streams, or devices (a device\'s streams count once)' },
  max_devices: { type: ['integer', 'null'], description: 'devices an account may log in from; null: unlimited' },
  require_mfa: { type: 'boolean', description: 'playback only for logins that passed a second factor' },
});

export const jwksSchema = openObject(['keys'], {
  keys: {
    type: 'array',
    items: openObject(['kty', 'kid', 'alg', 'use'], {
      kty: { type: 'string', enum: ['OKP', 'EC'] },
      crv: { type: 'string' },
      x: { type: 'string' },
      y: { type: 'string' },
      kid: { type: 'string' },
      alg: { type: 'string', enum: ['EdDSA', 'ES256'] },
      use: { type: 'string', const: 'sig' },
    }),
  },
});

const titleSummary = {
  id: { type: 'string' },
  name: { type: 'string' },
  protocols: { type: 'array', items: { type: 'string', enum: ['hls', 'dash'] } },
  duration_sec: { type: 'number' },
};

export const entitledTitlesSchema = openObject(['titles'], {
  titles: { type: 'array', items: openObject(['id', 'name', 'protocols', 'duration_sec'], titleSummary) },
});

export const adminTitlesSchema = openObject(['titles'], {
  titles: {
    type: 'array',
    items: openObject(['id', 'name', 'protocols', 'duration_sec', 'key_ids', 'created_at', 'countries', 'allowed_origins'], {
      ...titleSummary,
      ...accessViewProperties,
      key_ids: { type: 'array', items: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
      created_at: { type: 'string', format: 'date-time' },
    }),
  },
});

export const playbackGrantSchema = openObject(['session_id', 'manifest_url', 'expires_at'], {
  session_id: { type: 'string' },
  manifest_url: { type: 'string', format: 'uri', description: 'absolute and complete: a player needs nothing else' },
  license_url: { type: 'string', format: 'uri', description: 'the entitlement proxy for this session (DASH titles)' },
  expires_at: { type: 'string', format: 'date-time' },
  wm_token: { type: 'string', description: 'watermarked titles, when TOLLGATE_WM_TOKEN_KEY is set: the ETSI TS 104 002 WM token (direct mode) a CDN edge sequences the A/B variants from' },
});

/** A stream holding a slot under the plan's limit (GET /v1/playback; the stream_limit_reached body). */
export const activeStreamSchema = openObject(['session_id', 'title_id', 'device_id', 'device_name', 'started_at', 'last_seen_at'], {
  session_id: { type: 'string' },
  title_id: { type: 'string' },
  device_id: { type: ['string', 'null'], description: 'the device_id given at login; null when none was' },
  device_name: { type: ['string', 'null'] },
  started_at: { type: 'string', format: 'date-time' },
  last_seen_at: { type: 'string', format: 'date-time', description: 'the last heartbeat, manifest, key or license request' },
});

export const activeStreamsSchema = openObject(['streams'], { streams: { type: 'array', items: activeStreamSchema } });

export const clearKeyLicenseSchema = openObject(['keys', 'type'], {
  keys: {
    type: 'array',
    items: openObject(['kty', 'kid', 'k'], { kty: { type: 'string', const: 'oct' }, kid: { type: 'string' }, k: { type: 'string' } }),
  },
  type: { type: 'string', enum: ['temporary', 'persistent-license'] },
});

export const clearKeyRequestSchema = {
  type: 'object',
  required: ['kids'],
  properties: { kids: { type: 'array', items: { type: 'string' } }, type: { type: 'string', enum: ['temporary', 'persistent-license'] } },
} as const;
