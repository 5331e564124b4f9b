import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../src/core/strict-json.js';

const parse = (text: string, depth = 32) => parseStrictJson(text, depth);

describe('parseStrictJson', () => {
  it.each([
    '{}',
    '[]',
    '{"a":1,"b":[{"a":2},{"a":3}],"c":{"a":{"a":null}}}',
    '{"a":"a","b":"a"}',
    '{"x":"\\",\\"a\\":","a":1}', // a value that looks like a member name
    '{"k":"{[\\\\]}","l":"\\u0022"}',
    ' { "a" : [ 1 , "b" , { "b" : true } ] } ',
    '"just a string"',
    '42',
  ])('reads %s exactly as JSON.parse does', (text) => {
    expect(parse(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it.each([
    ['top level', '{"sub":"user-42","sub":"admin"}'],
    ['after an escape', '{"sub":"user-42","s\\u0075b":"admin"}'],
    ['nested in an array', '[{"a":1},{"b":1,"b":2}]'],
    ['nested in an object', '{"a":{"c":1,"d":{"e":1,"e":1}}}'],
    ['__proto__', '{"__proto__":1,"__proto__":2}'],
    ['empty name', '{"":1,"":2}'],
  ])('refuses a duplicate member name (%s)', (_, text) => {
    expect(parse(text)).toEqual({ ok: false, reason: 'duplicate member' });
  });

  it('refuses nesting beyond maxDepth without recursion', () => {
    expect(parse('[[[1]]]', 3).ok).toBe(true);
    expect(parse('[[[[1]]]]', 3)).toEqual({ ok: false, reason: 'too deep' });
    expect(parse('{"a":{"b":{"c":{}}}}', 3)).toEqual({ ok: false, reason: 'too deep' });
    expect(parse('['.repeat(100_000) + ']'.repeat(100_000))).toEqual({ ok: false, reason: 'too deep' });
  });

  it.each(['', '{', '{"a":1,}', '{"a" 1}', '{"a":"unterminated}', "{'a':1}", '[1,]', '{"a":1}x', 'NaN'])(
    'refuses invalid JSON %s',
    (text) => {
      expect(parse(text).ok).toBe(false);
    },
  );

  it('agrees with JSON.parse on generated documents', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const names = ['a', 'b', 'sub', '"q"', '\\', 'ü', '\u2028', '}', ',', ':'];
    const value = (depth: number): unknown => {
      const kind = rand(depth > 4 ? 4 : 6);
      if (kind === 0) return rand(1000) - 500;
      if (kind === 1) return names[rand(names.length)];
      if (kind === 2) return [true, false, null][rand(3)];
      if (kind === 3) return rand(100) / 7;
      if (kind === 4) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(5) }, () => [names[rand(names.length)], value(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const text = JSON.stringify(value(0), null, rand(2) ? 1 : undefined);
      expect(parse(text)).toEqual({ ok: true, value: JSON.parse(text) });
    }
  });
});
