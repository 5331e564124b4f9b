/**
 * `npm run simulate`: a simulated day of a streaming service on a real Tollgate (its routes,
 * stores and detectors, composed in this process with a simulated clock), with thousands of
 * honest viewers and the abuses the detectors are for, then a report of what was detected, how
 * fast, and how many honest accounts were wrongly flagged, written into docs/DETECTION.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ABUSES, type AbuseName, scheduleAbuse } from './abusers.js';
import { honestAccount } from './honest.js';
import { type AlertView, type EvidenceView, renderOutcome, score } from './report.js';
import { World } from './world.js';

const USAGE = `usage: npm run simulate -- [options]

  --honest N     honest accounts (default 2000)
  --abuses N     instances of each abuse (default 5)
  --hours H      simulated hours (default 24)
  --seed S       random seed (default 1)
  --no-write     print only, leave docs/DETECTION.md alone
`;

const HOUR = 3_600_000;
const DOC = join(new URL('../..', import.meta.url).pathname, 'docs', 'DETECTION.md');
const START = '<!-- simulate:start -->';
const END = '<!-- simulate:end -->';

export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: [...argv],
      options: {
        honest: { type: 'string', default: '2000' },
        abuses: { type: 'string', default: '5' },
        hours: { type: 'string', default: '24' },
        seed: { type: 'string', default: '1' },
        'no-write': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`simulate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [honest, abuses, hours, seed] = [options.honest, options.abuses, options.hours, options.seed].map(Number) as [number, number, number, number];
  if (![honest, abuses, hours, seed].every((n) => Number.isInteger(n) && n >= 0) || hours === 0) {
    process.stderr.write(`simulate: --honest, --abuses, --hours and --seed take whole numbers (--hours at least 1)\n${USAGE}`);
    return 2;
  }
  const began = performance.now();
  const dayStart = Date.UTC(2026, 0, 5); // a Monday, midnight UTC
  const world = await World.open({ seed, start: dayStart, networksPerCountry: Math.ceil((honest * 3 + abuses * 40) / 10) });
  try {
    for (let i = 0; i < honest; i++) await honestAccount(world, dayStart);
    for (const name of Object.keys(ABUSES) as AbuseName[]) {
      for (let i = 0; i < abuses; i++) scheduleAbuse(world, name, dayStart + world.random.int(0, Math.max(0, hours - 2) * 60) * 60_000);
    }
    await world.scheduler.run(dayStart + hours * HOUR);
    process.stderr.write(`simulated ${hours} h in ${((performance.now() - began) / 1000).toFixed(0)} s\n`);
    const { alerts } = (await world.admin('GET', '/v1/admin/alerts')) as { alerts: AlertView[] };
    const ids = [...new Set(alerts.flatMap((a) => a.evidence))];
    const evidence = new Map<string, EvidenceView>();
    for (let i = 0; i < ids.length; i += 100) {
      const { events } = (await world.admin('GET', `/v1/admin/events?ids=${ids.slice(i, i + 100).join(',')}`)) as { events: EvidenceView[] };
      for (const event of events) evidence.set(event.id, event);
    }
    const outcome = score(world.abuses, alerts, evidence, world.honestUsers.size, hours / 24);
    const requests = [...world.answers].sort().map(([k, n]) => `${k}: ${n}`).join(', ');
    const text = renderOutcome(outcome, { command: `npm run simulate -- ${argv.join(' ')}`.trim(), honestAccounts: honest, hours, seconds: (performance.now() - began) / 1000, requests });
    process.stdout.write(`${text}\n`);
    if (!options['no-write']) writeResults(text);
    return 0;
  } finally {
    await world.close();
  }
}

function writeResults(text: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the ${START} … ${END} markers`);
  writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${text}\n${doc.slice(end)}`);
}
