/**
 * Approximate geographic centres of countries, [latitude, longitude] in degrees (south and
 * west negative), for the impossible-travel detector. Source: The World Factbook (Central
 * Intelligence Agency), field "Geographic coordinates" — a work of the United States
 * Government, in the public domain. Rounded; a country not listed is never judged for travel.
 * A centre says nothing about travel inside a large country (the United States, Russia), so
 * the detector measures only between countries.
 */
export const COUNTRY_CENTROIDS: Readonly<Record<string, readonly [number, number]>> = {
  US: [38, -97], CA: [60, -95], MX: [23, -102], BR: [-10, -55], AR: [-34, -64], CL: [-30, -71], CO: [4, -72], PE: [-10, -76], VE: [8, -66],
  GB: [54, -2], IE: [53, -8], IS: [65, -18], FR: [46, 2], DE: [51, 9], NL: [52.5, 5.75], BE: [50.83, 4], LU: [49.75, 6.17], CH: [47, 8],
  AT: [47.33, 13.33], IT: [42.83, 12.83], ES: [40, -4], PT: [39.5, -8], DK: [56, 10], NO: [62, 10], SE: [62, 15], FI: [64, 26],
  PL: [52, 20], CZ: [49.75, 15.5], HU: [47, 20], RO: [46, 25], GR: [39, 22], TR: [39, 35], UA: [49, 32], RU: [60, 100],
  IL: [31.5, 34.75], SA: [25, 45], AE: [24, 54], EG: [27, 30], ZA: [-29, 24], NG: [10, 8], KE: [1, 38], MA: [32, -5],
  IN: [20, 77], PK: [30, 70], CN: [35, 105], JP: [36, 138], KR: [37, 127.5], TW: [23.5, 121], HK: [22.25, 114.17], SG: [1.37, 103.8],
  TH: [15, 100], VN: [16.17, 107.83], MY: [2.5, 112.5], ID: [-5, 120], PH: [13, 122], AU: [-27, 133], NZ: [-41, 174],
};

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance between two countries' centres in km; undefined if either is unknown. */
export function countryDistanceKm(a: string, b: string): number | undefined {
  const p = COUNTRY_CENTROIDS[a];
  const q = COUNTRY_CENTROIDS[b];
  if (p === undefined || q === undefined) return undefined;
  const rad = Math.PI / 180;
  const dLat = (q[0] - p[0]) * rad;
  const dLon = (q[1] - p[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(p[0] * rad) * Math.cos(q[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
