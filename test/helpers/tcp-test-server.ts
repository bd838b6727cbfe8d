// Servers for the TCP tools' tests, run inside a peer namespace:
//   tsx test/helpers/tcp-test-server.ts echo|chunked|silent ADDRESS PORT
// echo:    a plain node:net server that writes back what it reads, and ends when the client ends;
// chunked: node:http, every response a chunked body (GET /chunked?n=N&size=S: N chunks of S bytes,
//          byte i of the body is i % 251), flushed chunk by chunk;
// silent:  accepts and never answers (for interrupting a client mid-connection).
// Prints "listening" once it listens; exits on SIGTERM.
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { chunkedBody } from './tcp-test-data.ts';

const [mode, address, portText] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'echo' || mode === 'silent') {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    if (mode === 'echo') socket.pipe(socket);
  });
  server.listen(port, address, () => process.stdout.write('listening\n'));
} else if (mode === 'chunked') {
  const server = createHttpServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const count = Number(url.searchParams.get('n') ?? 5);
    const size = Number(url.searchParams.get('size') ?? 1000);
    const body = chunkedBody(count, size);
    response.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // no Content-Length: chunked
    for (let i = 0; i < count; i++) {
      response.write(body.subarray(i * size, (i + 1) * size));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    response.end();
  });
  server.listen(port, address, () => process.stdout.write('listening\n'));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
