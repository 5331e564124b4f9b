// Ranking sessions against bits read from a leak (issue 13), without video: readings made
// from payloads directly, with read errors, collusions and pure chance.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SegmentReading } from '../../src/media/watermark/detect.js';
import { PATTERN_BITS, payloadBit } from '../../src/server/watermark/payload.js';
import { binomialTail, rankSessions } from '../../src/server/watermark/rank.js';

const key = randomBytes(16);
const sessions = Array.from({ length: 60 }, () => randomUUID());
const read = (from: (n: number) => string, segments: number, flip = (_n: number) => false): SegmentReading[] =>
  Array.from({ length: segments }, (_, n) => {
    const bit = payloadBit(key, from(n), n);
    return { segment: n, bit: (flip(n) ? 1 - bit : bit) as 0 | 1, score: 1 };
  });

describe('rankSessions', () => {
  it('names the leaking session first with confidence, despite one read in ten wrong', () => {
    const ranked = rankSessions(read(() => sessions[7]!, 60, (n) => n % 10 === 3), sessions, key);
    expect(ranked[0]).toMatchObject({ sessionId: sessions[7], agree: 54, read: 60, confident: true });
    expect(ranked.slice(1).some((s) => s.confident)).toBe(false);
  });

  it('puts both colluders first when their segments alternate', () => {
    const ranked = rankSessions(read((n) => sessions[n % 2 === 0 ? 2 : 50]!, 60), sessions, key);
    expect(ranked.slice(0, 2).map((s) => s.sessionId).sort()).toEqual([sessions[2], sessions[50]].sort());
    expect(ranked.slice(2).some((s) => s.confident)).toBe(false);
  });

  it('names nobody with confidence when the readings are chance (50 random leaks)', () => {
    for (let trial = 0; trial < 50; trial++) {
      const noise = Array.from({ length: 60 }, (_, n) => ({ segment: n, bit: (Math.random() < 0.5 ? 0 : 1) as 0 | 1, score: 1 }));
      expect(rankSessions(noise, sessions, key).some((s) => s.confident)).toBe(false);
    }
  });

  it('counts a position once where the payload repeats (every PATTERN_BITS segments)', () => {
    const once = read(() => sessions[4]!, 30);
    const twice = [...once, ...once.map((r) => ({ ...r, segment: r.segment + PATTERN_BITS }))];
    expect(rankSessions(twice, sessions, key)[0]).toMatchObject({ sessionId: sessions[4], agree: 30, read: 30 });
  });

  it('computes binomial tails', () => {
    expect(binomialTail(10, 0)).toBe(1);
    expect(binomialTail(10, 10)).toBeCloseTo(1 / 1024, 12);
    expect(binomialTail(4, 3)).toBeCloseTo(5 / 16, 12);
    expect(binomialTail(10, 11)).toBe(0);
  });
});
