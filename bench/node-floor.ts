/**
 * A reference server, not part of Tollgate: bare node:http serving files under a root with NO
 * token check at all, run as its own process by the bench. It measures the floor any Node
 * gateway stands on, so the report can say how much of the gap to nginx is Node's HTTP and
 * file serving and how much is Tollgate's own work. Two modes:
 *   stream  stat + createReadStream per request, as the gateway serves files;
 *   memory  the bytes read once at start and sent from a Buffer: no file I/O per request.
 *
 * usage: node dist/bench/node-floor.js <port> <root> <stream|memory>
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';

const [portText, root, mode] = process.argv.slice(2);
if (portText === undefined || root === undefined || (mode !== 'stream' && mode !== 'memory')) {
  process.stderr.write('usage: node-floor.js <port> <root> <stream|memory>\n');
  process.exit(2);
}

const memory = new Map<string, Buffer>();
if (mode === 'memory') {
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else memory.set(`/${relative(root, path)}`, readFileSync(path));
    }
  };
  walk(root);
}

const server = createServer((request, response) => {
  const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
  if (path.includes('..')) return void response.writeHead(400).end();
  if (mode === 'memory') {
    const body = memory.get(path);
    if (body === undefined) return void response.writeHead(404).end();
    return void response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length }).end(body);
  }
  const file = join(root, path);
  stat(file).then(
    (info) => {
      response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': info.size });
      createReadStream(file).pipe(response);
    },
    () => void response.writeHead(404).end(),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
