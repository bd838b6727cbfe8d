// Link-layer codecs: literal frames parsed field by field and re-encoded byte
// for byte, every prefix of a header reported as truncated (never thrown),
// and fast-check round trips both ways through decodeLinkLayer/encodeLinkLayer.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  ETHERTYPE,
  VLAN_TPIDS,
  buildEthernet,
  formatMacAddress,
  macAddressBytes,
  parseEthernet,
  parseMacAddress,
} from '../src/wire/ethernet.ts';
import {
  LINKTYPE,
  type LinkFrame,
  decodeLinkLayer,
  encodeLinkLayer,
  isDecodableLinkType,
  linkTypeName,
} from '../src/wire/link-type.ts';
import {
  ARPHRD,
  SLL_PACKET_TYPE,
  buildLinuxSll,
  buildLinuxSll2,
  formatSllAddress,
  parseLinuxSll,
  parseLinuxSll2,
  sllAddress,
} from '../src/wire/linux-sll.ts';
import { buildLoop, buildNull, etherTypeForBsdFamily, parseLoop, parseNull } from '../src/wire/loopback-null.ts';
import { concatBytes as concat, fromHex as hex, toHex } from './helpers/hex.ts';


// IPv4 ICMP echo request 192.0.2.1 -> 198.51.100.2 (scapy-built, valid checksums).
const IPV4_PACKET = hex('450000261234000040017c6cc0000201c633640208002fad004200017061636b65742d6c6162');
// IPv6 ICMPv6 echo request 2001:db8::1 -> 2001:db8::2.
const IPV6_PACKET = hex(
  '6000000000123a4020010db800000000000000000000000120010db800000000000000000000000280005beb004200017061636b65742d6c6162',
);
// ARP who-has 192.0.2.2 tell 192.0.2.1.
const ARP_PACKET = hex('0001080006040001020000000001c0000201000000000000c0000202');

function decodeOk(linkType: number, frame: Uint8Array): LinkFrame {
  const r = decodeLinkLayer(linkType, frame);
  if (!r.ok) throw new Error(`decode failed: ${r.error.message}`);
  return r.value;
}

/** Every proper prefix of the header is truncated (never a throw, never ok). */
function expectPrefixesTruncated(linkType: number, frame: Uint8Array, headerLength: number): void {
  for (let n = 0; n < headerLength; n++) {
    const r = decodeLinkLayer(linkType, frame.subarray(0, n));
    expect(r.ok, `prefix of ${n} bytes`).toBe(false);
    if (!r.ok) {
      expect(r.error.kind, `prefix of ${n} bytes`).toBe('truncated');
      expect(r.error.offset).toBe(n);
    }
  }
  // The full header with no payload is fine.
  expect(decodeLinkLayer(linkType, frame.subarray(0, headerLength)).ok).toBe(true);
}

describe('MAC addresses', () => {
  it('parses and formats both ways', () => {
    expect(toHex(parseMacAddress('00:1A:2b:3c:4d:5e'))).toBe('001a2b3c4d5e');
    expect(toHex(parseMacAddress('00-1a-2b-3c-4d-5e'))).toBe('001a2b3c4d5e');
    expect(formatMacAddress(hex('001a2b3c4d5e'))).toBe('00:1a:2b:3c:4d:5e');
    expect(macAddressBytes(hex('ffffffffffff'))).toEqual(hex('ffffffffffff'));
  });

  it('rejects what is not a MAC', () => {
    for (const bad of ['', '00:1a:2b:3c:4d', '00:1a:2b:3c:4d:5e:6f', 'g0:1a:2b:3c:4d:5e', '001a2b3c4d5e']) {
      expect(() => parseMacAddress(bad), bad).toThrow(RangeError);
    }
    expect(() => macAddressBytes(new Uint8Array(5))).toThrow(RangeError);
  });
});

describe('Ethernet II', () => {
  // A real-looking frame: 00:1a:2b:3c:4d:5e <- 00:0c:29:12:34:56, IPv4.
  const frame = concat(hex('001a2b3c4d5e 000c29123456 0800'), IPV4_PACKET);

  it('parses the header and hands back the payload as a view', () => {
    const r = parseEthernet(frame);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.destination).toBe('00:1a:2b:3c:4d:5e');
    expect(r.value.source).toBe('00:0c:29:12:34:56');
    expect(r.value.vlanTags).toEqual([]);
    expect(r.value.etherType).toBe(ETHERTYPE.IPV4);
    expect(r.value.headerLength).toBe(14);
    expect(r.value.payload).toEqual(IPV4_PACKET);
    expect(r.value.payload.buffer).toBe(frame.buffer);
    expect(r.value.payload.byteOffset).toBe(frame.byteOffset + 14);
  });

  it('builds the same bytes from the fields (MACs as text or bytes)', () => {
    expect(
      toHex(buildEthernet({ destination: '00:1a:2b:3c:4d:5e', source: hex('000c29123456'), etherType: 0x0800 }, IPV4_PACKET)),
    ).toBe(toHex(frame));
  });

  it('keeps an 802.1Q tag: pcp, dei and vid', () => {
    // TCI 0x7064: pcp 3, dei 1, vid 100.
    const tagged = concat(hex('ffffffffffff 020000000001 8100 7064 0806'), ARP_PACKET);
    const f = decodeOk(LINKTYPE.ETHERNET, tagged);
    expect(f.kind).toBe('ethernet');
    if (f.kind !== 'ethernet') return;
    expect(f.header.vlanTags).toEqual([{ tpid: 0x8100, pcp: 3, dei: 1, vid: 100 }]);
    expect(f.header.etherType).toBe(ETHERTYPE.ARP);
    expect(f.protocol).toBe(ETHERTYPE.ARP);
    expect(f.payload).toEqual(ARP_PACKET);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(tagged));
    expectPrefixesTruncated(LINKTYPE.ETHERNET, tagged, 18);
  });

  it('keeps an 802.1ad + 802.1Q stack in order', () => {
    const stacked = concat(hex('001a2b3c4d5e 000c29123456 88a8 000a 8100 a014 86dd'), IPV6_PACKET);
    const f = decodeOk(LINKTYPE.ETHERNET, stacked);
    if (f.kind !== 'ethernet') throw new Error(f.kind);
    expect(f.header.vlanTags).toEqual([
      { tpid: 0x88a8, pcp: 0, dei: 0, vid: 10 },
      { tpid: 0x8100, pcp: 5, dei: 0, vid: 20 },
    ]);
    expect(f.protocol).toBe(ETHERTYPE.IPV6);
    expect(f.payload).toEqual(IPV6_PACKET);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(stacked));
    expectPrefixesTruncated(LINKTYPE.ETHERNET, stacked, 22);
  });

  it('reports an 802.3 length field as no network protocol', () => {
    const llc = hex('0180c2000000 001122334455 0026 424203000000');
    const f = decodeOk(LINKTYPE.ETHERNET, llc);
    if (f.kind !== 'ethernet') throw new Error(f.kind);
    expect(f.header.etherType).toBe(0x26);
    expect(f.protocol).toBeNull();
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(llc));
  });

  it('every prefix of a plain header is truncated', () => {
    expectPrefixesTruncated(LINKTYPE.ETHERNET, frame, 14);
  });

  it('refuses to build what would not read back', () => {
    const base = { destination: '00:00:00:00:00:01', source: '00:00:00:00:00:02' };
    expect(() => buildEthernet({ ...base, etherType: 0x8100 })).toThrow(RangeError);
    expect(() => buildEthernet({ ...base, etherType: 0x10000 })).toThrow(RangeError);
    expect(() => buildEthernet({ ...base, etherType: 0x0800, vlanTags: [{ tpid: 0x0800, pcp: 0, dei: 0, vid: 1 }] })).toThrow(
      RangeError,
    );
    expect(() => buildEthernet({ ...base, etherType: 0x0800, vlanTags: [{ tpid: 0x8100, pcp: 8, dei: 0, vid: 1 }] })).toThrow(
      RangeError,
    );
    expect(() => buildEthernet({ ...base, etherType: 0x0800, vlanTags: [{ tpid: 0x8100, pcp: 0, dei: 0, vid: 4096 }] })).toThrow(
      RangeError,
    );
    expect(() => buildEthernet({ ...base, source: 'nope', etherType: 0x0800 })).toThrow(RangeError);
  });
});

describe('Linux cooked capture v1 (SLL)', () => {
  // tcpdump -i any on eth0, packet to us from 52:54:00:12:34:56, IPv4.
  const frame = concat(hex('0000 0001 0006 525400123456 0000 0800'), IPV4_PACKET);

  it('parses every field', () => {
    const r = parseLinuxSll(frame);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.packetType).toBe(SLL_PACKET_TYPE.HOST);
    expect(r.value.arphrdType).toBe(ARPHRD.ETHER);
    expect(r.value.addressLength).toBe(6);
    expect(r.value.address).toEqual(hex('5254001234560000'));
    expect(sllAddress(r.value)).toEqual(hex('525400123456'));
    expect(formatSllAddress(r.value)).toBe('52:54:00:12:34:56');
    expect(r.value.protocol).toBe(ETHERTYPE.IPV4);
    expect(r.value.payload).toEqual(IPV4_PACKET);
  });

  it('dispatches, re-encodes byte for byte, and builds from fields', () => {
    const f = decodeOk(LINKTYPE.LINUX_SLL, frame);
    expect(f.kind).toBe('linux-sll');
    expect(f.protocol).toBe(ETHERTYPE.IPV4);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(frame));
    const built = buildLinuxSll(
      { packetType: 0, arphrdType: ARPHRD.ETHER, address: hex('525400123456'), protocol: 0x0800 },
      IPV4_PACKET,
    );
    expect(toHex(built)).toBe(toHex(frame));
  });

  it('keeps padding bytes and an address length above 8', () => {
    // Outgoing on an interface with a 10-byte address: only 8 stored.
    const odd = hex('0004 ffff 000a 0102030405060708 0004');
    const f = decodeOk(LINKTYPE.LINUX_SLL, odd);
    if (f.kind !== 'linux-sll') throw new Error(f.kind);
    expect(f.header.addressLength).toBe(10);
    expect(sllAddress(f.header)).toEqual(hex('0102030405060708'));
    expect(f.protocol).toBeNull(); // ETH_P_802_2 is not an EtherType
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(odd));
  });

  it('every prefix of the header is truncated', () => {
    expectPrefixesTruncated(LINKTYPE.LINUX_SLL, frame, 16);
  });
});

describe('Linux cooked capture v2 (SLL2)', () => {
  // tcpdump -i any -y LINUX_SLL2 on lo (ifindex 1, ARPHRD_LOOPBACK), outgoing IPv6.
  const frame = concat(hex('86dd 0000 00000001 0304 04 06 000000000000 0000'), IPV6_PACKET);

  it('parses every field', () => {
    const r = parseLinuxSll2(frame);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toMatchObject({
      protocol: ETHERTYPE.IPV6,
      reserved: 0,
      interfaceIndex: 1,
      arphrdType: ARPHRD.LOOPBACK,
      packetType: SLL_PACKET_TYPE.OUTGOING,
      addressLength: 6,
    });
    expect(r.value.address).toEqual(new Uint8Array(8));
    expect(r.value.payload).toEqual(IPV6_PACKET);
  });

  it('dispatches, re-encodes byte for byte, and builds from fields', () => {
    const f = decodeOk(LINKTYPE.LINUX_SLL2, frame);
    expect(f.kind).toBe('linux-sll2');
    expect(f.protocol).toBe(ETHERTYPE.IPV6);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(frame));
    const built = buildLinuxSll2(
      { protocol: 0x86dd, interfaceIndex: 1, arphrdType: 772, packetType: 4, address: new Uint8Array(6) },
      IPV6_PACKET,
    );
    expect(toHex(built)).toBe(toHex(frame));
  });

  it('reads a large interface index unsigned', () => {
    const big = hex('0800 0000 fffffffe 0001 00 06 0a0b0c0d0e0f0000');
    const r = parseLinuxSll2(big);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.interfaceIndex).toBe(0xfffffffe);
    expect(toHex(encodeLinkLayer(decodeOk(LINKTYPE.LINUX_SLL2, big)))).toBe(toHex(big));
  });

  it('every prefix of the header is truncated', () => {
    expectPrefixesTruncated(LINKTYPE.LINUX_SLL2, frame, 20);
  });
});

describe('BSD loopback (NULL and LOOP)', () => {
  it('reads the family little-endian (x86 writer)', () => {
    const frame = concat(hex('02000000'), IPV4_PACKET);
    const f = decodeOk(LINKTYPE.NULL, frame);
    if (f.kind !== 'null') throw new Error(f.kind);
    expect(f.header).toEqual({ family: 2, littleEndian: true });
    expect(f.protocol).toBe(ETHERTYPE.IPV4);
    expect(f.payload).toEqual(IPV4_PACKET);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(frame));
  });

  it('reads the family big-endian (SPARC/PowerPC writer)', () => {
    const frame = concat(hex('00000002'), IPV4_PACKET);
    const f = decodeOk(LINKTYPE.NULL, frame);
    if (f.kind !== 'null') throw new Error(f.kind);
    expect(f.header).toEqual({ family: 2, littleEndian: false });
    expect(f.protocol).toBe(ETHERTYPE.IPV4);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(frame));
  });

  it('maps the three BSD IPv6 families, both byte orders', () => {
    for (const family of [24, 28, 30]) {
      for (const littleEndian of [true, false]) {
        const frame = buildNull({ family, littleEndian }, IPV6_PACKET);
        const r = parseNull(frame);
        if (!r.ok) throw new Error(r.error.message);
        expect(r.value.family).toBe(family);
        expect(r.value.littleEndian).toBe(littleEndian);
        expect(decodeOk(LINKTYPE.NULL, frame).protocol).toBe(ETHERTYPE.IPV6);
      }
    }
    expect(toHex(buildNull({ family: 30 }))).toBe('1e000000');
    expect(toHex(buildNull({ family: 30, littleEndian: false }))).toBe('0000001e');
  });

  it('gives no protocol for other families', () => {
    expect(etherTypeForBsdFamily(7)).toBeNull();
    expect(decodeOk(LINKTYPE.NULL, hex('07000000 fefe')).protocol).toBeNull();
  });

  it('LOOP is always big-endian', () => {
    const frame = concat(hex('00000018'), IPV6_PACKET);
    const f = decodeOk(LINKTYPE.LOOP, frame);
    if (f.kind !== 'loop') throw new Error(f.kind);
    expect(f.header).toEqual({ family: 24 });
    expect(f.protocol).toBe(ETHERTYPE.IPV6);
    expect(toHex(encodeLinkLayer(f))).toBe(toHex(frame));
    // A little-endian family under LOOP is not reinterpreted.
    const r = parseLoop(hex('02000000'));
    expect(r.ok && r.value.family).toBe(0x02000000);
    expect(toHex(buildLoop({ family: 2 }))).toBe('00000002');
  });

  it('every prefix of the header is truncated', () => {
    expectPrefixesTruncated(LINKTYPE.NULL, concat(hex('02000000'), IPV4_PACKET), 4);
    expectPrefixesTruncated(LINKTYPE.LOOP, concat(hex('00000002'), IPV4_PACKET), 4);
  });
});

describe('raw IP link types', () => {
  it('RAW tells IPv4 from IPv6 by the version nibble', () => {
    const v4 = decodeOk(LINKTYPE.RAW, IPV4_PACKET);
    expect(v4).toMatchObject({ kind: 'raw', ipVersion: 4, protocol: ETHERTYPE.IPV4 });
    expect(v4.payload).toBe(IPV4_PACKET);
    const v6 = decodeOk(LINKTYPE.RAW, IPV6_PACKET);
    expect(v6).toMatchObject({ kind: 'raw', ipVersion: 6, protocol: ETHERTYPE.IPV6 });
    expect(toHex(encodeLinkLayer(v6))).toBe(toHex(IPV6_PACKET));
  });

  it('RAW: empty is truncated, another version is malformed', () => {
    const empty = decodeLinkLayer(LINKTYPE.RAW, new Uint8Array(0));
    expect(empty.ok === false && empty.error.kind).toBe('truncated');
    const bad = decodeLinkLayer(LINKTYPE.RAW, hex('55000000'));
    expect(bad.ok === false && bad.error.kind).toBe('malformed');
  });

  it('IPV4 and IPV6 link types fix the protocol', () => {
    expect(decodeOk(LINKTYPE.IPV4, IPV4_PACKET)).toMatchObject({ kind: 'raw', linkType: 228, protocol: 0x0800 });
    expect(decodeOk(LINKTYPE.IPV6, IPV6_PACKET)).toMatchObject({ kind: 'raw', linkType: 229, protocol: 0x86dd });
  });

  it('an unknown link type passes the frame through', () => {
    const f = decodeOk(147, hex('deadbeef'));
    expect(f).toMatchObject({ kind: 'unknown', linkType: 147, protocol: null });
    expect(toHex(encodeLinkLayer(f))).toBe('deadbeef');
    expect(isDecodableLinkType(147)).toBe(false);
  });
});

describe('LINKTYPE constants', () => {
  it('have the registry values and names', () => {
    expect(LINKTYPE).toMatchObject({ NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, IPV4: 228, LINUX_SLL2: 276 });
    expect(linkTypeName(1)).toBe('ETHERNET');
    expect(linkTypeName(276)).toBe('LINUX_SLL2');
    expect(linkTypeName(4242)).toBe('LINKTYPE_4242');
    for (const value of Object.values(LINKTYPE)) expect(isDecodableLinkType(value)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Properties

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMacAddress(b));
const u16 = fc.integer({ min: 0, max: 0xffff });
const payload = fc.uint8Array({ maxLength: 64 });
const vlanTag = fc.record({
  tpid: fc.constantFrom(...VLAN_TPIDS),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.integer({ min: 0, max: 1 }),
  vid: fc.integer({ min: 0, max: 0xfff }),
});

/** Frames as decodeLinkLayer would produce them, protocol included. */
const linkFrame: fc.Arbitrary<LinkFrame> = fc.oneof(
  fc
    .record({
      destination: mac,
      source: mac,
      vlanTags: fc.array(vlanTag, { maxLength: 3 }),
      etherType: u16.filter((t) => !VLAN_TPIDS.includes(t)),
    })
    .chain((header) =>
      payload.map(
        (p): LinkFrame => ({
          kind: 'ethernet',
          linkType: 1,
          header,
          protocol: header.etherType >= 0x600 ? header.etherType : null,
          payload: p,
        }),
      ),
    ),
  fc
    .oneof(
      fc.record({ family: fc.integer({ min: 0, max: 0xffff }), littleEndian: fc.constant(true) }),
      fc.record({ family: fc.integer({ min: 1, max: 0xffff }), littleEndian: fc.constant(false) }),
    )
    .chain((header) =>
      payload.map((p): LinkFrame => ({ kind: 'null', linkType: 0, header, protocol: etherTypeForBsdFamily(header.family), payload: p })),
    ),
  fc
    .record({ family: fc.integer({ min: 0, max: 0xffffffff }) })
    .chain((header) =>
      payload.map((p): LinkFrame => ({ kind: 'loop', linkType: 108, header, protocol: etherTypeForBsdFamily(header.family), payload: p })),
    ),
  fc
    .record({
      packetType: u16,
      arphrdType: u16,
      addressLength: u16,
      address: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      protocol: u16,
    })
    .chain((header) =>
      payload.map(
        (p): LinkFrame => ({
          kind: 'linux-sll',
          linkType: 113,
          header,
          protocol: header.protocol >= 0x600 ? header.protocol : null,
          payload: p,
        }),
      ),
    ),
  fc
    .record({
      protocol: u16,
      reserved: u16,
      interfaceIndex: fc.integer({ min: 0, max: 0xffffffff }),
      arphrdType: u16,
      packetType: fc.integer({ min: 0, max: 0xff }),
      addressLength: fc.integer({ min: 0, max: 0xff }),
      address: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    })
    .chain((header) =>
      payload.map(
        (p): LinkFrame => ({
          kind: 'linux-sll2',
          linkType: 276,
          header,
          protocol: header.protocol >= 0x600 ? header.protocol : null,
          payload: p,
        }),
      ),
    ),
  fc.tuple(fc.constantFrom(4, 6), fc.integer({ min: 0, max: 15 }), payload).map(([version, low, rest]): LinkFrame => {
    const bytes = concat(Uint8Array.of((version << 4) | low), rest);
    return {
      kind: 'raw',
      linkType: 101,
      ipVersion: version as 4 | 6,
      protocol: version === 4 ? 0x0800 : 0x86dd,
      payload: bytes,
    };
  }),
);

describe('round-trip properties', () => {
  it('decode(encode(frame)) equals frame', () => {
    fc.assert(
      fc.property(linkFrame, (frame) => {
        const bytes = encodeLinkLayer(frame);
        const back = decodeLinkLayer(frame.linkType, bytes);
        expect(back.ok).toBe(true);
        if (back.ok) expect(back.value).toEqual(frame);
      }),
      { numRuns: 500 },
    );
  });

  it('encode(decode(bytes)) equals bytes, and decode never throws', () => {
    const linkTypes = [0, 1, 101, 108, 113, 228, 229, 276, 999];
    fc.assert(
      fc.property(fc.constantFrom(...linkTypes), fc.uint8Array({ maxLength: 48 }), (linkType, bytes) => {
        const r = decodeLinkLayer(linkType, bytes);
        if (r.ok) {
          expect(toHex(encodeLinkLayer(r.value))).toBe(toHex(bytes));
          // The payload is the tail of the input, not a copy.
          expect(r.value.payload.buffer).toBe(bytes.buffer);
          expect(r.value.payload.byteOffset + r.value.payload.length).toBe(bytes.byteOffset + bytes.length);
        } else {
          expect(['truncated', 'malformed']).toContain(r.error.kind);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('Ethernet frames with tags survive a byte-level round trip', () => {
    fc.assert(
      fc.property(mac, mac, fc.array(vlanTag, { maxLength: 4 }), fc.constantFrom(0x0800, 0x86dd, 0x0806), payload, (d, s, tags, type, p) => {
        const bytes = buildEthernet({ destination: d, source: s, vlanTags: tags, etherType: type }, p);
        expect(bytes.length).toBe(14 + 4 * tags.length + p.length);
        const f = decodeOk(LINKTYPE.ETHERNET, bytes);
        expect(f.protocol).toBe(type);
        expect(toHex(encodeLinkLayer(f))).toBe(toHex(bytes));
      }),
    );
  });
});
