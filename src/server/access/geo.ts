/**
 * The requester's country, from a MaxMind-format (.mmdb) database loaded once at start. By
 * default the CC0 database shipped through npm (@ip-location-db/geo-whois-asn-country-mmdb,
 * records {country_code}); TOLLGATE_GEOIP_DB names the operator's own MaxMind GeoIP2 or
 * GeoLite2 Country (or City) file instead (records {country: {iso_code}}). Both shapes are
 * read. A database that cannot be read stops the start (exit 78): geo rules silently checked
 * against nothing would let every country play.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import { Reader, type Response } from 'maxmind';
import { EX_CONFIG, StartupError } from '../startup-error.js';

/** ISO 3166-1 alpha-2 country of an address; undefined when unknown (private, unlisted). */
export type CountryLookup = (ip: string) => string | undefined;

/** The autonomous system (network operator) of an address; undefined when unknown or no database. */
export type AsnLookup = (ip: string) => number | undefined;

export const SHIPPED_GEOIP_DB = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

type CountryRecord = { country_code?: unknown; country?: { iso_code?: unknown } };

/** The country of a record in either shape, when it is a plausible ISO code. */
export function countryOfRecord(record: CountryRecord | null): string | undefined {
  const code = record?.country_code ?? record?.country?.iso_code;
  return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined;
}

const NOT_PUBLIC = new Set(['unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'carrierGradeNat', 'private', 'reserved', 'uniqueLocal']);

/** The address to look up (IPv4-mapped IPv6 as IPv4), or undefined when it has no country. */
function publicAddress(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const address = ipaddr.process(ip);
  return NOT_PUBLIC.has(address.range()) ? undefined : address.toString();
}

/** One reader per file, shared by every composition in the process (the CLI and tests compose often). */
const loaded = new Map<string, Promise<CountryLookup>>();
const loadedAsn = new Map<string, Promise<AsnLookup>>();

/** Loads the database at path (the shipped one when undefined); a StartupError (exit 78) when it cannot. */
export function loadCountryLookup(path: string | undefined): Promise<CountryLookup> {
  const file = path ?? SHIPPED_GEOIP_DB;
  let lookup = loaded.get(file);
  if (lookup === undefined) {
    lookup = open(file, path === undefined);
    loaded.set(file, lookup);
    lookup.catch(() => loaded.delete(file));
  }
  return lookup;
}

/**
 * TOLLGATE_ASN_DB: a MaxMind-format ASN database (GeoLite2-ASN, or any with
 * {autonomous_system_number} records), for the network of events and detectors; none shipped.
 */
export function loadAsnLookup(path: string | undefined): Promise<AsnLookup> {
  if (path === undefined) return Promise.resolve(() => undefined);
  let lookup = loadedAsn.get(path);
  if (lookup === undefined) {
    lookup = readMmdb(path, `TOLLGATE_ASN_DB=${path}`).then((reader) => {
      if (!/asn/i.test(reader.metadata.databaseType)) {
        throw new StartupError(`TOLLGATE_ASN_DB=${path} is a "${reader.metadata.databaseType}" database, not an ASN one`, EX_CONFIG);
      }
      return (ip: string) => {
        const address = publicAddress(ip);
        const asn = address === undefined ? undefined : (reader.get(address) as { autonomous_system_number?: unknown } | null)?.autonomous_system_number;
        return typeof asn === 'number' && Number.isInteger(asn) && asn > 0 ? asn : undefined;
      };
    });
    loadedAsn.set(path, lookup);
    lookup.catch(() => loadedAsn.delete(path));
  }
  return lookup;
}

async function readMmdb(file: string, where: string): Promise<Reader<Response>> {
  try {
    return new Reader<Response>(await readFile(file));
  } catch (error) {
    throw new StartupError(`cannot read ${where} as a MaxMind .mmdb database: ${(error as Error).message}`, EX_CONFIG);
  }
}

async function open(file: string, shipped: boolean): Promise<CountryLookup> {
  const where = shipped ? `the shipped country database ${file}` : `TOLLGATE_GEOIP_DB=${file}`;
  const reader = await readMmdb(file, where);
  if (!/country|city/i.test(reader.metadata.databaseType)) {
    throw new StartupError(`${where} is a "${reader.metadata.databaseType}" database, not a country (or city) one`, EX_CONFIG);
  }
  return (ip) => {
    const address = publicAddress(ip);
    // The shipped database's records ({country_code}) are not among maxmind's typed shapes.
    return address === undefined ? undefined : countryOfRecord(reader.get(address) as CountryRecord | null);
  };
}
