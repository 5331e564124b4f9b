/**
 * The country lookup: the shipped CC0 database by default, or the operator's MaxMind file
 * (TOLLGATE_GEOIP_DB), in either record shape; an unusable file stops the start with exit 78.
 * The network lookup: the operator's ASN file (TOLLGATE_ASN_DB), which events then carry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countryOfRecord, loadAsnLookup, loadCountryLookup } from '../../src/server/access/geo.js';
import { StartupError } from '../../src/server/startup-error.js';
import { writeMmdb } from '../support/mmdb.js';
import { ADMIN_TOKEN, seedSubscriber, startTestApp } from '../support/app.js';

describe('country lookup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-geo-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds real addresses in the shipped database, IPv4, IPv6 and IPv4-mapped, and no country for non-public ones', async () => {
    const countryOf = await loadCountryLookup(undefined);
    expect(countryOf('81.2.69.142')).toBe('GB');
    expect(countryOf('8.8.8.8')).toBe('US');
    expect(countryOf('193.0.6.139')).toBe('NL');
    expect(countryOf('::ffff:193.0.6.139')).toBe('NL');
    expect(countryOf('2001:4860:4860::8888')).toBe('US');
    for (const unknown of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '100.64.0.1', '169.254.1.1', '::1', 'fd00::1', 'fe80::1', '::ffff:192.168.0.1', 'not an address']) expect(countryOf(unknown), unknown).toBeUndefined();
  });

  it("reads an operator's GeoIP2/GeoLite2 Country file (country.iso_code)", async () => {
    const file = join(dir, 'GeoLite2-Country.mmdb');
    await writeFile(file, writeMmdb('GeoLite2-Country', { '81.2.69.0/24': { country: { iso_code: 'FR', geoname_id: 3017382 } }, '8.8.8.0/24': { country: { iso_code: 'JP' } } }));
    const countryOf = await loadCountryLookup(file);
    expect(countryOf('81.2.69.142')).toBe('FR');
    expect(countryOf('8.8.8.8')).toBe('JP');
    expect(countryOf('193.0.6.139')).toBeUndefined();
  });

  it('takes either record shape and nothing that is not a country code', () => {
    expect(countryOfRecord({ country_code: 'DE' })).toBe('DE');
    expect(countryOfRecord({ country: { iso_code: 'DE' } })).toBe('DE');
    for (const record of [null, {}, { country_code: 'de' }, { country_code: 7 }, { country: { iso_code: 'DEU' } }]) expect(countryOfRecord(record as never)).toBeUndefined();
  });

  it('refuses a missing file, a file that is no .mmdb and a database without countries, as a configuration error (exit 78)', async () => {
    const junk = join(dir, 'junk.mmdb');
    await writeFile(junk, 'not a database');
    const asn = join(dir, 'GeoLite2-ASN.mmdb');
    await writeFile(asn, writeMmdb('GeoLite2-ASN', { '8.8.8.0/24': { autonomous_system_number: 15169 } }));
    for (const [file, says] of [[join(dir, 'missing.mmdb'), 'ENOENT'], [junk, 'as a MaxMind .mmdb database'], [asn, 'not a country']] as const) {
      const error = await loadCountryLookup(file).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(StartupError);
      expect((error as StartupError).exitCode).toBe(78);
      expect((error as Error).message).toContain(`TOLLGATE_GEOIP_DB=${file}`);
      expect((error as Error).message).toContain(says);
    }
  });
});

describe('network (ASN) lookup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-asn-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives events the network and country of the address behind a trusted proxy', async () => {
    const file = join(dir, 'GeoLite2-ASN.mmdb');
    await writeFile(file, writeMmdb('GeoLite2-ASN', { '8.8.8.0/24': { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } }));
    const t = await startTestApp({ env: { TOLLGATE_ASN_DB: file, TOLLGATE_TRUST_PROXY: '127.0.0.1' } });
    try {
      const viewer = await seedSubscriber(t.app, { titles: '*' });
      for (const ip of ['8.8.8.8', '81.2.69.142', '10.0.0.1']) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'x-forwarded-for': ip }, payload: { email: viewer.email, password: viewer.password } });
        expect(res.statusCode).toBe(200);
      }
      await t.services.events.flush();
      const { events } = (await t.app.inject({ method: 'GET', url: '/v1/admin/events?kind=login', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
      const byIp = new Map((events as { ip: string; asn?: number; country?: string }[]).map((e) => [e.ip, e]));
      expect(byIp.get('8.8.8.8')).toMatchObject({ asn: 15169, country: 'US' });
      expect(byIp.get('81.2.69.142')).toMatchObject({ country: 'GB' });
      expect(byIp.get('81.2.69.142')!.asn).toBeUndefined();
      expect(byIp.get('10.0.0.1')!.asn).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('knows no network without a database, and refuses a file that is not an ASN database (exit 78)', async () => {
    expect((await loadAsnLookup(undefined))('8.8.8.8')).toBeUndefined();
    const country = join(dir, 'GeoLite2-Country.mmdb');
    await writeFile(country, writeMmdb('GeoLite2-Country', { '8.8.8.0/24': { country: { iso_code: 'US' } } }));
    for (const [file, says] of [[join(dir, 'missing.mmdb'), 'ENOENT'], [country, 'not an ASN one']] as const) {
      const error = await loadAsnLookup(file).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(StartupError);
      expect((error as StartupError).exitCode).toBe(78);
      expect((error as Error).message).toContain(`TOLLGATE_ASN_DB=${file}`);
      expect((error as Error).message).toContain(says);
    }
  });
});
