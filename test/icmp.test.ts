import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildIcmp,
  buildIcmpEcho,
  emitIcmpEchoInto,
  emitIcmpInto,
  icmpCodeName,
  IcmpType,
  icmpTypeName,
  IcmpUnreachableCode,
  iputilsEchoPayload,
  parseIcmp,
  parseIputilsTimestamp,
  parseQuotedDatagram,
  patternFill,
  type IcmpMessageInit,
  type ParsedIcmpMessage,
} from '../src/wire/icmp.ts';
import { buildIpv4, IpProtocol, parseIpv4 } from '../src/wire/ipv4.ts';
import { unwrap } from '../src/wire/parse-result.ts';
import { fromHex as hex, toHex } from './helpers/hex.ts';
import { committedFixtureNames, FIXTURES_DIR } from './helpers/fixture-packets.ts';

/** The textbook RFC 1071 verification, as an oracle independent of src/wire/checksum.ts. */
function referenceChecksumHolds(data: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += data[i] * 256 + (i + 1 < data.length ? data[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}


// Messages as Linux sends them (checksums cross-checked with scapy). IP
// headers are separated from ICMP by a double space.

/** iputils data for -s 56: struct timeval {1700000000, 123456} little-endian, then bytes 0x10..0x37. */
const IPUTILS_DATA =
  '00f1536500000000 40e2010000000000 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

const ECHO_REQUEST = hex(`0800 97d5 0b1e 0001 ${IPUTILS_DATA}`);
const ECHO_REPLY = hex(`0000 9fd5 0b1e 0001 ${IPUTILS_DATA}`);

/** A Linux router quotes as much as fits in 576 bytes: here the whole 84-byte echo request, TTL 1 on arrival. */
const TIME_EXCEEDED_FULL_QUOTE = hex(
  `0b00 f4ff 00000000
   4500 0054 3f2b 4000 0101 4e8a c0a80117 c6336401  0800 97d4 0b1e 0002 ${IPUTILS_DATA}`,
);

/** Many routers quote only the RFC 792 minimum: IP header + 8 bytes. */
const TIME_EXCEEDED_SHORT_QUOTE = hex(
  `0b00 4a0b 00000000
   4500 0054 3f2b 4000 0101 4e8a c0a80117 c6336401  0800 97d4 0b1e 0002`,
);

/** Port unreachable for a traceroute UDP probe (45678 -> 33434, 32 data bytes), quoted whole. */
const PORT_UNREACHABLE = hex(
  `0303 80d0 00000000
   4500 003c 9d1e 0000 0311 96f9 c0a80117 c0a80132  b26e 829a 0028 51f6
   404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f`,
);

/** Fragmentation needed (RFC 1191), next-hop MTU 1400, quoting a 1488-byte TCP segment's first 28 bytes. */
const FRAG_NEEDED = hex(
  `0304 ac12 0000 0578
   4500 05d0 8f41 4000 3f06 60bf 0a000005 cb007122  be5c 01bb 5c1f2f3a`,
);

const QUOTED_SYN = '4500003c8f3c40004006adb6c0a80117cb007109be5c01bb5c1f2d9a';
const REDIRECT_HOST = hex(`0501 ee86 c0a801fe ${QUOTED_SYN}`);
const PARAMETER_PROBLEM = hex(`0c00 962e 14000000 ${QUOTED_SYN}`);
const SOURCE_QUENCH = hex(`0400 b22e 00000000 ${QUOTED_SYN}`);
const TIMESTAMP_REQUEST = hex('0d00 b88c 04d2 0001 031d3283 00000000 00000000');
/** Router advertisement (RFC 1256): one address, entry size 2, lifetime 1800 s. */
const ROUTER_ADVERTISEMENT = hex('0900 2c4f 01 02 0708 c0a801fe 00000000');

/** The whole echo request as captured, IP header included. */
const ECHO_REQUEST_PACKET = hex(`4500 0054 3f2a 4000 4001 0f8b c0a80117 c6336401 ${toHex(ECHO_REQUEST)}`);

const CAPTURED: Record<string, Uint8Array> = {
  ECHO_REQUEST,
  ECHO_REPLY,
  TIME_EXCEEDED_FULL_QUOTE,
  TIME_EXCEEDED_SHORT_QUOTE,
  PORT_UNREACHABLE,
  FRAG_NEEDED,
  REDIRECT_HOST,
  PARAMETER_PROBLEM,
  SOURCE_QUENCH,
  TIMESTAMP_REQUEST,
  ROUTER_ADVERTISEMENT,
};

function expectKind<K extends ParsedIcmpMessage['kind']>(
  message: ParsedIcmpMessage,
  kind: K,
): Extract<ParsedIcmpMessage, { kind: K }> {
  expect(message.kind).toBe(kind);
  return message as Extract<ParsedIcmpMessage, { kind: K }>;
}

describe('parseIcmp on captured messages', () => {
  it('reads an iputils echo request', () => {
    const m = expectKind(unwrap(parseIcmp(ECHO_REQUEST)), 'echo');
    expect(m).toMatchObject({ type: 8, code: 0, checksum: 0x97d5, checksumValid: true, identifier: 0x0b1e, sequence: 1 });
    expect(toHex(m.payload)).toBe(toHex(hex(IPUTILS_DATA)));
    expect(parseIputilsTimestamp(m.payload)).toEqual({ seconds: 1700000000, microseconds: 123456 });
  });

  it('reads the echo reply', () => {
    const m = expectKind(unwrap(parseIcmp(ECHO_REPLY)), 'echo');
    expect(m).toMatchObject({ type: 0, checksumValid: true, identifier: 0x0b1e, sequence: 1 });
  });

  it('reads a time exceeded quoting the whole echo request', () => {
    const m = expectKind(unwrap(parseIcmp(TIME_EXCEEDED_FULL_QUOTE)), 'time-exceeded');
    expect(m).toMatchObject({ type: 11, code: 0, unused: 0, checksumValid: true });
    expect(m.original.length).toBe(84);
    const quoted = unwrap(m.quoted);
    expect(quoted.ip).toMatchObject({
      ttl: 1,
      identification: 0x3f2b,
      source: '192.168.1.23',
      destination: '198.51.100.1',
      protocol: IpProtocol.ICMP,
      checksumValid: true,
      missingLength: 0,
    });
    expect(quoted.transport).toEqual({ protocol: 'icmp', type: 8, code: 0, checksum: 0x97d4, identifier: 0x0b1e, sequence: 2 });
  });

  it('reads a time exceeded quoting only the IP header and 8 bytes', () => {
    const m = expectKind(unwrap(parseIcmp(TIME_EXCEEDED_SHORT_QUOTE)), 'time-exceeded');
    expect(m.checksumValid).toBe(true);
    const quoted = unwrap(m.quoted);
    expect(quoted.ip.totalLength).toBe(84);
    expect(quoted.ip.payload.length).toBe(8);
    expect(quoted.ip.missingLength).toBe(56);
    expect(quoted.transport).toMatchObject({ protocol: 'icmp', identifier: 0x0b1e, sequence: 2 });
  });

  it('reads a port unreachable quoting a UDP probe', () => {
    const m = expectKind(unwrap(parseIcmp(PORT_UNREACHABLE)), 'destination-unreachable');
    expect(m).toMatchObject({ type: 3, code: IcmpUnreachableCode.PortUnreachable, unused: 0, nextHopMtu: 0, checksumValid: true });
    expect(icmpCodeName(m.type, m.code)).toBe('Port Unreachable');
    const quoted = unwrap(m.quoted);
    expect(quoted.ip).toMatchObject({ ttl: 3, protocol: IpProtocol.UDP, source: '192.168.1.23', destination: '192.168.1.50' });
    expect(quoted.transport).toEqual({ protocol: 'udp', sourcePort: 45678, destinationPort: 33434, length: 40, checksum: 0x51f6 });
  });

  it('reads fragmentation needed with the next-hop MTU and the quoted TCP ports and sequence', () => {
    const m = expectKind(unwrap(parseIcmp(FRAG_NEEDED)), 'destination-unreachable');
    expect(m).toMatchObject({ code: IcmpUnreachableCode.FragmentationNeeded, nextHopMtu: 1400, unused: 0, checksumValid: true });
    const quoted = unwrap(m.quoted);
    expect(quoted.ip.totalLength).toBe(1488);
    expect(quoted.ip.missingLength).toBe(1460);
    expect(quoted.transport).toEqual({ protocol: 'tcp', sourcePort: 48732, destinationPort: 443, sequenceNumber: 0x5c1f2f3a });
  });

  it('reads redirect, parameter problem, source quench, timestamp and an unmodelled type', () => {
    const redirect = expectKind(unwrap(parseIcmp(REDIRECT_HOST)), 'redirect');
    expect(redirect).toMatchObject({ code: 1, gateway: '192.168.1.254', checksumValid: true });
    expect(unwrap(redirect.quoted).transport).toMatchObject({ protocol: 'tcp', destinationPort: 443 });

    const problem = expectKind(unwrap(parseIcmp(PARAMETER_PROBLEM)), 'parameter-problem');
    expect(problem).toMatchObject({ pointer: 20, unused: 0, checksumValid: true });

    const quench = expectKind(unwrap(parseIcmp(SOURCE_QUENCH)), 'source-quench');
    expect(quench).toMatchObject({ unused: 0, checksumValid: true });

    const timestamp = expectKind(unwrap(parseIcmp(TIMESTAMP_REQUEST)), 'timestamp');
    expect(timestamp).toMatchObject({
      type: 13,
      identifier: 1234,
      sequence: 1,
      originateTimestamp: 52245123,
      receiveTimestamp: 0,
      transmitTimestamp: 0,
      checksumValid: true,
    });

    const other = expectKind(unwrap(parseIcmp(ROUTER_ADVERTISEMENT)), 'other');
    expect(other).toMatchObject({ type: 9, code: 0, checksumValid: true });
    expect(toHex(other.restOfHeader)).toBe('01020708');
    expect(toHex(other.payload)).toBe('c0a801fe00000000');
  });

  it('parses a timestamp message of the wrong length as other', () => {
    const long = buildIcmp({ kind: 'other', type: 13, payload: new Uint8Array(13) });
    expect(unwrap(parseIcmp(long)).kind).toBe('other');
  });

  it('parses the ICMP inside a whole captured packet', () => {
    const ip = unwrap(parseIpv4(ECHO_REQUEST_PACKET));
    const m = expectKind(unwrap(parseIcmp(ip.payload)), 'echo');
    expect(m.sequence).toBe(1);
  });

  for (const [name, bytes] of Object.entries(CAPTURED)) {
    it(`re-encodes ${name} byte for byte from its parsed fields`, () => {
      const m = unwrap(parseIcmp(bytes));
      expect(toHex(buildIcmp(m))).toBe(toHex(bytes));
      // And with the checksum left to the builder.
      expect(toHex(buildIcmp({ ...m, checksum: undefined }))).toBe(toHex(bytes));
    });

    it(`returns a typed error for every prefix of ${name} shorter than a header, and judges the rest`, () => {
      for (let n = 0; n < bytes.length; n++) {
        const r = parseIcmp(bytes.subarray(0, n));
        if (n < 8) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error).toMatchObject({ kind: 'truncated', layer: 'icmp' });
        } else {
          // ICMP has no length field: a cut message still parses, and the
          // checksum verdict must say whether it still holds. (It can: a cut
          // that drops a whole valid quoted datagram, or trailing zeros, keeps the sum.)
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.checksumValid, `prefix ${n}`).toBe(referenceChecksumHolds(bytes.subarray(0, n)));
        }
      }
    });
  }
});

describe('quoted datagrams', () => {
  it('reports a broken quote as a field, not as a failure of the outer message', () => {
    const tooShort = buildIcmp({ kind: 'time-exceeded', original: hex('4500 0054 3f2b') });
    const m = expectKind(unwrap(parseIcmp(tooShort)), 'time-exceeded');
    expect(m.checksumValid).toBe(true);
    expect(m.quoted.ok).toBe(false);
    if (!m.quoted.ok) expect(m.quoted.error).toMatchObject({ kind: 'truncated', layer: 'ipv4' });

    const notIpv4 = buildIcmp({ kind: 'destination-unreachable', code: 3, original: new Uint8Array(28).fill(0x60) });
    const u = expectKind(unwrap(parseIcmp(notIpv4)), 'destination-unreachable');
    expect(u.quoted.ok).toBe(false);
    if (!u.quoted.ok) expect(u.quoted.error.kind).toBe('malformed');

    const empty = expectKind(unwrap(parseIcmp(hex('0b00 f4ff 00000000'))), 'time-exceeded');
    expect(empty.quoted.ok).toBe(false);
  });

  it('gives as many transport fields as the quote reaches', () => {
    const udp = hex('4500 003c 9d1e 0000 0311 96f9 c0a80117 c0a80132  b26e 829a 0028 51f6');
    const cut = (n: number) => unwrap(parseQuotedDatagram(udp.subarray(0, 20 + n))).transport;
    expect(cut(0)).toBeUndefined();
    expect(cut(3)).toBeUndefined();
    expect(cut(4)).toEqual({ protocol: 'udp', sourcePort: 45678, destinationPort: 33434 });
    expect(cut(6)).toEqual({ protocol: 'udp', sourcePort: 45678, destinationPort: 33434, length: 40 });
    const tcp = hex('4500 05d0 8f41 4000 3f06 60bf 0a000005 cb007122  be5c 01bb 5c1f2f3a');
    expect(unwrap(parseQuotedDatagram(tcp.subarray(0, 27))).transport).toEqual({ protocol: 'tcp', sourcePort: 48732, destinationPort: 443 });
    const echo = hex('4500 0054 3f2b 4000 0101 4e8a c0a80117 c6336401  0800 97d4 0b1e 0002');
    expect(unwrap(parseQuotedDatagram(echo.subarray(0, 23))).transport).toEqual({ protocol: 'icmp', type: 8, code: 0 });
  });

  it('gives an identifier and sequence only for quoted ICMP query messages', () => {
    // An ICMP error about an ICMP error (which RFC 1122 forbids, but a lab can craft).
    const inner = buildIcmp({ kind: 'destination-unreachable', code: 1, original: new Uint8Array(0) });
    const packet = buildIpv4({ protocol: IpProtocol.ICMP, source: '10.0.0.1', destination: '10.0.0.2' }, inner);
    expect(unwrap(parseQuotedDatagram(packet)).transport).toEqual({ protocol: 'icmp', type: 3, code: 1, checksum: 0xfcfe });
  });

  it('gives no transport fields for a non-first fragment or another protocol', () => {
    const fragment = buildIpv4({ protocol: 17, source: '10.0.0.1', destination: '10.0.0.2', fragmentOffset: 185 }, new Uint8Array(8));
    expect(unwrap(parseQuotedDatagram(fragment)).transport).toBeUndefined();
    const gre = buildIpv4({ protocol: IpProtocol.GRE, source: '10.0.0.1', destination: '10.0.0.2' }, new Uint8Array(8));
    expect(unwrap(parseQuotedDatagram(gre)).transport).toBeUndefined();
  });
});

describe('building ICMP', () => {
  it('builds the captured echo request from identifier, sequence and the iputils payload', () => {
    const payload = iputilsEchoPayload({ seconds: 1700000000, microseconds: 123456 });
    expect(toHex(payload)).toBe(toHex(hex(IPUTILS_DATA)));
    expect(toHex(buildIcmpEcho({ identifier: 0x0b1e, sequence: 1, payload }))).toBe(toHex(ECHO_REQUEST));
    expect(toHex(buildIcmpEcho({ type: 0, identifier: 0x0b1e, sequence: 1, payload }))).toBe(toHex(ECHO_REPLY));
  });

  it('builds each captured error message from its fields and the quoted bytes', () => {
    const original = (bytes: Uint8Array) => bytes.subarray(8);
    const built: [IcmpMessageInit, Uint8Array][] = [
      [{ kind: 'time-exceeded', type: 11, original: original(TIME_EXCEEDED_FULL_QUOTE) }, TIME_EXCEEDED_FULL_QUOTE],
      [{ kind: 'destination-unreachable', type: 3, code: 3, original: original(PORT_UNREACHABLE) }, PORT_UNREACHABLE],
      [{ kind: 'destination-unreachable', type: 3, code: 4, nextHopMtu: 1400, original: original(FRAG_NEEDED) }, FRAG_NEEDED],
      [{ kind: 'redirect', type: 5, code: 1, gateway: Uint8Array.of(192, 168, 1, 254), original: original(REDIRECT_HOST) }, REDIRECT_HOST],
      [{ kind: 'parameter-problem', type: 12, pointer: 20, original: original(PARAMETER_PROBLEM) }, PARAMETER_PROBLEM],
      [{ kind: 'source-quench', type: 4, original: original(SOURCE_QUENCH) }, SOURCE_QUENCH],
      [{ kind: 'timestamp', type: 13, identifier: 1234, sequence: 1, originateTimestamp: 52245123 }, TIMESTAMP_REQUEST],
      [{ kind: 'other', type: 9, restOfHeader: hex('01020708'), payload: hex('c0a801fe00000000') }, ROUTER_ADVERTISEMENT],
    ];
    for (const [init, bytes] of built) expect(toHex(buildIcmp(init))).toBe(toHex(bytes));
  });

  it('writes a caller-given wrong checksum, and the parser flags it', () => {
    const bytes = buildIcmpEcho({ identifier: 1, sequence: 1, payload: 'hi', checksum: 0x1234 });
    expect(toHex(bytes.subarray(2, 4))).toBe('1234');
    const m = unwrap(parseIcmp(bytes));
    expect(m.checksum).toBe(0x1234);
    expect(m.checksumValid).toBe(false);

    const error = buildIcmp({ kind: 'time-exceeded', type: 11, original: new Uint8Array(28), checksum: 0 });
    expect(unwrap(parseIcmp(error)).checksumValid).toBe(false);
  });

  it('flags a flipped payload bit in a captured message', () => {
    const bad = ECHO_REQUEST.slice();
    bad[40] ^= 0x80;
    expect(unwrap(parseIcmp(bad)).checksumValid).toBe(false);
  });

  it('takes the payload as bytes, UTF-8 text or an iputils -p pattern', () => {
    const text = unwrap(parseIcmp(buildIcmpEcho({ identifier: 7, sequence: 9, payload: 'héllo' })));
    expect(text.kind === 'echo' && toHex(text.payload)).toBe('68c3a96c6c6f');
    expect(text.checksumValid).toBe(true);

    const patterned = buildIcmpEcho({ identifier: 7, sequence: 9, payload: { pattern: hex('ff00a5'), length: 8 } });
    expect(toHex(patterned.subarray(8))).toBe('ff00a5ff00a5ff00');
    expect(unwrap(parseIcmp(patterned)).checksumValid).toBe(true);
  });

  it('rejects values that do not fit their fields', () => {
    expect(() => buildIcmpEcho({ identifier: 0x10000, sequence: 0 })).toThrow(RangeError);
    expect(() => buildIcmpEcho({ identifier: 0, sequence: -1 })).toThrow(RangeError);
    expect(() => buildIcmpEcho({ identifier: 0.5, sequence: 0 })).toThrow(RangeError);
    expect(() => buildIcmpEcho({ identifier: 0, sequence: 0, code: 256 })).toThrow(RangeError);
    expect(() => buildIcmpEcho({ identifier: 0, sequence: 0, checksum: 0x10000 })).toThrow(RangeError);
    expect(() => buildIcmp({ kind: 'other', type: 9, restOfHeader: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => buildIcmp({ kind: 'parameter-problem', type: 12, pointer: 256, original: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => buildIcmp({ kind: 'redirect', type: 5, gateway: '1.2.3', original: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('packs the parameter problem pointer and the 24 unused bits into one word', () => {
    const bytes = buildIcmp({ kind: 'parameter-problem', type: 12, pointer: 0xab, unused: 0x123456, original: new Uint8Array(0) });
    expect(toHex(bytes.subarray(4, 8))).toBe('ab123456');
    expect(unwrap(parseIcmp(bytes))).toMatchObject({ pointer: 0xab, unused: 0x123456 });
  });
});

describe('emitIcmpEchoInto', () => {
  it('writes the same bytes as buildIcmpEcho into a reused buffer at an offset', () => {
    const payload = hex(IPUTILS_DATA);
    const buffer = new Uint8Array(200).fill(0xee);
    const n = emitIcmpEchoInto(buffer, 20, { identifier: 0x0b1e, sequence: 1, payload });
    expect(n).toBe(64);
    expect(toHex(buffer.subarray(20, 84))).toBe(toHex(ECHO_REQUEST));
    expect(buffer[19]).toBe(0xee);
    expect(buffer[84]).toBe(0xee);
    // The second use must not depend on what the first left behind.
    emitIcmpEchoInto(buffer, 20, { identifier: 0x0b1e, sequence: 2, payload });
    expect(unwrap(parseIcmp(buffer.subarray(20, 84)))).toMatchObject({ sequence: 2, checksumValid: true });
    // A given checksum skips the sum but must still copy the payload.
    const dirty = new Uint8Array(64).fill(0xee);
    emitIcmpEchoInto(dirty, 0, { identifier: 0x0b1e, sequence: 1, payload, checksum: 0x97d5 });
    expect(toHex(dirty)).toBe(toHex(ECHO_REQUEST));
  });

  it('checksums odd, empty and large payloads correctly', () => {
    for (const length of [0, 1, 3, 55, 57, 256, 257, 1472, 8972]) {
      const payload = patternFill(hex('0123456789abcdef77'), length);
      const buffer = new Uint8Array(length + 9);
      const n = emitIcmpEchoInto(buffer, 1, { type: 0, identifier: 0xffff, sequence: 0xfffe, payload });
      expect(n).toBe(length + 8);
      const m = unwrap(parseIcmp(buffer.subarray(1, 1 + n)));
      expect(m.checksumValid, `length ${length}`).toBe(true);
      expect(m.kind === 'echo' && toHex(m.payload)).toBe(toHex(payload));
    }
  });

  it('refuses to write past the buffer', () => {
    expect(() => emitIcmpEchoInto(new Uint8Array(63), 0, { identifier: 1, sequence: 1, payload: new Uint8Array(56) })).toThrow(RangeError);
    expect(() => emitIcmpEchoInto(new Uint8Array(64), 1, { identifier: 1, sequence: 1, payload: new Uint8Array(56) })).toThrow(RangeError);
  });

  it('emitIcmpInto writes any message at an offset', () => {
    const buffer = new Uint8Array(TIMESTAMP_REQUEST.length + 4);
    const n = emitIcmpInto(buffer, 4, { kind: 'timestamp', type: 13, identifier: 1234, sequence: 1, originateTimestamp: 52245123 });
    expect(n).toBe(20);
    expect(toHex(buffer.subarray(4))).toBe(toHex(TIMESTAMP_REQUEST));
  });
});

describe('iputilsEchoPayload', () => {
  it('fills byte i with i after the 16-byte timeval', () => {
    const p = iputilsEchoPayload({ seconds: 0x1_2345_6789, microseconds: 999999, size: 20 });
    expect(toHex(p)).toBe('8967452301000000' + '3f420f0000000000' + '10111213');
  });

  it('counts the fill from data byte 0 and wraps at 256', () => {
    const p = iputilsEchoPayload({ seconds: 1, microseconds: 2, size: 300 });
    expect(p[16]).toBe(16);
    expect(p[255]).toBe(255);
    expect(p[256]).toBe(0);
    expect(p[299]).toBe(43);
  });

  it('repeats a -p pattern from data byte 0 under the timeval', () => {
    const p = iputilsEchoPayload({ seconds: 1700000000, microseconds: 123456, pattern: hex('ff00a5') });
    expect(toHex(p)).toBe('00f1536500000000' + '40e2010000000000' + '00a5ff'.repeat(13) + '00');
  });

  it('leaves out the timeval when the data cannot hold one, as ping -s 15 does', () => {
    expect(toHex(iputilsEchoPayload({ seconds: 5, microseconds: 5, size: 15 }))).toBe('000102030405060708090a0b0c0d0e');
    expect(toHex(iputilsEchoPayload({ seconds: 5, microseconds: 5, size: 4, pattern: hex('ab') }))).toBe('abababab');
    expect(parseIputilsTimestamp(new Uint8Array(15))).toBeUndefined();
  });

  // Real iputils traffic, committed in fixtures/ (fixtures/capture.sh). Never skipped: a
  // committed fixture missing from the work tree fails here, and the path does not depend
  // on the directory the tests run from.
  const committed = committedFixtureNames();
  for (const [name, pattern] of [
    ['iputils-ping.pcap', undefined],
    ['iputils-ping-pattern.pcap', hex('ff00a5')],
    ['iputils-ping-large.pcap', undefined],
  ] as const) {
    it(`matches the echo requests in fixtures/${name}`, () => {
      const file = join(FIXTURES_DIR, name);
      const status = committed === undefined ? 'a committed fixture (git could not list fixtures/)' : committed.includes(name) ? 'committed (git ls-files fixtures)' : 'not committed';
      expect(existsSync(file), `fixtures/${name} is ${status} but missing from ${FIXTURES_DIR}`).toBe(true);
      const requests = echoRequestsInEthernetPcap(readFileSync(file));
      expect(requests.length).toBeGreaterThan(0);
      for (const m of requests) {
        const time = parseIputilsTimestamp(m.payload)!;
        const rebuilt = iputilsEchoPayload({ ...time, size: m.payload.length, pattern });
        expect(toHex(rebuilt)).toBe(toHex(m.payload));
        expect(toHex(buildIcmpEcho({ identifier: m.identifier, sequence: m.sequence, payload: rebuilt }))).toBe(toHex(m.bytes));
      }
    });
  }
});

/** Minimal classic-pcap walk (little-endian, Ethernet), enough to pull out the echo requests. */
function echoRequestsInEthernetPcap(file: Uint8Array) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { identifier: number; sequence: number; payload: Uint8Array; bytes: Uint8Array }[] = [];
  expect(view.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect(view.getUint32(20, true)).toBe(1); // LINKTYPE_ETHERNET
  for (let at = 24; at + 16 <= file.length; ) {
    const capturedLength = view.getUint32(at + 8, true);
    const frame = file.subarray(at + 16, at + 16 + capturedLength);
    at += 16 + capturedLength;
    if (frame.length < 14 || frame[12] !== 0x08 || frame[13] !== 0x00) continue;
    const ip = parseIpv4(frame.subarray(14));
    if (!ip.ok || ip.value.protocol !== IpProtocol.ICMP) continue;
    const m = parseIcmp(ip.value.payload);
    if (m.ok && m.value.kind === 'echo' && m.value.type === IcmpType.EchoRequest) {
      expect(m.value.checksumValid).toBe(true);
      out.push({ ...m.value, bytes: ip.value.payload });
    }
  }
  return out;
}

describe('names', () => {
  it('names types and codes', () => {
    expect(icmpTypeName(IcmpType.EchoRequest)).toBe('Echo Request');
    expect(icmpTypeName(IcmpType.TimeExceeded)).toBe('Time Exceeded');
    expect(icmpTypeName(7)).toBeUndefined();
    expect(icmpCodeName(3, 4)).toBe('Fragmentation Needed and DF Set');
    expect(icmpCodeName(3, 13)).toBe('Communication Administratively Prohibited');
    expect(icmpCodeName(11, 1)).toBe('Fragment Reassembly Time Exceeded');
    expect(icmpCodeName(5, 1)).toBe('Redirect for Host');
    expect(icmpCodeName(12, 0)).toBe('Pointer Indicates the Error');
    expect(icmpCodeName(3, 16)).toBeUndefined();
    expect(icmpCodeName(8, 0)).toBeUndefined();
  });
});

describe('ICMP properties', () => {
  const u8 = fc.integer({ min: 0, max: 0xff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const bytes = fc.uint8Array({ maxLength: 100 });
  const quote = fc.oneof(bytes, fc.constant(TIME_EXCEEDED_SHORT_QUOTE.subarray(8)), fc.constant(PORT_UNREACHABLE.subarray(8)));

  const message: fc.Arbitrary<IcmpMessageInit> = fc.oneof(
    fc.record({ kind: fc.constant('echo' as const), type: fc.constantFrom(0 as const, 8 as const), code: u8, identifier: u16, sequence: u16, payload: bytes }),
    fc.record({ kind: fc.constant('destination-unreachable' as const), type: fc.constant(3 as const), code: u8, unused: u16, nextHopMtu: u16, original: quote }),
    fc.record({ kind: fc.constant('source-quench' as const), type: fc.constant(4 as const), code: u8, unused: u32, original: quote }),
    fc.record({ kind: fc.constant('redirect' as const), type: fc.constant(5 as const), code: u8, gateway: fc.ipV4(), original: quote }),
    fc.record({ kind: fc.constant('time-exceeded' as const), type: fc.constant(11 as const), code: u8, unused: u32, original: quote }),
    fc.record({
      kind: fc.constant('parameter-problem' as const),
      type: fc.constant(12 as const),
      code: u8,
      pointer: u8,
      unused: fc.integer({ min: 0, max: 0xffffff }),
      original: quote,
    }),
    fc.record({
      kind: fc.constant('timestamp' as const),
      type: fc.constantFrom(13 as const, 14 as const),
      code: u8,
      identifier: u16,
      sequence: u16,
      originateTimestamp: u32,
      receiveTimestamp: u32,
      transmitTimestamp: u32,
    }),
    fc.record({
      kind: fc.constant('other' as const),
      type: u8.filter((t) => ![0, 3, 4, 5, 8, 11, 12, 13, 14].includes(t)),
      code: u8,
      restOfHeader: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      payload: bytes,
    }),
  );

  it('parse(build(x)) gives x back, with the checksum filled and valid', () => {
    fc.assert(
      fc.property(message, (init) => {
        const m = unwrap(parseIcmp(buildIcmp(init)));
        const { checksum, checksumValid, ...fields } = m;
        expect(checksumValid).toBe(true);
        expect(typeof checksum).toBe('number');
        if ('quoted' in fields) {
          const { quoted, ...rest } = fields;
          expect(quoted).toEqual(parseQuotedDatagram(rest.original));
          expect(rest).toEqual(init);
        } else {
          expect(fields).toEqual(init);
        }
      }),
    );
  });

  it('buildIcmpEcho and emitIcmpEchoInto agree with the generic builder', () => {
    fc.assert(
      fc.property(fc.constantFrom(0 as const, 8 as const), u8, u16, u16, fc.uint8Array({ maxLength: 600 }), (type, code, identifier, sequence, payload) => {
        const generic = buildIcmp({ kind: 'echo', type, code, identifier, sequence, payload });
        expect(toHex(buildIcmpEcho({ type, code, identifier, sequence, payload }))).toBe(toHex(generic));
        const buffer = new Uint8Array(payload.length + 8);
        emitIcmpEchoInto(buffer, 0, { type, code, identifier, sequence, payload });
        expect(toHex(buffer)).toBe(toHex(generic));
      }),
    );
  });

  it('build(parse(bytes)) == bytes for any message of at least 8 bytes', () => {
    const typed = fc.tuple(fc.constantFrom(0, 3, 4, 5, 8, 9, 11, 12, 13, 14, 42), fc.uint8Array({ minLength: 7, maxLength: 120 }));
    fc.assert(
      fc.property(typed, ([type, rest]) => {
        const input = Uint8Array.of(type, ...rest);
        const m = unwrap(parseIcmp(input));
        expect(toHex(buildIcmp(m))).toBe(toHex(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes, including arbitrary quotes', () => {
    const withIpLikeQuote = fc.tuple(fc.constantFrom(3, 4, 5, 11, 12), fc.uint8Array({ maxLength: 80 })).map(([type, quoteBytes]) => {
      const q = quoteBytes.slice();
      if (q.length > 0) q[0] = 0x40 | (q[0] & 0x0f);
      return Uint8Array.of(type, 0, 0, 0, 0, 0, 0, 0, ...q);
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), withIpLikeQuote), (input) => {
        const r = parseIcmp(input);
        if (r.ok) expect(toHex(buildIcmp(r.value))).toBe(toHex(input));
        else expect(input.length).toBeLessThan(8);
      }),
      { numRuns: 2000 },
    );
  });
});
