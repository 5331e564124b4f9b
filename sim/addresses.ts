/**
 * Real public addresses by country, drawn from the country database Tollgate ships
 * (@ip-location-db/geo-whois-asn-country-mmdb), so the simulated viewers geolocate as real
 * ones would. Each address stands for one network (its /24): a household, a carrier's exit,
 * an in-flight Wi-Fi gateway.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type CountryResponse, Reader } from 'maxmind';
import type { Random } from './random.js';

export class AddressBook {
  private readonly byCountry = new Map<string, string[]>();
  private readonly used = new Set<string>();

  /** Samples random IPv4 space until each wanted country has `perCountry` distinct /24s. */
  constructor(random: Random, countries: readonly string[], perCountry: number) {
    const file = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb');
    // This database's records are {country_code}, not MaxMind's {country: {iso_code}}.
    const reader = new Reader<CountryResponse>(readFileSync(file));
    const wanted = new Set(countries);
    for (const c of countries) this.byCountry.set(c, []);
    const full = () => countries.every((c) => this.byCountry.get(c)!.length >= perCountry);
    for (let tries = 0; !full(); tries++) {
      if (tries > 20_000_000) throw new Error(`the country database has too few addresses for ${countries.join(',')}`);
      const first = random.int(1, 223);
      if (first === 10 || first === 127) continue;
      const prefix = `${first}.${random.int(0, 255)}.${random.int(0, 255)}`;
      const country = (reader.get(`${prefix}.1`) as { country_code?: string } | null)?.country_code;
      if (country === undefined || !wanted.has(country)) continue;
      const list = this.byCountry.get(country)!;
      if (list.length < perCountry && !list.includes(prefix)) list.push(prefix);
    }
  }

  /** A fresh network in the country (never handed out before), as one host address in it. */
  network(country: string, random: Random): string {
    const list = this.byCountry.get(country);
    if (list === undefined) throw new Error(`no addresses sampled for ${country}`);
    for (let i = 0; i < list.length; i++) {
      const prefix = list[(i + random.int(0, list.length - 1)) % list.length]!;
      if (!this.used.has(prefix)) {
        this.used.add(prefix);
        return `${prefix}.${random.int(2, 254)}`;
      }
    }
    throw new Error(`every sampled network of ${country} is in use: sample more`);
  }
}
