// Unit tests of the TCP tools' pure parts: reassembly, HTTP response parsing,
// URL and port-list parsing, probe classification, checksum status, the
// IP_HDRINCL wrapper and the traceroute line. No privileges needed.
import { describe, expect, it } from 'vitest';
import { parsePortList } from '../src/cli/port-list.ts';
import { UsageError } from '../src/cli/run-cli.ts';
import { buildGetRequest, HttpParseError, HttpResponseParser, HttpUrlError, parseHttpUrl } from '../src/engine/http-get.ts';
import { receivedChecksum } from '../src/wire/checksum.ts';
import { seqAdd, seqDiff, seqLt } from '../src/wire/tcp-sequence.ts';
import { classifyReply, classifySilence, defaultProbeOptions } from '../src/engine/tcp-probe.ts';
import { Reassembler } from '../src/engine/tcp/reassembler.ts';
import { unreachableAnnotation, unreachableAnnotation6 } from '../src/engine/traceroute.ts';
import { ipv4HeaderFor, wrapInIpv4 } from '../src/net/ipv4-sender.ts';
import { nftRuleset, iptablesRule, RAW_SOCKET_MARK } from '../src/net/firewall.ts';
import { formatHopLine } from '../src/render/traceroute-text.ts';
import { foldChecksum } from '../src/wire/checksum.ts';
import { buildIcmpEcho } from '../src/wire/icmp.ts';
import { IpProtocol, parseIpv4 } from '../src/wire/ipv4.ts';
import { buildTcp, tcpChecksumVerdict, TcpFlag, tcpPseudoHeaderSum } from '../src/wire/tcp.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('latin1');

describe('sequence arithmetic', () => {
  it('wraps modulo 2^32', () => {
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    expect(seqDiff(1, 0xffffffff)).toBe(2);
    expect(seqLt(0xfffffff0, 5)).toBe(true);
    expect(seqLt(5, 0xfffffff0)).toBe(false);
  });
});

describe('Reassembler', () => {
  it('delivers in-order data at once', () => {
    const r = new Reassembler(1000, 65535);
    const result = r.push(1000, bytes('hello'), false);
    expect(result.kind).toBe('in-order');
    expect(text(result.delivered)).toBe('hello');
    expect(r.nextSeq).toBe(1005);
  });

  it('holds out-of-order segments until the gap fills, then releases them in order', () => {
    const r = new Reassembler(0, 65535);
    expect(r.push(10, bytes('KLMNO'), false).kind).toBe('out-of-order');
    expect(r.push(5, bytes('FGHIJ'), false).kind).toBe('out-of-order');
    expect(r.heldBytes).toBe(10);
    expect(r.sackBlocks(3)).toEqual([{ left: 5, right: 15 }]);
    const result = r.push(0, bytes('ABCDE'), false);
    expect(result.kind).toBe('in-order');
    expect(text(result.delivered)).toBe('ABCDEFGHIJKLMNO');
    expect(r.nextSeq).toBe(15);
    expect(r.heldBytes).toBe(0);
    expect(r.sackBlocks(3)).toEqual([]);
  });

  it('drops duplicates, trims overlaps and keeps the most recent SACK block first', () => {
    const r = new Reassembler(0, 65535);
    r.push(0, bytes('ABCDE'), false);
    expect(r.push(0, bytes('ABCDE'), false).kind).toBe('duplicate');
    expect(r.push(2, bytes('CD'), false).kind).toBe('duplicate');
    const overlap = r.push(3, bytes('DEFG'), false);
    expect(overlap.kind).toBe('in-order');
    expect(text(overlap.delivered)).toBe('FG');
    r.push(20, bytes('UV'), false);
    r.push(10, bytes('KL'), false);
    expect(r.push(10, bytes('KL'), false).kind).toBe('duplicate');
    expect(r.sackBlocks(3)).toEqual([
      { left: 10, right: 12 },
      { left: 20, right: 22 },
    ]);
  });

  it('refuses data past the window', () => {
    const r = new Reassembler(0, 100);
    expect(r.push(100, bytes('x'), false).kind).toBe('out-of-window');
    const cut = r.push(98, bytes('abcd'), false);
    expect(cut.kind).toBe('out-of-order');
    expect(r.heldBytes).toBe(2);
  });

  it('takes a FIN in order, even one that arrived early, and nothing after it', () => {
    const r = new Reassembler(0, 65535);
    expect(r.push(3, bytes('def'), true).kind).toBe('out-of-order');
    const result = r.push(0, bytes('abc'), false);
    expect(text(result.delivered)).toBe('abcdef');
    expect(result.finReached).toBe(true);
    expect(r.nextSeq).toBe(7); // the FIN takes one sequence number
    expect(r.push(6, new Uint8Array(0), true).kind).toBe('duplicate');
  });

  it('works across the 2^32 wrap', () => {
    const r = new Reassembler(0xfffffffe, 65535);
    r.push(0, bytes('CD'), false);
    const result = r.push(0xfffffffe, bytes('AB'), false);
    expect(text(result.delivered)).toBe('ABCD');
    expect(r.nextSeq).toBe(2);
  });

  it('copies what it holds: a reused receive buffer cannot change it', () => {
    const r = new Reassembler(0, 65535);
    const buffer = bytes('XYZ');
    r.push(3, buffer, false);
    buffer.fill(0);
    expect(text(r.push(0, bytes('ABC'), false).delivered)).toBe('ABCXYZ');
  });
});

describe('HttpResponseParser', () => {
  function parse(chunks: string[], end = false) {
    const body: Uint8Array[] = [];
    let completed = 0;
    const parser = new HttpResponseParser({ onBody: (c) => body.push(Uint8Array.from(c)), onComplete: () => completed++ });
    for (const chunk of chunks) parser.push(bytes(chunk));
    if (end) parser.end();
    return { parser, body: text(body), completed };
  }

  it('reads a Content-Length body split anywhere', () => {
    const response = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world';
    for (let cut = 1; cut < response.length; cut += 3) {
      const { parser, body, completed } = parse([response.slice(0, cut), response.slice(cut)]);
      expect(parser.head?.statusCode).toBe(200);
      expect(parser.framing).toBe('content-length');
      expect(body).toBe('hello world');
      expect(completed).toBe(1);
    }
  });

  it('decodes a chunked body with extensions and trailers, byte by byte', () => {
    const response =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const { parser, body, completed } = parse(response.split(''));
    expect(parser.framing).toBe('chunked');
    expect(body).toBe('hello world');
    expect(completed).toBe(1);
  });

  it('reads a body until the connection closes when no length is given', () => {
    const { parser, body } = parse(['HTTP/1.0 200 OK\r\n\r\nsome', ' data'], true);
    expect(parser.framing).toBe('until-close');
    expect(parser.complete).toBe(true);
    expect(body).toBe('some data');
  });

  it('skips interim 1xx responses and knows bodiless statuses', () => {
    const { parser } = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n']);
    expect(parser.interim).toHaveLength(1);
    expect(parser.head?.statusCode).toBe(204);
    expect(parser.complete).toBe(true);
  });

  it('keeps the head bytes exactly as received', () => {
    const head = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
    const { parser } = parse([head]);
    expect(Buffer.from(parser.head!.raw).toString('latin1')).toBe(head);
    expect(parser.head!.reasonPhrase).toBe('Not Found');
  });

  it('reports truncated and broken responses', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'], true)).toThrow(/5 bytes before the end/);
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])).toThrow(HttpParseError);
    expect(() => parse(['SSH-2.0-OpenSSH\r\n\r\n'])).toThrow(/not an HTTP response/);
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n'])).toThrow(/Content-Length/);
  });
});

describe('parseHttpUrl', () => {
  it('takes host, port and path', () => {
    expect(parseHttpUrl('http://10.0.0.2:8000/a/b.txt?x=1')).toEqual({
      host: '10.0.0.2',
      port: 8000,
      path: '/a/b.txt?x=1',
      hostHeader: '10.0.0.2:8000',
    });
    expect(parseHttpUrl('http://example.test')).toMatchObject({ port: 80, path: '/', hostHeader: 'example.test' });
  });

  it('rejects what it cannot fetch, with a reason', () => {
    expect(() => parseHttpUrl('https://x/')).toThrow(/TLS/);
    expect(() => parseHttpUrl('ftp://x/')).toThrow(/only http/);
    expect(() => parseHttpUrl('x/y')).toThrow(HttpUrlError);
    expect(() => parseHttpUrl('http://x:0/')).toThrow(/port/);
    expect(() => parseHttpUrl('http://x:99999/')).toThrow(HttpUrlError);
    expect(() => parseHttpUrl('http://[fd00::zz]/')).toThrow(/bad URL/);
    expect(() => parseHttpUrl('http://fd00::2/')).toThrow(HttpUrlError);
  });

  it('takes an IPv6 literal in brackets: the address without them, the Host header with them (as curl sends it)', () => {
    expect(parseHttpUrl('http://[fd00::2]:8080/file')).toEqual({ host: 'fd00::2', port: 8080, path: '/file', hostHeader: '[fd00::2]:8080' });
    expect(parseHttpUrl('http://[FD00:0::2]/')).toEqual({ host: 'fd00::2', port: 80, path: '/', hostHeader: '[fd00::2]' });
  });

  it('builds the request with Host and Connection: close', () => {
    const request = Buffer.from(buildGetRequest({ path: '/f', hostHeader: 'h:81' })).toString();
    expect(request).toMatch(/^GET \/f HTTP\/1\.1\r\nHost: h:81\r\n/);
    expect(request).toContain('Connection: close\r\n');
    expect(request.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('parsePortList', () => {
  it('reads lists and ranges, sorted and distinct', () => {
    expect(parsePortList('80,22,8000-8003,22')).toEqual([22, 80, 8000, 8001, 8002, 8003]);
    expect(parsePortList('65535')).toEqual([65535]);
  });

  it('rejects bad parts with a UsageError naming them', () => {
    for (const bad of ['0', '65536', '80-20', 'abc', '', '1,,2', '-5', '1-2-3']) {
      expect(() => parsePortList(bad), bad).toThrow(UsageError);
    }
    expect(() => parsePortList('80-20')).toThrow(/backwards/);
  });
});

describe('probe classification (nmap semantics)', () => {
  const SYN = TcpFlag.SYN;
  it('SYN probes', () => {
    expect(classifyReply(SYN, TcpFlag.SYN | TcpFlag.ACK)).toEqual({ state: 'open', reason: 'syn-ack' });
    expect(classifyReply(SYN, TcpFlag.RST | TcpFlag.ACK)).toEqual({ state: 'closed', reason: 'rst' });
    expect(classifySilence(SYN)).toBe('filtered');
  });
  it('ACK, FIN and Xmas probes', () => {
    expect(classifyReply(TcpFlag.ACK, TcpFlag.RST).state).toBe('unfiltered');
    expect(classifySilence(TcpFlag.ACK)).toBe('filtered');
    const xmas = TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG;
    expect(classifyReply(xmas, TcpFlag.RST | TcpFlag.ACK).state).toBe('closed');
    expect(classifySilence(xmas)).toBe('open|filtered');
    expect(classifySilence(0)).toBe('open|filtered');
  });
  it('a SYN gets Linux options by default, other probes none', () => {
    expect(defaultProbeOptions(SYN, 7).map((o) => o.kind)).toEqual(['mss', 'sack-permitted', 'timestamps', 'nop', 'window-scale']);
    expect(defaultProbeOptions(TcpFlag.FIN, 7)).toEqual([]);
  });
});

describe('receivedChecksum(tcpChecksumVerdict(...)): the words the TCP tools report', () => {
  const pseudo = { source: '10.0.0.1', destination: '10.0.0.2' };
  it('tells a valid checksum, an offloaded (partial) one and a bad one apart', () => {
    const segment = buildTcp({ sourcePort: 1, destinationPort: 2, flags: TcpFlag.SYN }, pseudo);
    const sum = tcpPseudoHeaderSum(pseudo, segment.length);
    expect(receivedChecksum(tcpChecksumVerdict(segment, sum))).toBe('valid');
    const partial = foldChecksum(sum);
    segment[16] = partial >>> 8;
    segment[17] = partial & 0xff;
    expect(receivedChecksum(tcpChecksumVerdict(segment, sum))).toBe('offloaded');
    segment[17] ^= 1;
    expect(receivedChecksum(tcpChecksumVerdict(segment, sum))).toBe('bad');
  });
});

describe('wrapInIpv4 (IP_HDRINCL)', () => {
  it('puts a complete, valid IPv4 header before the payload', () => {
    const echo = buildIcmpEcho({ identifier: 1, sequence: 2, payload: 'hi' });
    const packet = wrapInIpv4(echo, { protocol: IpProtocol.ICMP, destination: '10.0.0.2', ttl: 9, identification: 0x1234, dontFragment: true });
    const ip = parseIpv4(packet);
    expect(ip.ok).toBe(true);
    if (!ip.ok) return;
    expect(ip.value).toMatchObject({
      ttl: 9,
      identification: 0x1234,
      protocol: IpProtocol.ICMP,
      source: '0.0.0.0', // the kernel fills it in
      destination: '10.0.0.2',
      totalLength: 20 + echo.length,
      checksumValid: true,
      flags: { dontFragment: true, moreFragments: false, reserved: false },
    });
    expect(Buffer.from(ip.value.payload)).toEqual(Buffer.from(echo));
  });

  it('defaults: TTL 64, identification 0 (kernel picks), no DF', () => {
    expect(ipv4HeaderFor({ protocol: 6, destination: '1.2.3.4' })).toMatchObject({ ttl: 64, identification: 0, source: '0.0.0.0', flags: { dontFragment: false } });
  });
});

describe('firewall rule text', () => {
  const spec = { source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 40000, destinationPort: 80 };
  it('matches exactly this connection, only RSTs, and exempts our socket mark', () => {
    const script = nftRuleset('t', spec);
    expect(script).toContain('hook output');
    expect(script).toContain('ip saddr 10.0.0.1 ip daddr 10.0.0.2 tcp sport 40000 tcp dport 80 tcp flags & rst == rst');
    expect(script).toContain(`meta mark != 0x${RAW_SOCKET_MARK.toString(16)}`);
    expect(iptablesRule(spec).join(' ')).toBe(
      `-p tcp -s 10.0.0.1/32 -d 10.0.0.2/32 --sport 40000 --dport 80 --tcp-flags RST RST -m mark ! --mark 0x${RAW_SOCKET_MARK.toString(16)} -j DROP`,
    );
  });
});

describe('firewall rule text for IPv6', () => {
  const spec = { source: 'fd00::1', destination: 'fd00::2', sourcePort: 40000, destinationPort: 8080 };
  it('an ip6 table and /128 ip6tables matches; mixed or non-address values refused', () => {
    const script = nftRuleset('t', spec);
    expect(script).toMatch(/^table ip6 t \{/);
    expect(script).toContain('ip6 saddr fd00::1 ip6 daddr fd00::2 tcp sport 40000 tcp dport 8080 tcp flags & rst == rst');
    expect(iptablesRule(spec).slice(0, 5)).toEqual(['-p', 'tcp', '-s', 'fd00::1/128', '-d']);
    expect(() => nftRuleset('t', { ...spec, destination: '10.0.0.2' })).toThrow(/both IPv4 or both IPv6/);
    expect(() => nftRuleset('t', { ...spec, source: 'fd00::1; flush ruleset' })).toThrow(/addresses/);
  });
});

describe('traceroute lines', () => {
  it('prints like traceroute(8): address once per run of probes, * for silence, annotations', () => {
    const line = formatHopLine(
      {
        ttl: 2,
        final: false,
        probes: [
          { ttl: 2, probe: 1, outcome: 'time-exceeded', from: '10.0.0.1', rttMs: 0.1234 },
          { ttl: 2, probe: 2, outcome: 'none' },
          { ttl: 2, probe: 3, outcome: 'unreachable', from: '10.0.0.9', rttMs: 1.5, annotation: '!H' },
        ],
      },
      (a) => a,
    );
    expect(line).toBe(' 2  10.0.0.1  0.123 ms * 10.0.0.9  1.500 ms !H');
    expect(unreachableAnnotation(13)).toBe('!X');
    expect(unreachableAnnotation(3)).toBe('');
    // ICMPv6 codes (RFC 4443 3.1) as traceroute(8) marks them; 4, port unreachable, is the destination answering.
    expect([0, 1, 2, 3, 4, 7].map(unreachableAnnotation6)).toEqual(['!N', '!X', '!S', '!H', '', '!<7>']);
  });
});
