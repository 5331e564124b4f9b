import { describe, expect, it } from 'vitest';
import { formatIp, formatIpNetwork, ipInNetwork, ipNetworkOf, parseIp, parseIpNetwork } from '../../src/core/playback-token-ip.js';

const canonical = (text: string): string | undefined => {
  const bytes = parseIp(text);
  return bytes === undefined ? undefined : formatIp(bytes);
};
const network = (text: string): string | undefined => {
  const net = parseIpNetwork(text);
  return net === undefined ? undefined : formatIpNetwork(net);
};

describe('IP addresses', () => {
  it('parses and formats IPv4 strictly', () => {
    expect(canonical('203.0.113.7')).toBe('203.0.113.7');
    expect(canonical('0.0.0.0')).toBe('0.0.0.0');
    expect(canonical('255.255.255.255')).toBe('255.255.255.255');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '1.2.3.4/24', '0x1.2.3.4', '1234']) {
      expect(canonical(bad), bad).toBeUndefined();
    }
  });

  it('parses IPv6 and formats it per RFC 5952', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero word is not compressed
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['fe80::1:2', 'fe80::1:2'],
    ];
    for (const [input, expected] of cases) expect(canonical(input), input).toBe(expected);
  });

  it('folds IPv4-mapped IPv6 into IPv4', () => {
    expect(canonical('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(canonical('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(canonical('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('rejects malformed IPv6', () => {
    for (const bad of [
      ':', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fe80::1%eth0', 'g::1', '::1:',
      ':1::', '1:2:3:4:5:6:7:8::', '::1.2.3', '::1.2.3.4:5', '1.2.3.4::', '::ffff:256.0.0.1', '1:2:3:4:5:6:1.2.3.4:8',
      '[::1]', '::\u0011', '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
    expect(canonical('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4:5:6:102:304');
  });
});

describe('IP networks', () => {
  it('masks host bits and keeps one canonical text', () => {
    expect(network('203.0.113.77/24')).toBe('203.0.113.0/24');
    expect(network('203.0.113.77/32')).toBe('203.0.113.77');
    expect(network('203.0.113.77/0')).toBe('0.0.0.0/0');
    expect(network('203.0.113.77/23')).toBe('203.0.112.0/23');
    expect(network('2001:db8:abcd:12::1/48')).toBe('2001:db8:abcd::/48');
    expect(network('2001:db8::1/128')).toBe('2001:db8::1');
    expect(network('2001:db8::ff/121')).toBe('2001:db8::80/121');
    expect(network('::ffff:203.0.113.77/120')).toBe('203.0.113.0/24');
  });

  it('rejects bad prefix lengths', () => {
    for (const bad of ['203.0.113.0/33', '203.0.113.0/', '203.0.113.0/024', '203.0.113.0/-1', '203.0.113.0/2a', '2001:db8::/129', '::ffff:1.2.3.4/64', '/24', '1.2.3.4/24/8']) {
      expect(parseIpNetwork(bad), bad).toBeUndefined();
    }
  });

  it('builds the gateway binding for a client address', () => {
    expect(ipNetworkOf('203.0.113.77', 24, 64)).toBe('203.0.113.0/24');
    expect(ipNetworkOf('::ffff:203.0.113.77', 24, 64)).toBe('203.0.113.0/24');
    expect(ipNetworkOf('2001:db8:1:2:3:4:5:6', 24, 64)).toBe('2001:db8:1:2::/64');
    expect(ipNetworkOf('203.0.113.77', 32, 128)).toBe('203.0.113.77');
    expect(ipNetworkOf('nope', 24, 64)).toBeUndefined();
    expect(ipNetworkOf('203.0.113.77', 33, 64)).toBeUndefined();
    expect(ipNetworkOf('203.0.113.77', 2.5, 64)).toBeUndefined();
  });

  it('tests membership', () => {
    expect(ipInNetwork('203.0.113.1', '203.0.113.0/24')).toBe(true);
    expect(ipInNetwork('203.0.113.1', '203.0.113.1')).toBe(true);
    expect(ipInNetwork('203.0.113.1', '0.0.0.0/0')).toBe(true);
    expect(ipInNetwork('203.0.112.255', '203.0.113.0/24')).toBe(false);
    expect(ipInNetwork('2001:db8::1', '0.0.0.0/0')).toBe(false);
    expect(ipInNetwork('203.0.113.1', 'garbage')).toBe(false);
    expect(ipInNetwork('garbage', '203.0.113.0/24')).toBe(false);
  });
});
