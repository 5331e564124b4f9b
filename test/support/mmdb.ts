/**
 * A minimal MaxMind DB (.mmdb) writer for tests: IPv4 networks with their records, 24-bit
 * records, maps/strings/uint16/uint32 only. Enough to make a GeoIP2-Country-shaped file
 * ({country: {iso_code}}) the way an operator's TOLLGATE_GEOIP_DB would be, without shipping one.
 * Format: https://maxmind.github.io/MaxMind-DB/
 */
type Value = string | number | Value[] | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = size < 29 ? [size] : size < 285 ? [29, size - 29] : [30, (size - 285) >> 8, (size - 285) & 0xff];
  const first = ((extended ? 0 : type) << 5) | head[0]!;
  return Buffer.from([first, ...(extended ? [type - 7] : []), ...head.slice(1)]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    const bytes: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    return Buffer.concat([control(value < 65536 ? 5 : 6, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

interface Node {
  children: [Node | number | undefined, Node | number | undefined];
}

/** A database of IPv4 networks ('81.2.69.0/24') and the record each maps to. */
export function writeMmdb(databaseType: string, networks: Record<string, Value>): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: Node = { children: [undefined, undefined] };
  for (const [cidr, record] of Object.entries(networks)) {
    const [address, bits] = cidr.split('/') as [string, string];
    const ip = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const encoded = encode(record);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    let node = root;
    for (let i = 0; i < Number(bits); i++) {
      const bit = Math.floor(ip / 2 ** (31 - i)) % 2;
      if (i === Number(bits) - 1) node.children[bit] = offset;
      else node = (node.children[bit] ??= { children: [undefined, undefined] }) as Node;
    }
  }
  const nodes: Node[] = [];
  const number = new Map<Node, number>();
  const visit = (node: Node): void => {
    number.set(node, nodes.push(node) - 1);
    for (const child of node.children) if (typeof child === 'object') visit(child);
  };
  visit(root);
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const record = child === undefined ? count : typeof child === 'number' ? count + 16 + child : number.get(child)!;
      tree.writeUIntBE(record, i * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    database_type: databaseType,
    description: { en: 'test database' },
    ip_version: 4,
    languages: ['en'],
    node_count: count,
    record_size: 24,
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('ABCDEF4D61784D696E642E636F6D', 'hex'), metadata]);
}
