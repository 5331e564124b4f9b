import { describe, expect, it } from 'vitest';
import { accessRefusal, type AccessRules, browserOrigin, NO_ACCESS_RULES, parseCountryRules, parseOrigin } from '../../src/core/access-rules.js';

const OWN = 'https://tv.example';
const rules = (countries: AccessRules['countries'], allowedOrigins: string[] = []): AccessRules => ({ countries, allowedOrigins });
const client = (country: string | undefined, origin?: string) => {
  const lookups: string[] = [];
  return { lookups, origin, country: () => (lookups.push('looked up'), country) };
};

describe('access rules', () => {
  it('takes the origin from Origin, else from Referer; opaque or unparsable is "null"; neither is undefined', () => {
    expect(browserOrigin('https://a.example', 'https://b.example/x')).toBe('https://a.example');
    expect(browserOrigin(undefined, 'https://B.example:443/page?q=1#f')).toBe('https://b.example');
    expect(browserOrigin('null', 'https://b.example/')).toBe('null');
    expect(browserOrigin(undefined, 'not a url')).toBe('null');
    expect(browserOrigin(undefined, 'file:///home/x.html')).toBe('null');
    expect(browserOrigin(undefined, undefined)).toBeUndefined();
    expect(browserOrigin('', undefined)).toBeUndefined();
  });

  it('accepts origins as scheme://host[:port] only, normalised', () => {
    expect(parseOrigin('HTTPS://Player.Example.com:443/')).toBe('https://player.example.com');
    expect(parseOrigin('http://localhost:8080')).toBe('http://localhost:8080');
    for (const bad of ['https://a.example/x', 'https://a.example?', 'https://a.example#x', 'https://u:p@a.example', 'ws://a.example', 'a.example', 'null']) {
      expect(parseOrigin(bad), bad).toBeUndefined();
    }
  });

  it('upper-cases country codes, refuses unassigned ones and a code both allowed and blocked', () => {
    expect(parseCountryRules({ allow: ['fr', ' de ', 'FR'] })).toEqual({ ok: true, value: { allow: ['DE', 'FR'] } });
    for (const bad of ['UK', 'EU', 'FRA', 'F', '']) expect(parseCountryRules({ block: [bad] }).ok, bad).toBe(false);
    expect(parseCountryRules({ allow: ['FR'], block: ['fr'] }).ok).toBe(false);
  });

  it('refuses a blocked country, any country outside an allow list, and an unknown one only under an allow list', () => {
    const block = [rules({ block: ['US'] })];
    const allow = [rules({ allow: ['GB'] })];
    expect(accessRefusal(block, client('US'), OWN)).toMatchObject({ code: 'geo_blocked', detail: expect.stringContaining('(US)') });
    expect(accessRefusal(block, client('GB'), OWN)).toBeUndefined();
    expect(accessRefusal(block, client(undefined), OWN)).toBeUndefined();
    expect(accessRefusal(allow, client('US'), OWN)?.code).toBe('geo_blocked');
    expect(accessRefusal(allow, client(undefined), OWN)?.code).toBe('geo_blocked');
    expect(accessRefusal(allow, client('GB'), OWN)).toBeUndefined();
    // Title and plan: both must pass.
    expect(accessRefusal([...allow, ...block], client('GB'), OWN)).toBeUndefined();
    expect(accessRefusal([rules({ allow: ['GB', 'US'] }), ...block], client('US'), OWN)?.code).toBe('geo_blocked');
  });

  it('looks the country up only when a rule needs it, and once', () => {
    const none = client('US');
    expect(accessRefusal([NO_ACCESS_RULES, rules({}, ['https://a.example'])], none, OWN)).toBeUndefined();
    expect(none.lookups).toEqual([]);
    const two = client('GB');
    expect(accessRefusal([rules({ allow: ['GB'] }), rules({ block: ['US'] })], two, OWN)).toBeUndefined();
    expect(two.lookups).toHaveLength(1);
  });

  it('refuses a browser page outside a list, lets requests without a page and the own origin through', () => {
    const listed = [rules({}, ['https://a.example'])];
    expect(accessRefusal(listed, client(undefined, 'https://b.example'), OWN)).toMatchObject({ code: 'origin_not_allowed', detail: expect.stringContaining('https://b.example') });
    expect(accessRefusal(listed, client(undefined, 'null'), OWN)?.code).toBe('origin_not_allowed');
    expect(accessRefusal(listed, client(undefined, 'https://a.example'), OWN)).toBeUndefined();
    expect(accessRefusal(listed, client(undefined, undefined), OWN)).toBeUndefined();
    expect(accessRefusal(listed, client(undefined, OWN), OWN)).toBeUndefined();
    expect(accessRefusal([NO_ACCESS_RULES], client(undefined, 'null'), OWN)).toBeUndefined();
    // Both lists must name the page.
    expect(accessRefusal([...listed, rules({}, ['https://c.example'])], client(undefined, 'https://a.example'), OWN)?.code).toBe('origin_not_allowed');
  });
});
