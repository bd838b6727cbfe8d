// dissect's TCP sequence analysis against tshark's, frame by frame, on every
// fixture capture (the lossy transfer and the slow reader of
// fixtures/capture-lossy.sh among them): the set of tcp.analysis.* flags, the
// duplicate-ACK number and frame, the acknowledged frame and its RTT, iRTT,
// bytes in flight, bytes since the last PSH and a retransmission's RTO must
// equal tshark's. The summary lines (with their "[TCP ...]" markers) must
// equal tshark's too, HTTP request and status lines included, except where
// tshark reassembles TCP; with the analysis off they must equal
// tshark -o tcp.analyze_sequence_numbers:FALSE.
//
// Needs tshark; with CI=true a missing tshark fails the test.
import { describe, expect, it } from 'vitest';
import { TCP_ANALYSIS_FLAGS, filterFieldsOf, type TcpAnalysis } from '../src/dissection/tcp-analysis.ts';
import { formatSecondsNs } from '../src/render/capture-time.ts';
import { skipReason } from './helpers/ci-requirements.ts';
import { fixtureCaptureFiles } from './helpers/fixture-packets.ts';
import { runTool, runTshark } from './helpers/run-tool.ts';

const skip = skipReason(['tshark'], { root: false });

const NUMBER_FIELDS = [
  ['duplicate_ack_num', 'duplicateAckNumber'],
  ['duplicate_ack_frame', 'duplicateAckFrame'],
  ['acks_frame', 'ackedFrame'],
  ['ack_rtt', 'ackRttNs'],
  ['initial_rtt', 'initialRttNs'],
  ['bytes_in_flight', 'bytesInFlight'],
  ['push_bytes_sent', 'pushBytesSent'],
  ['rto', 'rtoNs'],
  ['rto_frame', 'rtoFrame'],
] as const;
const FLAG_FIELDS = TCP_ANALYSIS_FLAGS.map((info) => info.field);
const FIELDS = ['tcp.analysis', ...FLAG_FIELDS.map((f) => `tcp.analysis.${f}`), ...NUMBER_FIELDS.map(([f]) => `tcp.analysis.${f}`)];

/** One line per frame: whether it has an analysis, then each field's value ('' when absent). */
function tsharkRows(path: string): string[] {
  const args = ['-n', '-r', path, '-T', 'fields', '-E', 'separator=|'];
  for (const field of FIELDS) args.push('-e', field);
  const run = runTshark(args);
  expect(run.status, `tshark -r ${path}`).toBe(0);
  // tcp.analysis is a subtree (no value): its column stays empty either way, so present = any other column set.
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const columns = line.split('|').slice(1);
      // Flag fields print 1 or, for FT_NONE ones (duplicate_ack), their label: both mean "set".
      return columns.map((c) => (c === '' ? '' : /^[\d.]+$/.test(c) ? c : '1')).join('|');
    });
}

function ourRow(analysis: (Omit<TcpAnalysis, 'flags'> & { flags: string[] }) | undefined): string {
  if (!analysis) return [...FLAG_FIELDS, ...NUMBER_FIELDS].map(() => '').join('|');
  const bits = TCP_ANALYSIS_FLAGS.filter((info) => analysis.flags.includes(info.field)).reduce((all, info) => all | info.flag, 0);
  const set = new Set(filterFieldsOf({ ...analysis, flags: bits }));
  const flags = FLAG_FIELDS.map((f) => (set.has(f) ? '1' : ''));
  const numbers = NUMBER_FIELDS.map(([field, key]) => {
    const value = analysis[key];
    if (value === undefined) return '';
    return field === 'ack_rtt' || field === 'initial_rtt' || field === 'rto' ? formatSecondsNs(value, 9) : String(value);
  });
  return [...flags, ...numbers].join('|');
}

const files = fixtureCaptureFiles();

/**
 * A line only tshark's TCP reassembly makes (dissect does not reassemble TCP):
 * a later segment of an HTTP message ("... Len=1448 [TCP segment of a
 * reassembled PDU]") or the one completing it, where tshark shows the whole
 * response ("HTTP 1106 HTTP/1.0 200 OK  (text/plain)").
 */
const tcpReassemblyOnly = (line: string): boolean => / Len=\d+.* \[TCP segment of a reassembled PDU\]$/.test(line) || / HTTP \d+ HTTP\/1\.[01] /.test(line);

describe.skipIf(skip !== undefined)(`TCP analysis agrees with tshark${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('has the lossy and zero-window captures among the fixtures', () => {
    expect(files.some((f) => f.endsWith('/tcp-lossy.pcap'))).toBe(true);
    expect(files.some((f) => f.endsWith('/tcp-zero-window.pcap'))).toBe(true);
  });

  it('flags and numbers every frame of every fixture as tshark does', () => {
    const run = runTool('dissect', ['--json', ...files]);
    expect(run.status).toBe(0);
    const ours = new Map<string, string[]>();
    for (const line of run.stdout.trim().split('\n')) {
      const packet = JSON.parse(line);
      if (packet.type === 'summary') continue;
      if (!ours.has(packet.file)) ours.set(packet.file, []);
      ours.get(packet.file)!.push(ourRow(packet.layers?.tcp?.analysis ?? packet.tcp?.analysis));
    }
    const disagreements: string[] = [];
    const flagged: Record<string, number> = {};
    let frames = 0;
    for (const file of files) {
      const theirs = tsharkRows(file);
      const mine = ours.get(file) ?? [];
      expect(mine.length, `${file}: frames`).toBe(theirs.length);
      theirs.forEach((row, i) => {
        frames++;
        if (row.split('|').slice(0, FLAG_FIELDS.length).some((c) => c !== '')) flagged[file] = (flagged[file] ?? 0) + 1;
        if (row !== mine[i]) disagreements.push(`${file.split('/').pop()} #${i + 1}: tshark ${row} dissect ${mine[i]}`);
      });
    }
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(frames).toBeGreaterThan(2000);
    // The lossy transfer is lossy: hundreds of flagged frames, of several kinds.
    expect(flagged[files.find((f) => f.endsWith('/tcp-lossy.pcap'))!]).toBeGreaterThan(100);
    expect(flagged[files.find((f) => f.endsWith('/tcp-zero-window.pcap'))!]).toBeGreaterThan(100);
  });

  it.each([
    ['with the analysis on', [], []],
    ['with the analysis off', ['--no-tcp-analysis'], ['-o', 'tcp.analyze_sequence_numbers:FALSE']],
    ['with -o tcp.analyze_sequence_numbers:FALSE', ['-o', 'tcp.analyze_sequence_numbers:FALSE'], ['-o', 'tcp.analyze_sequence_numbers:FALSE']],
  ])('prints the summary lines of TCP frames as tshark does %s', (_name, ourArgs, theirArgs) => {
    for (const name of ['tcp-lossy.pcap', 'tcp-zero-window.pcap', 'curl-http.pcap']) {
      const file = files.find((f) => f.endsWith(`/${name}`))!;
      const theirs = runTshark(['-n', '-r', file, ...theirArgs]).stdout.split('\n');
      const ours = runTool('dissect', [...ourArgs, file]).stdout.split('\n');
      expect(ours.length).toBe(theirs.length);
      let compared = 0;
      theirs.forEach((line, i) => {
        if (tcpReassemblyOnly(line)) return;
        expect(ours[i], name).toBe(line);
        compared++;
      });
      expect(compared).toBeGreaterThan(20);
    }
  });
});
