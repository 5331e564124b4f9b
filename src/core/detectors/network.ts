/**
 * The network an address belongs to, as the sharing detectors compare them. Lessons from open
 * detectors' trackers: one household holds many IPv6 addresses (privacy extensions), so IPv6
 * is grouped by /64 and IPv4 by /24; private, loopback and link-local addresses say nothing
 * about where a viewer is (a proxy's own side, a test rig), so they are no network at all.
 */
import { ipNetworkOf, parseIp } from '../playback-token-ip.js';

/** `203.0.113.0/24` or `2001:db8:1:2::/64`; undefined for a private or unparsable address. */
export function networkOf(ip: string): string | undefined {
  const bytes = parseIp(ip);
  if (bytes === undefined || isPrivate(bytes)) return undefined;
  return ipNetworkOf(ip, 24, 64);
}

function isPrivate(b: Uint8Array): boolean {
  if (b.length === 4) {
    return (
      b[0] === 10 ||
      b[0] === 127 ||
      b[0] === 0 ||
      (b[0] === 172 && (b[1]! & 0xf0) === 16) ||
      (b[0] === 192 && b[1] === 168) ||
      (b[0] === 169 && b[1] === 254) ||
      (b[0] === 100 && (b[1]! & 0xc0) === 64) // carrier-grade NAT, RFC 6598
    );
  }
  const loopbackOrUnspecified = b.subarray(0, 15).every((x) => x === 0);
  return loopbackOrUnspecified || (b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80);
}

/**
 * One client address as the abuse counters key it: the exact IPv4 address, or the IPv6 /64
 * (one host holds a whole /64 and can rotate through it at will). Private addresses count too:
 * a flood from one is still a flood.
 */
export function addressOf(ip: string): string {
  return ipNetworkOf(ip, 32, 64) ?? ip;
}
