// The ping text renderer's iputils lines that need no network: the
// "(truncated)" reply line and the hex dump after a wrong data byte
// (iputils 20221126, ping_common.c gather_statistics). The e2e tests compare
// the same lines with iputils' own on a namespace pair.
import { describe, expect, it } from 'vitest';
import { formatDataDump, formatPingHeader, formatReplyLine, formatWrongDataLine } from '../src/render/ping-text.ts';

describe('ping text: iputils lines for damaged replies', () => {
  it('ends a truncated reply with "(truncated)" and no time', () => {
    expect(formatReplyLine({ bytes: 44, from: '10.0.0.2', sequence: 4, ttl: 64, rttMs: 0.5, truncated: true })).toBe(
      '44 bytes from 10.0.0.2: icmp_seq=4 ttl=64 (truncated)',
    );
  });

  it('dumps the data from offset 16, 32 bytes a line, each line "#offset<TAB>" and "%x " per byte', () => {
    const data = Array.from({ length: 40 }, (_, i) => (i + 16) & 0xff);
    data[4] = 0xeb;
    expect(formatWrongDataLine(20, 0x14, 0xeb)).toBe('wrong data byte #20 should be 0x14 but was 0xeb');
    expect(formatDataDump(data)).toEqual([
      '#16\t10 11 12 13 eb 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f ',
      '#48\t30 31 32 33 34 35 36 37 ',
    ]);
    // iputils loops from 16 to the data length: nothing to dump for 16 bytes or fewer.
    expect(formatDataDump([])).toEqual([]);
  });
});

// Lines of iputils 20221126 `ping -6`, as it printed them on a namespace pair and chain here
// (test/ping6-e2e.test.ts compares whole runs).
describe('ping text: iputils ping -6 lines', () => {
  it('opens with "PING host(address) N data bytes"', () => {
    expect(formatPingHeader({ host: 'fd00:211:1::2', address: 'fd00:211:1::2', payloadSize: 56, packetSize: 104, family: 6 })).toBe(
      'PING fd00:211:1::2(fd00:211:1::2) 56 data bytes',
    );
    expect(formatPingHeader({ host: 'fe80::1%vethA', address: 'fe80::1%vethA', payloadSize: 1400, packetSize: 1448, family: 6 })).toBe(
      'PING fe80::1%vethA(fe80::1%vethA) 1400 data bytes',
    );
  });

  it('prints no ttl= when the hop limit is unknown (negative), as iputils does without IPV6_HOPLIMIT', () => {
    expect(formatReplyLine({ bytes: 64, from: '::1', sequence: 1, ttl: -1, rttMs: 0.03 })).toBe('64 bytes from ::1: icmp_seq=1 time=0.030 ms');
    expect(formatReplyLine({ bytes: 64, from: '::1', sequence: 1, ttl: 64, rttMs: 0.03 })).toBe('64 bytes from ::1: icmp_seq=1 ttl=64 time=0.030 ms');
  });
});
