// Data the TCP tests' servers send, known to both sides.

/** The body of GET /chunked?n=COUNT&size=SIZE from tcp-test-server.ts: byte i is i % 251. */
export function chunkedBody(count: number, size: number): Buffer {
  const body = Buffer.alloc(count * size);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  return body;
}
