import { describe, expect, it } from 'vitest';
import { WorkGate } from '../../src/server/identity/work-gate.js';

/** A job that runs until the test lets it finish. */
function job(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const run = async () => {
    log.push(`start ${name}`);
    await done;
    log.push(`end ${name}`);
    return name;
  };
  return { run, finish };
}

describe('WorkGate', () => {
  it('runs at most `concurrency` jobs, queues at most `queue`, refuses the rest at once', async () => {
    const gate = new WorkGate(2, 1);
    const log: string[] = [];
    const [a, b, c, d] = [job(log, 'a'), job(log, 'b'), job(log, 'c'), job(log, 'd')];
    const ran = [gate.tryRun(a.run), gate.tryRun(b.run), gate.tryRun(c.run)];
    expect(gate.tryRun(d.run)).toBeUndefined();
    await Promise.resolve();
    expect(log).toEqual(['start a', 'start b']);
    a.finish();
    await ran[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start a', 'start b', 'end a', 'start c']);
    b.finish();
    c.finish();
    expect(await Promise.all(ran)).toEqual(['a', 'b', 'c']);
    // Drained: room again.
    const e = job(log, 'e');
    const later = gate.tryRun(e.run);
    e.finish();
    expect(await later).toBe('e');
  });

  it('frees its slot when a job throws', async () => {
    const gate = new WorkGate(1, 0);
    await expect(gate.tryRun(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.tryRun(async () => 'ok')).toBe('ok');
  });
});
