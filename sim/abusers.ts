/**
 * The abuses the detectors exist for, each recorded in the world's ground truth as it begins:
 * an account shared across cities, a copied playback URL, a restreamer, a credential-stuffing
 * run and a key scraper.
 */
import { RENDITIONS, SEGMENTS } from './catalog.js';
import { binge } from './honest.js';
import { FAR_COUNTRIES, HOME_COUNTRIES, PASSWORD, type World } from './world.js';

const MIN = 60_000;

export const ABUSES = { sharedAccount, copiedUrl, restreamer, credentialStuffing, keyScraper } as const;
export type AbuseName = keyof typeof ABUSES;

/** Starts one abuse of the kind at `at`. */
export function scheduleAbuse(world: World, name: AbuseName, at: number): void {
  world.scheduler.spawn(async () => {
    await world.scheduler.sleep(at - world.clock.now);
    await ABUSES[name](world);
  });
}

/**
 * One account, households in three countries watching at once. The sharing begins when the
 * second household starts (until then it is one household watching), as a copied URL begins
 * when the second player does.
 */
async function sharedAccount(world: World): Promise<void> {
  const { userId, email } = await world.account(false);
  const countries = [world.random.pick(HOME_COUNTRIES), world.random.pick(FAR_COUNTRIES), world.random.pick(HOME_COUNTRIES)];
  const ips = countries.map((c) => world.addresses.network(c, world.random));
  for (const [i, ip] of ips.entries()) {
    if (i === 1) world.abuse('sharedAccount', [userId], ips);
    const viewer = world.viewer(email, ip, `TV ${i + 1}`);
    if (await viewer.login()) world.scheduler.spawn(() => binge(world, viewer, 2));
    await world.scheduler.sleep(world.random.int(1, 5) * MIN);
  }
}

/** A subscriber's manifest URL, pasted into a player on another network. */
async function copiedUrl(world: World): Promise<void> {
  const { userId, email } = await world.account(false);
  const owner = world.viewer(email, world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random), 'Laptop');
  const pirateIp = world.addresses.network(world.random.pick(FAR_COUNTRIES), world.random);
  if (!(await owner.login())) return;
  const stream = await owner.start(world.random.pick(world.titles));
  if (stream === undefined || !(await owner.open(stream))) return;
  world.abuse('copiedUrl', [userId], [pirateIp]);
  const pirate = world.viewer('pirate@elsewhere.example', pirateIp, 'Pirate box');
  world.scheduler.spawn(async () => {
    await pirate.open(stream);
    for (let n = 0; n < 30; n++) {
      await pirate.segment(stream, n);
      await world.scheduler.sleep(6_000);
    }
  });
  await owner.watch(stream, 0, SEGMENTS, (ms) => world.scheduler.sleep(ms));
  await owner.stop(stream);
}

/** One address pulling every rendition of every segment, three times faster than real time. */
async function restreamer(world: World): Promise<void> {
  const { userId, email } = await world.account(false);
  const ip = world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random);
  world.abuse('restreamer', [userId], [ip]);
  const box = world.viewer(email, ip, 'Encoder');
  if (!(await box.login())) return;
  const stream = await box.start(world.random.pick(world.titles));
  if (stream === undefined || !(await box.open(stream))) return;
  for (let n = 0; n < SEGMENTS; n++) {
    for (const rendition of RENDITIONS) if (!(await box.segment(stream, n, rendition))) return;
    if (n % 10 === 9) await box.heartbeat(stream);
    await world.scheduler.sleep(2_000);
  }
}

/** One address trying leaked email/password pairs: mostly wrong, a few right. */
async function credentialStuffing(world: World): Promise<void> {
  const victims = await Promise.all(Array.from({ length: 3 }, () => world.account(false)));
  const ip = world.addresses.network(world.random.pick(FAR_COUNTRIES), world.random);
  world.abuse('credentialStuffing', victims.map((v) => v.userId), [ip]);
  for (let i = 0; i < 150; i++) {
    const victim = i % 50 === 0 ? victims[i / 50] : undefined;
    const email = victim?.email ?? `leaked${world.random.int(1, 1_000_000)}@mail.example`;
    await world.viewer(email, ip, 'Script').login(victim ? PASSWORD : `guess-${i}`);
    await world.scheduler.sleep(2_000);
  }
}

/** One account starting every title and taking its key, a few seconds apart. */
async function keyScraper(world: World): Promise<void> {
  const { userId, email } = await world.account(false);
  const ip = world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random);
  world.abuse('keyScraper', [userId], [ip]);
  const tool = world.viewer(email, ip, 'Scraper');
  if (!(await tool.login())) return;
  for (const title of world.titles) {
    const stream = await tool.start(title);
    if (stream !== undefined) {
      await tool.open(stream);
      await tool.stop(stream);
    }
    await world.scheduler.sleep(5_000);
  }
}
