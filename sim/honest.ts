/**
 * Honest viewers, as the detectors must leave them alone: households in the evening, a family
 * on three screens within the limit, a phone moving from Wi-Fi to the mobile network (the
 * player restarts when the address binding refuses the old URL), and a traveller on in-flight
 * Wi-Fi that exits far from home.
 */
import { SEGMENTS } from './catalog.js';
import type { Viewer } from './viewer.js';
import { FAR_COUNTRIES, HOME_COUNTRIES, type World } from './world.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** One honest account of a random kind, living through the day that starts at `dayStart`. */
export async function honestAccount(world: World, dayStart: number): Promise<string> {
  const r = world.random.next();
  const kind = r < 0.75 ? household : r < 0.85 ? family : r < 0.97 ? commuter : flyer;
  const { email } = await world.account(true);
  world.scheduler.spawn(() => kind(world, email, dayStart));
  return kind.name;
}

/** Plays `count` episodes back to back from a random one; stops at the first refusal. */
export async function binge(world: World, viewer: Viewer, count: number): Promise<void> {
  const first = world.random.int(0, world.titles.length - 1);
  for (let i = 0; i < count; i++) {
    const stream = await viewer.start(world.titles[(first + i) % world.titles.length]!);
    if (stream === undefined || !(await viewer.open(stream))) return;
    const played = await viewer.watch(stream, 0, SEGMENTS, (ms) => world.scheduler.sleep(ms));
    await viewer.stop(stream);
    if (played < SEGMENTS) return;
  }
}

async function until(world: World, at: number): Promise<void> {
  await world.scheduler.sleep(at - world.clock.now);
}

/** Evening-heavy start times within the day. */
function viewingTimes(world: World, dayStart: number, count: number): number[] {
  const times = Array.from({ length: count }, () => dayStart + (world.random.chance(0.7) ? world.random.int(18 * 60, 23 * 60) : world.random.int(7 * 60, 18 * 60)) * MIN);
  return times.sort((a, b) => a - b);
}

async function household(world: World, email: string, dayStart: number): Promise<void> {
  const ip = world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random);
  const devices = ['Living room TV', 'Laptop'].slice(0, world.random.int(1, 2));
  for (const at of viewingTimes(world, dayStart, world.random.int(1, 2))) {
    if (world.clock.now > at) continue;
    await until(world, at);
    const viewer = world.viewer(email, ip, world.random.pick(devices));
    if (await viewer.login()) await binge(world, viewer, world.random.int(1, 3));
  }
}

async function family(world: World, email: string, dayStart: number): Promise<void> {
  const ip = world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random);
  const [at] = viewingTimes(world, dayStart, 1);
  await until(world, at!);
  for (const device of ['Living room TV', 'Tablet', 'Phone']) {
    const viewer = world.viewer(email, ip, device);
    if (await viewer.login()) world.scheduler.spawn(() => binge(world, viewer, 2));
    await world.scheduler.sleep(world.random.int(1, 10) * MIN);
  }
}

async function commuter(world: World, email: string, dayStart: number): Promise<void> {
  const country = world.random.pick(HOME_COUNTRIES);
  const home = world.addresses.network(country, world.random);
  const carrier = world.addresses.network(country, world.random);
  await until(world, dayStart + world.random.int(7 * 60, 8 * 60) * MIN);
  const phone = world.viewer(email, home, 'Phone');
  if (!(await phone.login())) return;
  const stream = await phone.start(world.random.pick(world.titles));
  if (stream === undefined || !(await phone.open(stream))) return;
  const before = await phone.watch(stream, 0, world.random.int(10, 40), (ms) => world.scheduler.sleep(ms));
  phone.ip = carrier; // out of the door: the phone is on the mobile network now
  if (await phone.segment(stream, before)) await phone.watch(stream, before + 1, SEGMENTS - before - 1, (ms) => world.scheduler.sleep(ms));
  else await binge(world, phone, 1); // the address binding refused the old URL: the player starts again
  phone.ip = home;
  const [evening] = viewingTimes(world, dayStart + 10 * HOUR, 1);
  if (evening! > world.clock.now) await until(world, evening!);
  await binge(world, phone, world.random.int(1, 2));
}

async function flyer(world: World, email: string, dayStart: number): Promise<void> {
  const home = world.addresses.network(world.random.pick(HOME_COUNTRIES), world.random);
  const inFlight = world.addresses.network('US', world.random); // satellite Wi-Fi exits in one country whatever the plane flies over
  const destination = world.addresses.network(world.random.pick(FAR_COUNTRIES), world.random);
  await until(world, dayStart + world.random.int(6 * 60, 8 * 60) * MIN);
  const laptop = world.viewer(email, home, 'Laptop');
  if (!(await laptop.login())) return;
  await binge(world, laptop, 1);
  await world.scheduler.sleep(world.random.int(60, 120) * MIN);
  laptop.ip = inFlight;
  await binge(world, laptop, 2);
  await world.scheduler.sleep(world.random.int(6, 9) * HOUR);
  laptop.ip = destination;
  await binge(world, laptop, 1);
}
