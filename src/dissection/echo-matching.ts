// Pairs ICMP echo replies with their requests, as Wireshark does in one pass:
// a reply names the frame of the request with the same identifier and
// sequence number between the same two hosts ("(request in 1)"). A request
// cannot name its reply without reading ahead, so it names nothing.
//
// The table is keyed by the request's key from src/wire/reply-matching.ts,
// the one every tool uses (a request and its reply give the same number);
// a key is a hash, so a hit is confirmed against the fields it stands for.
// One matcher per family: ICMP echoes (IPv4 addresses as their 32-bit
// numbers) or ICMPv6 echoes (addresses as Ipv6AddressNumbers gives them).

import { IcmpType } from '../wire/icmp.ts';
import { Icmpv6Type } from '../wire/icmpv6.ts';
import { icmpQueryKey, icmpv6QueryKey } from '../wire/reply-matching.ts';

interface PendingRequest {
  readonly frame: number;
  readonly timeNs: number;
  readonly requester: number;
  readonly target: number;
  readonly identifier: number;
  readonly sequence: number;
}

/** Requests remembered at most, so memory stays flat on any capture. */
const MAX_PENDING = 65536;

export class EchoRequestMatcher {
  private readonly requests = new Map<number, PendingRequest>();

  constructor(private readonly family: 4 | 6 = 4) {}

  private key(requester: number, target: number, identifier: number, sequence: number): number {
    return this.family === 4
      ? icmpQueryKey(requester, target, IcmpType.EchoRequest, identifier, sequence)
      : icmpv6QueryKey(requester, target, Icmpv6Type.EchoRequest, identifier, sequence);
  }

  /** Remembers a request (addresses as non-negative numbers, exact); `timeNs` is the capture's relative time. */
  request(source: number, destination: number, identifier: number, sequence: number, frame: number, timeNs: number): void {
    const key = this.key(source, destination, identifier, sequence);
    if (this.requests.size >= MAX_PENDING && !this.requests.has(key)) {
      // Forget everything rather than track ages: the oldest requests are then lost, and memory stays bounded.
      this.requests.clear();
    }
    this.requests.set(key, { frame, timeNs, requester: source, target: destination, identifier, sequence });
  }

  /** The request a reply from `source` to `destination` answers, if one was seen. */
  reply(source: number, destination: number, identifier: number, sequence: number): PendingRequest | undefined {
    const pending = this.requests.get(this.key(destination, source, identifier, sequence));
    if (
      pending === undefined ||
      pending.requester !== destination ||
      pending.target !== source ||
      pending.identifier !== identifier ||
      pending.sequence !== sequence
    ) {
      return undefined;
    }
    return pending;
  }
}
