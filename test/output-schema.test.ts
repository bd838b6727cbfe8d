// The published --json schema: every tool that runs without the network is
// checked here (dissect, craft); the network tools' output is checked in their
// end-to-end tests, and against loopback in test/package.test.ts.
import { describe, expect, it } from 'vitest';
import { checkJsonOutput } from './helpers/output-schema.ts';
import { runTool } from './helpers/run-tool.ts';

const fixture = (name: string) => `fixtures/${name}`;

describe('the --json schema', () => {
  it('holds for dissect over every kind of fixture, IPv6 and UDP ones, nanosecond and unreadable files included', () => {
    const files = [
      'iputils-ping.pcap', 'ping-nanosecond.pcap', 'icmp-errors.pcap', 'curl-http.pcapng', 'nping-tcp.pcap',
      'hping3-syn-ece-cwr.pcap', 'sll-any.pcap', 'sll2-any.pcap', 'loopback-null.pcap', 'raw-ip.pcap',
      'iputils-ping6.pcap', 'iputils-ping6-fragmented.pcap', 'icmp6-errors.pcap', 'ndp6.pcap', 'mldv2.pcap', 'curl-http6.pcap',
      'traceroute6-udp.pcap', 'traceroute-udp.pcap', 'udp-dns.pcap', 'sll2-any6.pcap', 'loopback-null6.pcap', 'raw-ip6.pcap',
    ].map(fixture);
    const run = runTool('dissect', ['--json', '-x', ...files, 'no-such-file.pcap']);
    const { records, problems } = checkJsonOutput(run.stdout, 'dissect');
    expect(problems).toEqual([]);
    expect(records.some((r) => r.type === 'file-error')).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'summary', files: files.length + 1, failedFiles: 1 });
  });

  it('keeps nanosecond durations and rounds epoch times to the microsecond', () => {
    const { records } = checkJsonOutput(runTool('dissect', ['--json', fixture('ping-nanosecond.pcap')]).stdout, 'dissect');
    const reply = records.find((r) => r.icmp?.responseTimeMs !== undefined)!;
    expect(String(reply.icmp.responseTimeMs).split('.')[1]?.length ?? 0).toBeGreaterThan(3);
    expect(records.every((r) => r.type !== 'packet' || Number.isFinite(r.timeMs))).toBe(true);
  });

  it('holds for craft, ICMP and TCP, with the struct explanation', () => {
    for (const args of [['icmp', '--struct', '!QQ', '1', '2'], ['tcp', '--flags', 'SA', '--mss', '1460', '--sackok', '--ts', '1:2', '-w', '/dev/null']]) {
      const { records, problems } = checkJsonOutput(runTool('craft', [...args, '--json']).stdout, 'craft');
      expect(problems, args.join(' ')).toEqual([]);
      expect(records.map((r) => r.type)).toEqual(['packet', 'summary']);
    }
  });

  it('finds what breaks it: the old dialects fail', () => {
    const old = [
      '{"event":"reply","sequence":1,"timeMs":1.5,"from":"127.0.0.1","bytes":64,"ttl":64,"rttMs":1.0499399999999923,"duplicate":false}',
      '{"type":"reply","sequence":1,"timeMs":1.5,"from":"127.0.0.1","bytes":64,"ttl":64,"rttMs":1.0499399999999923,"duplicate":false}',
      '{"type":"packet","number":1,"time":"0.000000","timeMs":1,"relativeTimeMs":0,"frameLength":1,"capturedLength":1,"linkType":"RAW","protocol":"x","source":"a","destination":"b","info":"","problems":[]}',
    ].join('\n');
    const { problems } = checkJsonOutput(old, 'ping');
    expect(problems.some((p) => p.startsWith('line 1'))).toBe(true);
    expect(problems.some((p) => p.includes('rttMs = 1.0499399999999923'))).toBe(true);
    expect(problems.some((p) => p.startsWith('line 3'))).toBe(true);
    expect(problems).toContain('0 summary objects, expected one');
  });
});
