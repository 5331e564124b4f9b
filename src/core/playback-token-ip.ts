/**
 * IP addresses and prefixes for binding playback tokens to a client network. Threat: a
 * binding that can be dodged by spelling one address several ways — `::ffff:203.0.113.7`
 * (how a dual-stack Node socket reports an IPv4 client), upper-case or zero-padded IPv6,
 * octal-looking `010.1.1.1` — or that silently matches too much. So parsing is strict,
 * IPv4-mapped IPv6 is folded to IPv4, networks are stored masked and in one canonical text
 * (RFC 5952 for IPv6), and a family mismatch never matches.
 *
 * Not ipaddr.js (2.x), which would take this strictness away: its parse reads `010.1.1.1` as
 * octal and `0x7f.1.1.1` as hex, three-part `1.2.3` as 1.2.0.3, accepts zone ids
 * (`fe80::1%eth0`) and leading zeros in an embedded dotted quad, and turns `::1.2.3.4` into
 * the IPv4-mapped `::ffff:1.2.3.4`; wrapping it in enough checks to refuse all that would be
 * more code than this parser.
 */

/** An address (4 or 16 bytes) with its prefix length; host bits are always zero. */
export interface IpNetwork {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

const DOT = 0x2e;

/** Parses an IPv4 or IPv6 address (no prefix, no zone); IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.indexOf(':') < 0) {
    const out = new Uint8Array(4);
    return parseIPv4Into(text, out, 0) ? out : undefined;
  }
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  return isV4Mapped(v6) ? v6.slice(12) : v6;
}

/**
 * Parses `address` or `address/bits`, masking host bits off ("203.0.113.7/24" is the network
 * 203.0.113.0/24). An IPv4-mapped IPv6 prefix (/96 or longer) becomes the IPv4 one.
 */
export function parseIpNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined) return undefined;
  let bits = bytes.length * 8;
  if (slash >= 0) {
    const written = parsePrefixLength(text.slice(slash + 1));
    // A prefix written on an IPv4-mapped IPv6 address counts the 96 mapping bits.
    const mapped = bytes.length === 4 && text.indexOf(':') >= 0;
    bits = written === undefined ? -1 : mapped ? written - 96 : written;
    if (bits < 0 || bits > bytes.length * 8) return undefined;
  }
  mask(bytes, bits);
  return { bytes, bits };
}

/** Canonical text: the bare address for a full-length prefix, else `network/bits`. */
export function formatIpNetwork(net: IpNetwork): string {
  const address = formatIp(net.bytes);
  return net.bits === net.bytes.length * 8 ? address : `${address}/${net.bits}`;
}

/**
 * The binding the gateway mints for a client address: its network at `v4Bits` or `v6Bits`
 * (e.g. 24 and 64 to survive address churn within one home or mobile network; 32 and 128
 * for the exact address). Undefined when `ip` is not an address.
 */
export function ipNetworkOf(ip: string, v4Bits: number, v6Bits: number): string | undefined {
  const bytes = parseIp(ip);
  if (bytes === undefined) return undefined;
  const bits = bytes.length === 4 ? v4Bits : v6Bits;
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) return undefined;
  mask(bytes, bits);
  return formatIpNetwork({ bytes, bits });
}

/** True when the address `ip` lies inside `network` (an address or a prefix) of the same family. */
export function ipInNetwork(ip: string, network: string): boolean {
  const address = parseIp(ip);
  const net = parseIpNetwork(network);
  if (address === undefined || net === undefined || address.length !== net.bytes.length) return false;
  mask(address, net.bits);
  for (let i = 0; i < address.length; i++) if (address[i] !== net.bytes[i]) return false;
  return true;
}

export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952 §4.2: compress the longest run (first on a tie) of two or more zero words.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number): string => words.slice(from, to).map((w) => w.toString(16)).join(':');
  return bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Dotted quad, each part 0–255 without leading zeros (which some parsers read as octal). */
function parseIPv4Into(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part > 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      const d = c - 0x30;
      if (d < 0 || d > 9 || (digits === 1 && value === 0)) return false;
      value = value * 10 + d;
      if (++digits > 3 || value > 255) return false;
    }
  }
  return part === 4;
}

/** RFC 4291 §2.2 text: eight hex words, one optional `::`, an optional trailing dotted quad. */
function parseIPv6(text: string): Uint8Array | undefined {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return undefined;
  const out = new Uint8Array(16);
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headWords = parseWords(head, gap < 0, out, 0);
  if (headWords < 0) return undefined;
  if (gap < 0) return headWords === 8 ? out : undefined;
  const tailWords = parseWords(tail, true, out, headWords * 2);
  if (tailWords < 0 || headWords + tailWords > 7) return undefined;
  // The tail was parsed right after the head; move it to the end, zeros in the gap.
  const tailStart = headWords * 2;
  const tailBytes = out.slice(tailStart, tailStart + tailWords * 2);
  out.fill(0, tailStart);
  out.set(tailBytes, 16 - tailBytes.length);
  return out;
}

/** Parses `w:w:…` into out at offset; returns the word count (a dotted quad counts 2), or -1. */
function parseWords(text: string, quadAllowedLast: boolean, out: Uint8Array, offset: number): number {
  if (text.length === 0) return 0;
  let words = 0;
  let start = 0;
  for (;;) {
    let end = text.indexOf(':', start);
    if (end < 0) end = text.length;
    if (offset + words * 2 >= 16) return -1;
    const isLast = end === text.length;
    if (isLast && quadAllowedLast && text.indexOf('.', start) >= 0) {
      if (offset + words * 2 + 4 > 16 || !parseIPv4Into(text.slice(start), out, offset + words * 2)) return -1;
      return words + 2;
    }
    const word = parseHexWord(text, start, end);
    if (word < 0) return -1;
    out[offset + words * 2] = word >> 8;
    out[offset + words * 2 + 1] = word & 0xff;
    words++;
    if (isLast) return words;
    start = end + 1;
  }
}

function parseHexWord(text: string, start: number, end: number): number {
  if (end <= start || end - start > 4) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return -1;
    value = (value << 4) | d;
  }
  return value;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Decimal prefix length without sign or leading zeros; range is checked by the caller. */
function parsePrefixLength(text: string): number | undefined {
  if (text.length === 0 || text.length > 3 || (text.length > 1 && text.charCodeAt(0) === 0x30)) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return value;
}

function mask(bytes: Uint8Array, bits: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, bits - i * 8));
    bytes[i]! &= (0xff00 >> keep) & 0xff;
  }
}
