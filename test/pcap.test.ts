// pcap / pcapng codecs and capture-file I/O, checked three ways:
//  - pure decoder behaviour (chunking, truncation at every byte, corrupt
//    records, pcapng block types) on bytes built here;
//  - the writer and reader against each other on disk (fast-check);
//  - both against the tools people open captures with: tshark and capinfos
//    read what PcapWriter writes, and the reader reads what scapy, editcap,
//    mergecap and a hand-written big-endian python script produce.
//
// The tool-based tests need tshark, capinfos, editcap, mergecap and
// /usr/bin/python3 with scapy. When one is missing they are skipped with the
// reason, except under CI=true, where a missing tool fails the run.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CaptureFileError, type CaptureRecord, PcapWriter, openCaptureFile, readCaptureFile } from '../src/io/pcap-file.ts';
import { buildEthernet } from '../src/wire/ethernet.ts';
import { LINKTYPE, decodeLinkLayer } from '../src/wire/link-type.ts';
import { buildLinuxSll, buildLinuxSll2 } from '../src/wire/linux-sll.ts';
import { buildLoop, buildNull } from '../src/wire/loopback-null.ts';
import {
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PcapDecoder,
  decodePcap,
  decodePcapHeader,
  decodePcapRecordHeader,
  encodePcap,
  encodePcapHeader,
  encodePcapRecordHeader,
  toPcapTimestamp,
} from '../src/wire/pcap.ts';
import { PcapngDecoder, decodePcapng, detectCaptureFormat } from '../src/wire/pcapng.ts';
import { concatBytes as concat, fromHex as hex, toHex } from './helpers/hex.ts';


// IPv4 ICMP echo request 192.0.2.1 -> 198.51.100.2 (valid checksums).
const IPV4_PACKET = hex('450000261234000040017c6cc0000201c633640208002fad004200017061636b65742d6c6162');

/** Comparable summary of a record. */
function summary(r: CaptureRecord) {
  return {
    seconds: r.timestampSeconds,
    fraction: r.timestampFraction,
    units: r.fractionsPerSecond,
    capturedLength: r.capturedLength,
    originalLength: r.originalLength,
    data: toHex(r.data),
    offset: r.offset,
    linkType: r.linkType,
    interfaceIndex: r.interfaceIndex,
  };
}

async function readAll(path: string, options = {}): Promise<{ records: CaptureRecord[]; error: unknown }> {
  const records: CaptureRecord[] = [];
  try {
    for await (const r of readCaptureFile(path, options)) records.push(r);
    return { records, error: null };
  } catch (error) {
    return { records, error };
  }
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'packet-lab-pcap-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Pure pcap codec

describe('pcap file header', () => {
  it('encodes the libpcap layout (little-endian, microseconds, Ethernet)', () => {
    expect(toHex(encodePcapHeader({ linkType: LINKTYPE.ETHERNET }))).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000',
    );
    expect(toHex(encodePcapHeader({ linkType: LINKTYPE.LINUX_SLL2, snaplen: 65535, nanosecond: true, littleEndian: false }))).toBe(
      'a1b23c4d' + '0002' + '0004' + '00000000' + '00000000' + '0000ffff' + '00000114',
    );
  });

  it('decodes all four magics and round-trips', () => {
    for (const littleEndian of [true, false]) {
      for (const nanosecond of [true, false]) {
        const bytes = encodePcapHeader({ linkType: 276, snaplen: 1234, nanosecond, littleEndian, thisZone: -3600, fcsLength: 4 });
        const r = decodePcapHeader(bytes);
        if (!r.ok) throw new Error(r.error.message);
        expect(r.value).toEqual({
          littleEndian,
          nanosecond,
          versionMajor: 2,
          versionMinor: 4,
          thisZone: -3600,
          sigFigs: 0,
          snaplen: 1234,
          linkType: 276,
          fcsLength: 4,
          reservedLinkBits: 0,
        });
        expect(detectCaptureFormat(bytes)).toBe('pcap');
      }
    }
    expect(PCAP_MAGIC_MICROSECONDS).toBe(0xa1b2c3d4);
    expect(PCAP_MAGIC_NANOSECONDS).toBe(0xa1b23c4d);
  });

  it('names a bad magic, a pcapng file and a cut header', () => {
    const garbage = decodePcapHeader(new TextEncoder().encode('GIF89a this is not a capture'));
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) {
      expect(garbage.error).toMatchObject({ kind: 'malformed', layer: 'pcap', offset: 0 });
      expect(garbage.error.message).toMatch(/bad magic number 0x47494638/);
    }
    const ng = decodePcapHeader(hex('0a0d0d0a 1c000000 4d3c2b1a 01000000 ffffffffffffffff 1c000000'));
    expect(ng.ok === false && ng.error.message).toMatch(/pcapng/);
    const full = encodePcapHeader({ linkType: 1 });
    for (let n = 0; n < 24; n++) {
      const r = decodePcapHeader(full.subarray(0, n));
      expect(r.ok === false && r.error.kind, `prefix ${n}`).toBe('truncated');
    }
    const v1 = encodePcapHeader({ linkType: 1, versionMajor: 1 });
    expect(decodePcapHeader(v1)).toMatchObject({ ok: false, error: { kind: 'malformed', offset: 4 } });
  });

  it('keeps every bit of the link-type field: reserved bits and an FCS length without the F bit', () => {
    // Bits 0-25 link type (16-25 reserved), 26 F, 27 reserved, 28-31 FCS length (draft-ietf-opsawg-pcap).
    const cases: [number, { linkType: number; fcsLength: number | null; reservedLinkBits: number }][] = [
      [0x00000001, { linkType: 1, fcsLength: null, reservedLinkBits: 0 }],
      [0x64000001, { linkType: 1, fcsLength: 12, reservedLinkBits: 0 }],
      [0x5c000065, { linkType: 101, fcsLength: 10, reservedLinkBits: 0x08000000 }],
      [0xf8000001, { linkType: 1, fcsLength: null, reservedLinkBits: 0xf8000000 }],
      [0x30000114, { linkType: 276, fcsLength: null, reservedLinkBits: 0x30000000 }],
      [0xfbff0001, { linkType: 0x03ff0001, fcsLength: null, reservedLinkBits: 0xf8000000 }],
      [0xffffffff, { linkType: 0x03ffffff, fcsLength: 30, reservedLinkBits: 0x08000000 }],
    ];
    for (const [field, expected] of cases) {
      for (const littleEndian of [true, false]) {
        const bytes = encodePcapHeader({ linkType: 1, littleEndian });
        new DataView(bytes.buffer).setUint32(20, field, littleEndian);
        const r = decodePcapHeader(bytes);
        if (!r.ok) throw new Error(r.error.message);
        expect(r.value, field.toString(16)).toMatchObject(expected);
        expect(toHex(encodePcapHeader(r.value)), field.toString(16)).toBe(toHex(bytes));
      }
    }
    expect(() => encodePcapHeader({ linkType: 1, fcsLength: 4, reservedLinkBits: 0x10000000 })).toThrow(
      'reservedLinkBits may only hold bits 0x08000000 of the link-type field when fcsLength is given, not 268435456',
    );
    expect(() => encodePcapHeader({ linkType: 1, reservedLinkBits: 0x04000000 })).toThrow(
      'reservedLinkBits may only hold bits 0xf8000000 of the link-type field, not 67108864',
    );
  });

  it('record headers round-trip in both byte orders', () => {
    const h = { timestampSeconds: 0xfffffffe, timestampFraction: 999_999_999, capturedLength: 60, originalLength: 1514 };
    for (const le of [true, false]) {
      expect(decodePcapRecordHeader(encodePcapRecordHeader(h, le), 0, le)).toEqual({ ok: true, value: h });
    }
    expect(toHex(encodePcapRecordHeader(h, false))).toBe('fffffffe3b9ac9ff0000003c000005ea');
    expect(decodePcapRecordHeader(new Uint8Array(15), 0, true).ok).toBe(false);
  });
});

describe('timestamps', () => {
  it('converts each input form to seconds + fraction', () => {
    expect(toPcapTimestamp(1_700_000_000_123_456_789n, true)).toEqual({ seconds: 1_700_000_000, fraction: 123_456_789 });
    expect(toPcapTimestamp(1_700_000_000_123_456_789n, false)).toEqual({ seconds: 1_700_000_000, fraction: 123_456 });
    expect(toPcapTimestamp(new Date(1_700_000_000_123), false)).toEqual({ seconds: 1_700_000_000, fraction: 123_000 });
    expect(toPcapTimestamp(1_700_000_000_123.5, false)).toEqual({ seconds: 1_700_000_000, fraction: 123_500 });
    expect(toPcapTimestamp({ seconds: 5, fraction: 7 }, true)).toEqual({ seconds: 5, fraction: 7 });
    // {seconds, fraction} are the record's fields as they stand: a second or more of fraction is kept, as readers accept it.
    expect(toPcapTimestamp({ seconds: 5, fraction: 1_000_000 }, false)).toEqual({ seconds: 5, fraction: 1_000_000 });
    expect(toPcapTimestamp({ seconds: 5, fraction: 0xffffffff }, true)).toEqual({ seconds: 5, fraction: 0xffffffff });
    expect(() => toPcapTimestamp({ seconds: 5, fraction: 2 ** 32 }, false)).toThrow(RangeError);
    expect(() => toPcapTimestamp({ seconds: 5, fraction: -1 }, false)).toThrow(RangeError);
    expect(() => toPcapTimestamp({ seconds: 5, fraction: 1.5 }, false)).toThrow(RangeError);
    expect(() => toPcapTimestamp(-1n, false)).toThrow(RangeError);
    expect(() => toPcapTimestamp(2 ** 32 * 1000, false)).toThrow(RangeError);
    expect(() => toPcapTimestamp(Number.NaN, false)).toThrow(RangeError);
  });

  it('records give the timestamp back in ns and ms', () => {
    const file = encodePcap({ linkType: 1, nanosecond: true }, [{ data: IPV4_PACKET, timestamp: 1_700_000_000_123_456_789n }]);
    const r = decodePcap(file).records[0];
    expect(r.timestampNs).toBe(1_700_000_000_123_456_789n);
    expect(r.timestampMs).toBeCloseTo(1_700_000_000_123.457, 2);
  });
});

/** A small pcap file: 3 records of different sizes. */
function samplePcap(littleEndian = true, nanosecond = false): { file: Uint8Array; starts: number[]; ends: number[] } {
  const datas = [IPV4_PACKET, new Uint8Array(0), hex('0102030405')];
  const file = encodePcap(
    { linkType: LINKTYPE.RAW, littleEndian, nanosecond },
    datas.map((data, i) => ({ data, timestamp: { seconds: 100 + i, fraction: i } })),
  );
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 24;
  for (const d of datas) {
    starts.push(pos);
    pos += 16 + d.length;
    ends.push(pos);
  }
  return { file, starts, ends };
}

describe('PcapDecoder', () => {
  it('decodes records with their file offsets, as views into the input', () => {
    const { file, starts } = samplePcap();
    const { header, records, error } = decodePcap(file);
    expect(error).toBeNull();
    expect(header?.linkType).toBe(LINKTYPE.RAW);
    expect(records.map((r) => r.offset)).toEqual(starts);
    expect(toHex(records[0].data)).toBe(toHex(IPV4_PACKET));
    expect(records[0].data.buffer).toBe(file.buffer);
    expect(records[1].capturedLength).toBe(0);
    expect(records[2]).toMatchObject({ timestampSeconds: 102, timestampFraction: 2, fractionsPerSecond: 1e6 });
    const copied = decodePcap(file, { copyData: true }).records[0];
    expect(copied.data.buffer).not.toBe(file.buffer);
    expect(toHex(copied.data)).toBe(toHex(IPV4_PACKET));
  });

  it('a cut at every byte delivers the complete records and names the cut record', () => {
    for (const le of [true, false]) {
      const { file, starts, ends } = samplePcap(le);
      for (let cut = 0; cut <= file.length; cut++) {
        const { records, error } = decodePcap(file.subarray(0, cut));
        const complete = ends.filter((e) => e <= cut).length;
        expect(records.length, `cut at ${cut}`).toBe(cut < 24 ? 0 : complete);
        if (cut === file.length || (cut >= 24 && (cut === 24 || ends.includes(cut)))) {
          expect(error, `cut at ${cut}`).toBeNull();
        } else {
          expect(error?.kind, `cut at ${cut}`).toBe('truncated');
          expect(error?.offset, `cut at ${cut}`).toBe(cut < 24 ? 0 : starts[complete]);
        }
      }
    }
  });

  it('stops at an absurd captured length, naming that record, after the records before it', () => {
    const { file, starts } = samplePcap();
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(starts[2] + 8, 300_000, true);
    const { records, error } = decodePcap(bad);
    expect(records.length).toBe(2);
    expect(error).toMatchObject({ kind: 'malformed', layer: 'pcap', offset: starts[2] });
    expect(error?.message).toMatch(/300000 captured bytes, more than the maximum of 262144/);
    // A caller may raise the bound (the snaplen also raises it).
    expect(decodePcap(bad, { maxCapturedLength: 1 << 20 }).error?.kind).toBe('truncated');
  });

  it('tolerates what libpcap and Wireshark tolerate: caplen > origlen, caplen > snaplen', () => {
    const file = encodePcap({ linkType: 1, snaplen: 16 }, []);
    const rec = concat(encodePcapRecordHeader({ timestampSeconds: 1, timestampFraction: 0, capturedLength: 40, originalLength: 20 }), new Uint8Array(40));
    const { records, error } = decodePcap(concat(file, rec));
    expect(error).toBeNull();
    expect(records[0]).toMatchObject({ capturedLength: 40, originalLength: 20 });
  });

  it('refuses garbage before any record', () => {
    const d = new PcapDecoder();
    const step = d.push(new TextEncoder().encode('hello world, not pcap'));
    expect(step.records).toEqual([]);
    expect(step.error).toMatchObject({ kind: 'malformed', offset: 0 });
    expect(d.push(new Uint8Array(10)).error).toBe(step.error);
    expect(new PcapDecoder().end().error).toMatchObject({ kind: 'truncated', offset: 0 });
  });

  it('any chunking gives the same records (fast-check)', () => {
    const recordArb = fc.record({
      data: fc.uint8Array({ maxLength: 90 }),
      timestamp: fc.record({ seconds: fc.nat(), fraction: fc.integer({ min: 0, max: 999_999 }) }),
      originalLength: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        (records, littleEndian, sizes) => {
          const file = encodePcap({ linkType: 1, littleEndian, snaplen: 64 }, records);
          const whole = decodePcap(file, { copyData: true });
          expect(whole.error).toBeNull();
          expect(whole.records.length).toBe(records.length);
          const d = new PcapDecoder();
          const got: ReturnType<typeof summary>[] = [];
          const straddling: [CaptureRecord, string][] = [];
          let pos = 0;
          let i = 0;
          while (pos < file.length) {
            const n = sizes[i++ % sizes.length];
            const chunk = file.slice(pos, pos + n);
            const step = d.push(chunk);
            expect(step.error).toBeNull();
            for (const r of step.records) {
              got.push(summary(r));
              // Records not wholly inside this chunk must be copies that outlive it.
              if (r.data.buffer !== chunk.buffer) straddling.push([r, toHex(r.data)]);
            }
            chunk.fill(0xee); // the caller reuses its chunk
            pos += n;
          }
          expect(d.end().error).toBeNull();
          expect(got).toEqual(whole.records.map(summary));
          for (const [r, before] of straddling) expect(toHex(r.data)).toBe(before);
          records.forEach((rec, k) => {
            expect(got[k].data).toBe(toHex(rec.data.subarray(0, 64)));
            expect(got[k].originalLength).toBe(rec.originalLength);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// Pure pcapng codec, on blocks built here

type Le = boolean;
function u16(v: number, le: Le): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return b;
}
function u32(v: number, le: Le): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}
function pad4(b: Uint8Array): Uint8Array {
  return concat(b, new Uint8Array((4 - (b.length % 4)) % 4));
}
function block(type: number, body: Uint8Array, le: Le): Uint8Array {
  const length = 12 + pad4(body).length;
  return concat(u32(type, le), u32(length, le), pad4(body), u32(length, le));
}
function option(code: number, value: Uint8Array, le: Le): Uint8Array {
  return concat(u16(code, le), u16(value.length, le), pad4(value));
}
const endOfOptions = (le: Le) => concat(u16(0, le), u16(0, le));
function shb(le: Le): Uint8Array {
  return block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), hex('ffffffffffffffff')), le);
}
function idb(le: Le, linkType: number, snaplen: number, options: Uint8Array[] = []): Uint8Array {
  const opts = options.length ? concat(...options, endOfOptions(le)) : new Uint8Array(0);
  return block(1, concat(u16(linkType, le), u16(0, le), u32(snaplen, le), opts), le);
}
function epb(le: Le, ifid: number, ts: bigint, data: Uint8Array, originalLength = data.length): Uint8Array {
  return block(
    6,
    concat(u32(ifid, le), u32(Number(ts >> 32n), le), u32(Number(ts & 0xffffffffn), le), u32(data.length, le), u32(originalLength, le), pad4(data)),
    le,
  );
}

describe('PcapngDecoder', () => {
  it('reads SHB/IDB/EPB in both byte orders, with per-interface link type and resolution', () => {
    for (const le of [true, false]) {
      const blocks = [
        shb(le),
        idb(le, LINKTYPE.ETHERNET, 0),
        idb(le, LINKTYPE.RAW, 128, [option(9, Uint8Array.of(9), le), option(2, new TextEncoder().encode('lo'), le)]),
        // Name Resolution and Interface Statistics blocks are skipped by length.
        block(4, concat(u16(0, le), u16(0, le)), le),
        epb(le, 0, 1_700_000_000_123_456n, buildEthernet({ destination: '00:00:00:00:00:01', source: '00:00:00:00:00:02', etherType: 0x0800 }, IPV4_PACKET)),
        block(5, concat(u32(0, le), u32(0, le), u32(0, le)), le),
        epb(le, 1, 1_700_000_000_123_456_789n, IPV4_PACKET, 1500),
        block(3, concat(u32(IPV4_PACKET.length, le), pad4(IPV4_PACKET)), le), // SPB: interface 0, no timestamp
      ];
      const file = concat(...blocks);
      expect(detectCaptureFormat(file)).toBe('pcapng');
      const { interfaces, records, error } = decodePcapng(file);
      expect(error).toBeNull();
      expect(interfaces).toEqual([
        { index: 0, section: 0, linkType: 1, snaplen: 0, fractionsPerSecond: 1e6, timestampOffset: 0 },
        { index: 1, section: 0, linkType: 101, snaplen: 128, fractionsPerSecond: 1e9, timestampOffset: 0, name: 'lo' },
      ]);
      const offsets = blocks.map((_, i) => blocks.slice(0, i).reduce((n, b) => n + b.length, 0));
      expect(records.map((r) => [r.offset, r.linkType, r.interfaceIndex, r.timestampSeconds, r.timestampFraction, r.capturedLength, r.originalLength])).toEqual([
        [offsets[4], 1, 0, 1_700_000_000, 123_456, 52, 52],
        [offsets[6], 101, 1, 1_700_000_000, 123_456_789, 38, 1500],
        [offsets[7], 1, 0, 0, 0, 38, 38],
      ]);
      expect(records[1].timestampNs).toBe(1_700_000_000_123_456_789n);
      expect(toHex(records[1].data)).toBe(toHex(IPV4_PACKET));
      const link = decodeLinkLayer(records[0].linkType, records[0].data);
      expect(link.ok && link.value.protocol).toBe(0x0800);
    }
  });

  it('handles binary if_tsresol, if_tsoffset, OPB and a second section in the other byte order', () => {
    const a = concat(
      shb(true),
      idb(true, 1, 0, [option(9, Uint8Array.of(0x80 | 20), true), option(14, concat(u32(10, true), u32(0, true)), true)]),
      // 3.5 s at 2^-20 resolution.
      epb(true, 0, (3n << 20n) + (1n << 19n), hex('aa')),
    );
    const b = concat(
      shb(false),
      idb(false, 113, 0),
      // Obsolete Packet Block: if id (2), drops (2), ts, caplen, len, data.
      block(2, concat(u16(0, false), u16(0, false), u32(0, false), u32(2_000_001, false), u32(2, false), u32(2, false), pad4(hex('bbcc'))), false),
    );
    const { interfaces, records, error } = decodePcapng(concat(a, b));
    expect(error).toBeNull();
    expect(interfaces.map((i) => [i.section, i.index, i.linkType, i.fractionsPerSecond, i.timestampOffset])).toEqual([
      [0, 0, 1, 2 ** 20, 10],
      [1, 0, 113, 1e6, 0],
    ]);
    expect(records.map((r) => [r.timestampSeconds, r.timestampFraction, r.linkType, toHex(r.data)])).toEqual([
      [13, 2 ** 19, 1, 'aa'],
      [2, 1, 113, 'bbcc'],
    ]);
    expect(records[0].timestampNs).toBe(13_500_000_000n);
  });

  it('a cut at every byte delivers the complete blocks and names the cut block', () => {
    for (const le of [true, false]) {
      const blocks = [shb(le), idb(le, 1, 0), epb(le, 0, 5n, hex('0102030405')), epb(le, 0, 6n, new Uint8Array(0)), epb(le, 0, 7n, IPV4_PACKET)];
      const file = concat(...blocks);
      const ends: number[] = [];
      blocks.reduce((n, b) => (ends.push(n + b.length), n + b.length), 0);
      const packetEnds = ends.slice(2);
      for (let cut = 0; cut <= file.length; cut++) {
        const { records, error } = decodePcapng(file.subarray(0, cut));
        expect(records.length, `cut at ${cut}`).toBe(packetEnds.filter((e) => e <= cut).length);
        if (cut === 0) expect(error).toMatchObject({ kind: 'truncated', offset: 0 });
        else if (ends.includes(cut)) expect(error, `cut at ${cut}`).toBeNull();
        else {
          const start = [0, ...ends].filter((e) => e < cut).pop();
          expect(error, `cut at ${cut}`).toMatchObject({ kind: 'truncated', layer: 'pcapng', offset: start });
        }
      }
    }
  });

  it('reports corrupt blocks with their offsets, after the good records', () => {
    const head = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, hex('01')));
    const at = head.length;
    const cases: [Uint8Array, RegExp][] = [
      [concat(u32(6, true), u32(30, true), new Uint8Array(22)), /not a multiple of 4/],
      [concat(u32(6, true), u32(8, true), new Uint8Array(4)), /less than the minimum/],
      [concat(u32(6, true), u32(0x7ffffff0, true), new Uint8Array(4)), /more than the maximum/],
      [(() => { const b = epb(true, 0, 2n, hex('02')); b.set(u32(99, true), b.length - 4); return b; })(), /trailing length 99/],
      [epb(true, 3, 2n, hex('02')), /interface 3/],
      [(() => { const b = epb(true, 0, 2n, hex('02')); b.set(u32(200, true), 20); return b; })(), /overruns/],
      // Captured length reaching just into the trailing length field.
      [(() => { const b = epb(true, 0, 2n, hex('02')); b.set(u32(8, true), 20); return b; })(), /overruns/],
    ];
    for (const [bad, message] of cases) {
      const { records, error } = decodePcapng(concat(head, bad, epb(true, 0, 3n, hex('03'))));
      expect(records.map((r) => toHex(r.data))).toEqual(['01']);
      expect(error).toMatchObject({ kind: 'malformed', layer: 'pcapng', offset: at });
      expect(error?.message).toMatch(message);
    }
    const noShb = decodePcapng(idb(true, 1, 0));
    expect(noShb.error?.message).toMatch(/does not start with a Section Header Block/);
  });

  it('any chunking gives the same records (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 70 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (le, packets, sizes) => {
          const file = concat(shb(le), idb(le, 1, 0, [option(9, Uint8Array.of(9), le)]), ...packets.map(([d, ts]) => epb(le, 0, ts, d)));
          const whole = decodePcapng(file, { copyData: true });
          expect(whole.error).toBeNull();
          expect(whole.records.map((r) => r.timestampNs)).toEqual(packets.map(([, ts]) => ts));
          const d = new PcapngDecoder({ copyData: true });
          const got: CaptureRecord[] = [];
          let pos = 0;
          for (let i = 0; pos < file.length; i++) {
            const n = sizes[i % sizes.length];
            const step = d.push(file.slice(pos, pos + n));
            expect(step.error).toBeNull();
            got.push(...step.records);
            pos += n;
          }
          expect(d.end().error).toBeNull();
          expect(got.map(summary)).toEqual(whole.records.map(summary));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------
// Files on disk, no external tools

describe('capture files (reader and writer)', () => {
  it('writer -> reader round trip (fast-check)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          linkType: fc.constantFrom(0, 1, 101, 108, 113, 228, 276),
          littleEndian: fc.boolean(),
          nanosecond: fc.boolean(),
          snaplen: fc.integer({ min: 1, max: 300 }),
        }),
        fc.array(
          fc.record({
            data: fc.uint8Array({ maxLength: 400 }),
            seconds: fc.integer({ min: 0, max: 0xffffffff }),
            fraction: fc.integer({ min: 0, max: 0xffffffff }),
          }),
          { maxLength: 25 },
        ),
        fc.integer({ min: 64, max: 700 }),
        async (options, records, bufferSize) => {
          const path = join(dir, `rt-${n++}.pcap`);
          const writer = await PcapWriter.open(path, options);
          for (const r of records) writer.write(r.data, { seconds: r.seconds, fraction: r.fraction });
          await writer.close();
          const file = await openCaptureFile(path, { bufferSize });
          expect(file.info).toMatchObject({ format: 'pcap', ...options });
          const got: CaptureRecord[] = [];
          for await (const r of file) got.push(r);
          expect(got.length).toBe(records.length);
          records.forEach((r, i) => {
            expect(got[i].timestampSeconds).toBe(r.seconds);
            expect(got[i].timestampFraction).toBe(r.fraction);
            expect(got[i].fractionsPerSecond).toBe(options.nanosecond ? 1e9 : 1e6);
            expect(got[i].originalLength).toBe(r.data.length);
            expect(got[i].capturedLength).toBe(Math.min(r.data.length, options.snaplen));
            expect(toHex(got[i].data)).toBe(toHex(r.data.subarray(0, options.snaplen)));
            expect(got[i].linkType).toBe(options.linkType);
          });
          expect(statSync(path).size).toBe(writer.bytesWritten);
          rmSync(path);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('copies byte for byte what the reader accepts: odd header fields, fractions of a second or more, records beyond snaplen', async () => {
    // Built by hand, field by field, in both byte orders.
    const u32 = (v: number, le: boolean) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v, le);
      return b;
    };
    const u16 = (v: number, le: boolean) => {
      const b = new Uint8Array(2);
      new DataView(b.buffer).setUint16(0, v, le);
      return b;
    };
    const file = (le: boolean, magic: number, minor: number, zone: number, sigFigs: number, snaplen: number, linkField: number, records: [number, number, number, Uint8Array][]) =>
      concat(
        u32(magic, le), u16(2, le), u16(minor, le), u32(zone, le), u32(sigFigs, le), u32(snaplen, le), u32(linkField, le),
        ...records.flatMap(([seconds, fraction, original, data]) => [u32(seconds, le), u32(fraction, le), u32(data.length, le), u32(original, le), data]),
      );
    const frame = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
    const odd = {
      // Big-endian nanoseconds, minor version 3, thisZone -1, snaplen 0, reserved link bits set, F clear with FCS bits set.
      'odd-be-ns.pcap': file(false, 0xa1b23c4d, 3, 0xffffffff, 0xdeadbeef, 0, 0xf83f0001, [
        [0xffffffff, 0xffffffff, 2, frame(4)],
        [1, 1_000_000_000, 60, frame(60)],
        [2, 0, 0, new Uint8Array(0)],
      ]),
      // Little-endian microseconds, F set with a 10-byte FCS and bit 27 set, records longer than snaplen.
      'odd-le-us.pcap': file(true, 0xa1b2c3d4, 4, 3600, 0, 100, 0x5c000065, [
        [7, 1_000_000, 200, frame(200)],
        [8, 0xffffffff, 10, frame(150)],
        [9, 999_999, 1514, frame(100)],
      ]),
    };
    for (const [name, bytes] of Object.entries(odd)) {
      const input = join(dir, name);
      writeFileSync(input, bytes);
      const capture = await openCaptureFile(input);
      if (capture.info.format !== 'pcap') throw new Error('not read as pcap');
      const records: CaptureRecord[] = [];
      for await (const r of capture) records.push(r);
      expect(records).toHaveLength(3);
      const copy = join(dir, `copy-${name}`);
      const writer = PcapWriter.openSync(copy, capture.info.header);
      for (const r of records) writer.writeRecord(r);
      writer.closeSync();
      expect(toHex(readFileSync(copy)), name).toBe(toHex(bytes));
      // In memory too, through the wire-level encoder, where nothing is longer than snaplen.
      if (capture.info.header.snaplen === 0) {
        const encoded = encodePcap(
          capture.info.header,
          records.map((r) => ({ data: r.data, timestamp: { seconds: r.timestampSeconds, fraction: r.timestampFraction }, originalLength: r.originalLength })),
        );
        expect(toHex(encoded), name).toBe(toHex(bytes));
        // And through write(), its fields given one by one.
        const again = join(dir, `again-${name}`);
        const w = PcapWriter.openSync(again, capture.info.header);
        for (const r of records) w.write(r.data, { seconds: r.timestampSeconds, fraction: r.timestampFraction }, r.originalLength);
        w.closeSync();
        expect(toHex(readFileSync(again)), name).toBe(toHex(bytes));
      }
    }
    // A record in other units is converted; one of another link type is refused.
    const ns = join(dir, 'ns.pcap');
    const writer = PcapWriter.openSync(ns, { linkType: 1, nanosecond: true });
    writer.writeRecord({ timestampSeconds: 3, timestampFraction: 1_500_000, fractionsPerSecond: 1e6, originalLength: 4, data: frame(4) });
    expect(() => writer.writeRecord({ timestampSeconds: 3, timestampFraction: 0, fractionsPerSecond: 1e9, originalLength: 4, data: frame(4), linkType: 101 })).toThrow(
      'record of link type 101 in a file of link type 1',
    );
    writer.closeSync();
    expect(decodePcap(new Uint8Array(readFileSync(ns))).records.map((r) => [r.timestampSeconds, r.timestampFraction])).toEqual([[4, 500_000_000]]);
  });

  it('every write() is in the file before it returns; closeSync is idempotent', () => {
    const path = join(dir, 'prompt.pcap');
    const writer = PcapWriter.openSync(path, { linkType: 1 });
    expect(statSync(path).size).toBe(24);
    writer.write(IPV4_PACKET, 0n);
    expect(statSync(path).size).toBe(24 + 16 + IPV4_PACKET.length);
    writer.write(IPV4_PACKET);
    expect(statSync(path).size).toBe(24 + 2 * (16 + IPV4_PACKET.length));
    writer.flushSync();
    writer.closeSync();
    writer.closeSync();
    expect(() => writer.write(IPV4_PACKET)).toThrow(/after close/);
    const { records } = decodePcap(new Uint8Array(readFileSync(path)));
    expect(records.length).toBe(2);
    // The default timestamp is now.
    expect(Math.abs(records[1].timestampMs - Date.now())).toBeLessThan(60_000);
  });

  it('copied records stay intact after the read buffer is reused; views do not promise that', async () => {
    const path = join(dir, 'reuse.pcap');
    const datas = Array.from({ length: 50 }, (_, i) => new Uint8Array(37).fill(i));
    writeFileSync(path, encodePcap({ linkType: 101 }, datas.map((data) => ({ data }))));
    const kept: CaptureRecord[] = [];
    for await (const r of readCaptureFile(path, { bufferSize: 100 })) kept.push(r);
    expect(kept.map((r) => r.data[0])).toEqual(datas.map((_, i) => i));
    expect(kept.every((r, i) => r.data.every((b) => b === i))).toBe(true);
    // Views: each is right while current.
    let i = 0;
    for await (const r of readCaptureFile(path, { bufferSize: 100, copyData: false })) {
      expect(r.data.every((b) => b === i)).toBe(true);
      i++;
    }
    expect(i).toBe(50);
  });

  it('a truncated file: every complete record first, then CaptureFileError at the cut record', async () => {
    const { file, starts } = samplePcap(false, true);
    const path = join(dir, 'cut.pcap');
    // Mid-data of record 3, mid-header of record 3, mid-header of record 2.
    for (const [cut, complete] of [
      [starts[2] + 16 + 2, 2],
      [starts[2] + 7, 2],
      [starts[1] + 1, 1],
    ] as const) {
      writeFileSync(path, file.subarray(0, cut));
      for (const bufferSize of [64, 1 << 20]) {
        const { records, error } = await readAll(path, { bufferSize });
        expect(records.length).toBe(complete);
        expect(error).toBeInstanceOf(CaptureFileError);
        const e = error as CaptureFileError;
        expect(e).toMatchObject({ kind: 'truncated', offset: starts[complete], path });
        expect(e.message).toContain(`at byte ${starts[complete]}`);
      }
    }
  });

  it('garbage, empty and tiny files give a clear error at open', async () => {
    const garbage = join(dir, 'garbage.pcap');
    writeFileSync(garbage, 'This is a text file, not a capture.\n');
    await expect(openCaptureFile(garbage)).rejects.toThrow(/not a pcap or pcapng file: it starts with 54 68 69 73/);
    await expect(openCaptureFile(garbage)).rejects.toMatchObject({ name: 'CaptureFileError', kind: 'malformed', offset: 0 });
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    await expect(openCaptureFile(empty)).rejects.toMatchObject({ kind: 'truncated', offset: 0, message: expect.stringMatching(/empty file/) });
    const tiny = join(dir, 'tiny.pcap');
    writeFileSync(tiny, encodePcapHeader({ linkType: 1 }).subarray(0, 10));
    await expect(openCaptureFile(tiny)).rejects.toMatchObject({ kind: 'truncated', offset: 0 });
    // A header alone is a valid, empty capture.
    const headerOnly = join(dir, 'header-only.pcap');
    writeFileSync(headerOnly, encodePcapHeader({ linkType: 1 }));
    expect(await readAll(headerOnly)).toEqual({ records: [], error: null });
  });

  it('a corrupt record length surfaces as CaptureFileError with its offset', async () => {
    const { file, starts } = samplePcap();
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(starts[1] + 8, 0xfffffff0, true);
    const path = join(dir, 'corrupt.pcap');
    writeFileSync(path, bad);
    const { records, error } = await readAll(path);
    expect(records.length).toBe(1);
    expect(error).toMatchObject({ name: 'CaptureFileError', kind: 'malformed', offset: starts[1] });
  });

  it('a SIGINT handler that calls closeSync leaves a complete file', async () => {
    const path = join(dir, 'sigint.pcap');
    const script = join(dir, 'sigint-child.mts');
    const moduleUrl = new URL('../src/io/pcap-file.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { PcapWriter } from ${JSON.stringify(moduleUrl)};
const writer = PcapWriter.openSync(${JSON.stringify(path)}, { linkType: 101 });
process.on('SIGINT', () => { writer.closeSync(); process.exit(130); });
const packet = Uint8Array.from(${JSON.stringify(Array.from(IPV4_PACKET))});
for (let i = 0; i < 3; i++) writer.write(packet, BigInt(i) * 1000n);
console.log('ready');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((ok, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) ok();
      });
      child.on('exit', () => fail(new Error(`child exited early: ${stderr}`)));
    });
    const code = await new Promise<number | null>((ok) => {
      child.on('exit', (c) => ok(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(130);
    const { records, error } = await readAll(path);
    expect(error).toBeNull();
    expect(records.map((r) => r.timestampFraction)).toEqual([0, 1, 2]);
    expect(statSync(path).size).toBe(24 + 3 * (16 + IPV4_PACKET.length));
  });
});

// ---------------------------------------------------------------------------
// Against tshark, capinfos, editcap, mergecap, scapy

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function missingTools(): string[] {
  const missing: string[] = [];
  for (const [tool, args] of [
    ['tshark', ['--version']],
    ['capinfos', ['-v']],
    ['editcap', ['-v']],
    ['mergecap', ['-v']],
  ] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) missing.push(tool);
  }
  const py = spawnSync(PYTHON, ['-c', 'import scapy.all'], { encoding: 'utf8' });
  if (py.error || py.status !== 0) missing.push(`${PYTHON} with scapy`);
  return missing;
}

const missing = missingTools();
const inCi = process.env.CI === 'true';
const skipReason = missing.length ? `missing: ${missing.join(', ')}` : '';

if (missing.length && inCi) {
  it('the capture tools are installed (required under CI)', () => {
    expect.fail(`CI=true but ${skipReason}; install tshark (wireshark-common) and python3-scapy`);
  });
} else if (missing.length) {
  console.warn(`pcap.test.ts: skipping the tool cross-checks (${skipReason})`);
}

/** tshark -T fields output as rows of columns. */
function tsharkFields(path: string, fields: string[]): string[][] {
  const r = run('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/appears|damaged|corrupt|cut short|error/i);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('|'));
}

function capinfos(path: string): Record<string, string[]> {
  const r = run('capinfos', ['-M', path]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const out: Record<string, string[]> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:]+):\s+(.*)$/.exec(line);
    if (m) (out[m[1].trim()] ??= []).push(m[2].trim());
  }
  return out;
}

/** How many packets tshark reads from a (maybe damaged) file, and what it said. */
function tsharkCount(path: string): { count: number; stderr: string } {
  const r = run('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number']);
  return { count: r.stdout.split('\n').filter((l) => l.trim()).length, stderr: r.stderr };
}

const ETH = buildEthernet({ destination: '02:00:00:00:00:02', source: '02:00:00:00:00:01', etherType: 0x0800 }, IPV4_PACKET);
const FRAMES: { linkType: number; encapsulation: string; frame: Uint8Array }[] = [
  { linkType: LINKTYPE.ETHERNET, encapsulation: 'ether', frame: ETH },
  { linkType: LINKTYPE.NULL, encapsulation: 'null', frame: buildNull({ family: 2 }, IPV4_PACKET) },
  { linkType: LINKTYPE.LOOP, encapsulation: 'loop', frame: buildLoop({ family: 2 }, IPV4_PACKET) },
  { linkType: LINKTYPE.RAW, encapsulation: 'rawip', frame: IPV4_PACKET },
  { linkType: LINKTYPE.IPV4, encapsulation: 'rawip4', frame: IPV4_PACKET },
  {
    linkType: LINKTYPE.LINUX_SLL,
    encapsulation: 'linux-sll',
    frame: buildLinuxSll({ packetType: 4, arphrdType: 772, address: new Uint8Array(6), protocol: 0x0800 }, IPV4_PACKET),
  },
  {
    linkType: LINKTYPE.LINUX_SLL2,
    encapsulation: 'linux-sll2',
    frame: buildLinuxSll2({ protocol: 0x0800, interfaceIndex: 7, arphrdType: 1, packetType: 0, address: hex('020000000001') }, IPV4_PACKET),
  },
];

describe.skipIf(missing.length > 0)(`tshark and capinfos read PcapWriter files${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const combos = FRAMES.flatMap((f) =>
    [true, false].flatMap((littleEndian) => [false, true].map((nanosecond) => ({ ...f, littleEndian, nanosecond }))),
  );
  it.each(combos)('$encapsulation, littleEndian=$littleEndian, nanosecond=$nanosecond', ({ linkType, encapsulation, frame, littleEndian, nanosecond }) => {
    const path = join(dir, `w-${linkType}-${littleEndian}-${nanosecond}.pcap`);
    const snaplen = 48;
    const writer = PcapWriter.openSync(path, { linkType, littleEndian, nanosecond, snaplen });
    writer.write(frame, 1_700_000_000_123_456_789n);
    writer.write(frame, { seconds: 5, fraction: 7 });
    writer.write(frame.subarray(0, 30), new Date(1_700_000_001_250));
    writer.closeSync();

    const rows = tsharkFields(path, ['frame.len', 'frame.cap_len', 'frame.time_epoch', 'ip.src']);
    const capped = Math.min(frame.length, snaplen);
    expect(rows).toEqual([
      [String(frame.length), String(capped), nanosecond ? '1700000000.123456789' : '1700000000.123456000', '192.0.2.1'],
      [String(frame.length), String(capped), nanosecond ? '5.000000007' : '5.000007000', '192.0.2.1'],
      ['30', '30', '1700000001.250000000', rows[2][3]],
    ]);
    const info = capinfos(path);
    expect(info['File type']).toEqual([nanosecond ? 'nsecpcap' : 'pcap']);
    expect(info['File encapsulation']).toEqual([encapsulation]);
    expect(info['Number of packets']).toEqual(['3']);
    expect(info['File timestamp precision']).toEqual([nanosecond ? 'nanoseconds (9)' : 'microseconds (6)']);
    expect(info['Packet size limit']).toContain('file hdr: 48 bytes');
  });
});

describe.skipIf(missing.length > 0)(`the reader reads files from other tools${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  /** What the python script wrote, per packet. */
  interface Written {
    hex: string;
    sec: number;
    frac: number;
    wirelen: number;
  }
  let scapyPackets: Written[] = [];
  let scapyNano: Written[] = [];

  beforeAll(() => {
    const script = join(dir, 'make_scapy.py');
    writeFileSync(
      script,
      `import json, sys
from scapy.all import Ether, IP, IPv6, ICMP, UDP, ARP, Dot1Q, Raw, wrpcap
from scapy.utils import EDecimal
out = sys.argv[1]
pkts = [
  Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='192.0.2.1', dst='198.51.100.2')/ICMP()/Raw(b'lab'),
  Ether(src='02:00:00:00:00:01', dst='33:33:00:00:00:01')/IPv6(src='2001:db8::1', dst='ff02::1')/UDP(sport=5353, dport=5353)/Raw(b'x' * 300),
  Ether(src='02:00:00:00:00:01', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=42, prio=5)/ARP(psrc='192.0.2.1', pdst='192.0.2.2'),
  Ether()/IP()/Raw(b''),
]
for i, p in enumerate(pkts):
  p.time = EDecimal('1700000000.123456') + i
pkts[1].wirelen = len(pkts[1]) + 1000
wrpcap(out + '/scapy.pcap', pkts)
def desc(ps, nano):
  r = []
  for p in ps:
    b = bytes(p)
    sec = int(p.time)
    frac = int(round((p.time - sec) * (10**9 if nano else 10**6)))
    r.append({'hex': b.hex(), 'sec': sec, 'frac': frac, 'wirelen': getattr(p, 'wirelen', None) or len(b)})
  return r
nano = [p.copy() for p in pkts]
for i, p in enumerate(nano):
  p.time = EDecimal('1700000000.123456789') + i
wrpcap(out + '/scapy-nano.pcap', nano, nano=True)
print(json.dumps({'micro': desc(pkts, False), 'nano': desc(nano, True)}))
`,
    );
    const r = run(PYTHON, [script, dir]);
    expect(r.status, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop()!) as { micro: Written[]; nano: Written[] };
    scapyPackets = parsed.micro;
    scapyNano = parsed.nano;
  });

  function expectWritten(records: CaptureRecord[], written: Written[], units: number): void {
    expect(records.map((r) => ({ hex: toHex(r.data), sec: r.timestampSeconds, frac: r.timestampFraction, wirelen: r.originalLength }))).toEqual(written);
    for (const r of records) expect(r.fractionsPerSecond).toBe(units);
  }

  it('scapy wrpcap (microseconds, little-endian)', async () => {
    const file = await openCaptureFile(join(dir, 'scapy.pcap'));
    expect(file.info).toMatchObject({ format: 'pcap', linkType: 1, nanosecond: false, littleEndian: true });
    const records: CaptureRecord[] = [];
    for await (const r of file) records.push(r);
    expectWritten(records, scapyPackets, 1e6);
    expect(records[1].originalLength).toBeGreaterThan(records[1].capturedLength);
    // The VLAN-tagged ARP decodes through the link layer.
    const link = decodeLinkLayer(records[2].linkType, records[2].data);
    expect(link.ok && link.value.kind === 'ethernet' && link.value.header.vlanTags).toEqual([{ tpid: 0x8100, pcp: 5, dei: 0, vid: 42 }]);
    expect(link.ok && link.value.protocol).toBe(0x0806);
  });

  it('scapy wrpcap nano=True', async () => {
    const file = await openCaptureFile(join(dir, 'scapy-nano.pcap'));
    expect(file.info).toMatchObject({ format: 'pcap', nanosecond: true });
    const records: CaptureRecord[] = [];
    for await (const r of file) records.push(r);
    expectWritten(records, scapyNano, 1e9);
    expect(records[0].timestampNs).toBe(1_700_000_000_123_456_789n);
  });

  it('editcap -F nsecpcap, and -F pcapng of both, read the same records', async () => {
    const src = join(dir, 'scapy.pcap');
    const ns = join(dir, 'editcap-ns.pcap');
    const ng = join(dir, 'editcap.pcapng');
    const ngNs = join(dir, 'editcap-ns.pcapng');
    for (const [from, fmt, to] of [
      [src, 'nsecpcap', ns],
      [src, 'pcapng', ng],
      [join(dir, 'scapy-nano.pcap'), 'pcapng', ngNs],
    ]) {
      const r = run('editcap', ['-F', fmt, from, to]);
      expect(r.status, r.stderr).toBe(0);
    }
    const base = (await readAll(src)).records;
    const nsRecords = (await readAll(ns)).records;
    expect(nsRecords.map((r) => r.timestampNs)).toEqual(base.map((r) => r.timestampNs));
    expect(nsRecords.map((r) => r.timestampFraction)).toEqual(base.map((r) => r.timestampFraction * 1000));

    const ngFile = await openCaptureFile(ng);
    expect(ngFile.info).toMatchObject({ format: 'pcapng', linkType: 1, littleEndian: true, versionMajor: 1 });
    const ngRecords: CaptureRecord[] = [];
    for await (const r of ngFile) ngRecords.push(r);
    const same = (r: CaptureRecord) => ({ data: toHex(r.data), ns: r.timestampNs, cap: r.capturedLength, orig: r.originalLength, link: r.linkType });
    expect(ngRecords.map(same)).toEqual(base.map(same));
    expect(ngRecords.every((r) => r.interfaceIndex === 0)).toBe(true);

    const ngNsFile = await openCaptureFile(ngNs);
    expect(ngNsFile.info).toMatchObject({ format: 'pcapng', nanosecond: true });
    const ngNsRecords: CaptureRecord[] = [];
    for await (const r of ngNsFile) ngNsRecords.push(r);
    expectWritten(ngNsRecords, scapyNano, 1e9);
  });

  it('mergecap -F pcapng of two link types: per-record interface and link type, as tshark sees them', async () => {
    const sll = join(dir, 'sll2.pcap');
    const w = PcapWriter.openSync(sll, { linkType: LINKTYPE.LINUX_SLL2 });
    w.write(FRAMES.find((f) => f.linkType === LINKTYPE.LINUX_SLL2)!.frame, 1_700_000_000_500_000_000n);
    w.closeSync();
    const merged = join(dir, 'merged.pcapng');
    const r = run('mergecap', ['-F', 'pcapng', '-w', merged, join(dir, 'scapy.pcap'), sll]);
    expect(r.status, r.stderr).toBe(0);
    const file = await openCaptureFile(merged);
    const records: CaptureRecord[] = [];
    for await (const rec of file) records.push(rec);
    const expected = tsharkFields(merged, ['frame.interface_id', 'frame.len', 'frame.cap_len', 'frame.time_epoch']);
    expect(records.map((rec) => [String(rec.interfaceIndex), String(rec.originalLength), String(rec.capturedLength)])).toEqual(
      expected.map((row) => row.slice(0, 3)),
    );
    expect(records.map((rec) => rec.timestampNs)).toEqual(expected.map((row) => BigInt(row[3].replace('.', ''))));
    expect(file.info.format === 'pcapng' && file.info.interfaces.map((i) => i.linkType).sort()).toEqual([1, 276]);
    expect(new Set(records.map((rec) => rec.linkType))).toEqual(new Set([1, 276]));
  });

  it('a big-endian pcap written by a python struct script (µs and ns)', async () => {
    const script = join(dir, 'make_be.py');
    writeFileSync(
      script,
      `import struct, sys
def write(path, magic, frac):
  frames = [bytes(range(60)), bytes([0x45]) + bytes(19), b'']
  with open(path, 'wb') as f:
    f.write(struct.pack('>IHHiIII', magic, 2, 4, 0, 0, 65535, 101))
    for i, data in enumerate(frames):
      f.write(struct.pack('>IIII', 1600000000 + i, frac + i, len(data), len(data) + 4))
      f.write(data)
write(sys.argv[1], 0xa1b2c3d4, 250000)
write(sys.argv[2], 0xa1b23c4d, 250000001)
`,
    );
    const micro = join(dir, 'be.pcap');
    const nano = join(dir, 'be-ns.pcap');
    const r = run(PYTHON, [script, micro, nano]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(micro).subarray(0, 4).toString('hex')).toBe('a1b2c3d4');
    for (const [path, nanosecond, frac] of [
      [micro, false, 250000],
      [nano, true, 250000001],
    ] as const) {
      const file = await openCaptureFile(path);
      expect(file.info).toMatchObject({ format: 'pcap', littleEndian: false, nanosecond, linkType: 101, snaplen: 65535 });
      const records: CaptureRecord[] = [];
      for await (const rec of file) records.push(rec);
      expect(records.map((rec) => [rec.timestampSeconds, rec.timestampFraction, rec.capturedLength, rec.originalLength, rec.offset])).toEqual([
        [1600000000, frac, 60, 64, 24],
        [1600000001, frac + 1, 20, 24, 24 + 16 + 60],
        [1600000002, frac + 2, 0, 4, 24 + 16 + 60 + 16 + 20],
      ]);
      expect(toHex(records[0].data)).toBe(toHex(Uint8Array.from({ length: 60 }, (_, i) => i)));
      // tshark agrees on the lengths.
      expect(tsharkFields(path, ['frame.len', 'frame.cap_len'])).toEqual([
        ['64', '60'],
        ['24', '20'],
        ['4', '0'],
      ]);
    }
  });

  it('truncated files: same count as tshark, error offset at the cut record (pcap and pcapng)', async () => {
    const pcap = join(dir, 'scapy.pcap');
    const pcapng = join(dir, 'editcap.pcapng');
    if (!existsSync(pcapng)) expect(run('editcap', ['-F', 'pcapng', pcap, pcapng]).status).toBe(0);
    for (const source of [pcap, pcapng]) {
      const whole = (await readAll(source)).records;
      expect(whole.length).toBe(4);
      const size = statSync(source).size;
      const ends = whole.map((r, i) => (i + 1 < whole.length ? whole[i + 1].offset : size));
      const cuts = [
        whole[2].offset + 5, // inside a header
        whole[2].offset + 30, // inside record data / block body
        whole[3].offset - 1, // one byte short of record 3's end
      ];
      for (const cut of cuts) {
        const path = join(dir, `cut-${cut}-${source.endsWith('ng') ? 'ng' : 'p'}`);
        writeFileSync(path, readFileSync(source).subarray(0, cut));
        const { records, error } = await readAll(path, { bufferSize: 64 });
        const complete = ends.filter((e) => e <= cut).length;
        expect(records.length).toBe(complete);
        expect(records.map((rec) => toHex(rec.data))).toEqual(whole.slice(0, complete).map((rec) => toHex(rec.data)));
        expect(error).toMatchObject({ name: 'CaptureFileError', kind: 'truncated', offset: whole[complete].offset });
        const oracle = tsharkCount(path);
        expect(oracle.count).toBe(complete);
        expect(oracle.stderr).toMatch(/cut short|damaged|corrupt/i);
        truncateSync(path, 0);
      }
    }
  });

  it('garbage is refused by tshark and by the reader', async () => {
    const path = join(dir, 'garbage.bin');
    writeFileSync(path, 'This is a text file, not a capture.\n');
    const tshark = run('tshark', ['-r', path]);
    expect(tshark.status).not.toBe(0);
    expect(tshark.stderr).toMatch(/isn't a capture file/);
    await expect(openCaptureFile(path)).rejects.toThrow(/not a pcap or pcapng file: it starts with 54 68 69 73/);
  });
});
