// IP fragment reassembly, as Wireshark does it in one pass (epan/reassemble.c
// with packet-ip.c's defaults): fragments of one datagram (same key: for IPv4
// source, destination, protocol and identification) are collected in capture
// order; when the last one (More Fragments clear) has arrived and the bytes
// from 0 to its end are all there, the datagram is complete and is dissected
// in the frame that completed it, with the list tshark prints:
//     [2 IPv4 Fragments (2008 bytes): #1(1480), #2(528)]
// Generic over the key so IPv6 fragments (Fragment extension header) can use
// the same class: the caller makes the key and passes payload offsets in bytes.
//
// Memory is bounded: at most MAX_PENDING datagrams in progress and
// MAX_PENDING_BYTES of fragment data over all of them (the oldest datagram is
// dropped to make room), a datagram is dropped when no fragment of it came for
// PENDING_TIMEOUT_NS of capture time, and a datagram cannot grow past 65,535
// bytes (IPv4's limit, and IPv6's without jumbograms).

/** One fragment as tshark lists it: "[Frame: 1, payload: 0-1479 (1480 bytes)]". */
export interface FragmentSpan {
  readonly frame: number;
  /** Offset of its data in the datagram's payload, in bytes. */
  readonly offset: number;
  readonly length: number;
}

export interface ReassembledDatagram {
  /** The payload from offset 0 to the end, fragments laid in order (later bytes win an overlap). */
  readonly payload: Uint8Array;
  /** In capture order. */
  readonly fragments: readonly FragmentSpan[];
}

export const MAX_PENDING = 1024;
export const MAX_PENDING_BYTES = 16 << 20;
/** Wireshark keeps fragments for the whole capture; a minute of capture time bounds memory without parting real datagrams. */
export const PENDING_TIMEOUT_NS = 60e9;
const MAX_DATAGRAM_PAYLOAD = 65535;

interface Pending {
  readonly fragments: { span: FragmentSpan; data: Uint8Array }[];
  /** Payload length, known once the last fragment came; -1 before. */
  totalLength: number;
  bytes: number;
  lastTimeNs: number;
}

export class FragmentReassembler<Key> {
  private readonly pending = new Map<Key, Pending>();
  private pendingBytes = 0;

  /**
   * Adds one fragment's data (copied); returns the datagram when this
   * fragment completes it, else undefined. `more`: the More Fragments flag.
   */
  add(key: Key, offset: number, data: Uint8Array, more: boolean, frame: number, timeNs: number): ReassembledDatagram | undefined {
    this.expire(timeNs);
    if (offset + data.length > MAX_DATAGRAM_PAYLOAD) return undefined;
    let entry = this.pending.get(key);
    if (entry === undefined) {
      while (this.pending.size >= MAX_PENDING || (this.pending.size > 0 && this.pendingBytes + data.length > MAX_PENDING_BYTES)) this.dropOldest();
      entry = { fragments: [], totalLength: -1, bytes: 0, lastTimeNs: timeNs };
      this.pending.set(key, entry);
    } else {
      // Map order is insertion order: move the datagram to the end so that eviction takes the stalest.
      this.pending.delete(key);
      this.pending.set(key, entry);
    }
    entry.fragments.push({ span: { frame, offset, length: data.length }, data: data.slice() });
    entry.bytes += data.length;
    this.pendingBytes += data.length;
    entry.lastTimeNs = timeNs;
    if (!more) entry.totalLength = offset + data.length;
    if (entry.totalLength < 0 || !covers(entry)) return undefined;

    const payload = new Uint8Array(entry.totalLength);
    for (const fragment of entry.fragments) {
      const room = Math.max(0, Math.min(fragment.data.length, entry.totalLength - fragment.span.offset));
      payload.set(fragment.data.subarray(0, room), fragment.span.offset);
    }
    this.remove(key, entry);
    return { payload, fragments: entry.fragments.map((f) => f.span) };
  }

  private expire(nowNs: number): void {
    for (const [key, entry] of this.pending) {
      if (nowNs - entry.lastTimeNs <= PENDING_TIMEOUT_NS) break; // the rest are newer
      this.remove(key, entry);
    }
  }

  private dropOldest(): void {
    const first = this.pending.entries().next();
    if (!first.done) this.remove(first.value[0], first.value[1]);
  }

  private remove(key: Key, entry: Pending): void {
    this.pending.delete(key);
    this.pendingBytes -= entry.bytes;
  }
}

/** Whether the fragments cover [0, totalLength) without a hole. */
function covers(entry: Pending): boolean {
  const spans = entry.fragments.map((f) => f.span).sort((a, b) => a.offset - b.offset);
  let reached = 0;
  for (const span of spans) {
    if (span.offset > reached) return false;
    reached = Math.max(reached, span.offset + span.length);
  }
  return reached >= entry.totalLength;
}

/** "[2 IPv4 Fragments (2008 bytes): #1(1480), #2(528)]" without the brackets, for any protocol name. */
export function fragmentListText(protocol: string, datagram: ReassembledDatagram): string {
  const list = datagram.fragments.map((f) => `#${f.frame}(${f.length})`).join(', ');
  return `${datagram.fragments.length} ${protocol} Fragments (${datagram.payload.length} bytes): ${list}`;
}
