// Pairs ICMP echo replies with their requests, as Wireshark does in one pass:
// a reply names the frame of the request with the same identifier and
// sequence number between the same two hosts ("(request in 1)"). A request
// cannot name its reply without reading ahead, so it names nothing.

interface PendingRequest {
  readonly frame: number;
  readonly timeNs: number;
}

/** Requests remembered at most, so memory stays flat on any capture. */
const MAX_PENDING = 65536;

/**
 * Keys are numbers, as in the TCP tracker: the requester's address and the
 * identifier (48 bits) select an inner map keyed by the target's address and
 * the sequence number (48 bits).
 */
export class EchoRequestMatcher {
  private readonly requests = new Map<number, Map<number, PendingRequest>>();
  private count = 0;

  /** Remembers a request (addresses as 32-bit numbers); `timeNs` is the capture's relative time. */
  request(source: number, destination: number, identifier: number, sequence: number, frame: number, timeNs: number): void {
    const outer = source * 0x10000 + identifier;
    let inner = this.requests.get(outer);
    if (inner === undefined) {
      if (this.count >= MAX_PENDING) {
        // Forget everything rather than track ages: the oldest requests are then lost, and memory stays bounded.
        this.requests.clear();
        this.count = 0;
      }
      inner = new Map();
      this.requests.set(outer, inner);
    }
    const key = destination * 0x10000 + sequence;
    if (!inner.has(key)) this.count++;
    inner.set(key, { frame, timeNs });
  }

  /** The request a reply from `source` to `destination` answers, if one was seen. */
  reply(source: number, destination: number, identifier: number, sequence: number): PendingRequest | undefined {
    return this.requests.get(destination * 0x10000 + identifier)?.get(source * 0x10000 + sequence);
  }
}
