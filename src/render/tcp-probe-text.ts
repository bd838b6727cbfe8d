// tcp-probe's text output: a header, one line per port as nmap lists them,
// and a summary.
//
//   TCP-PROBE 10.0.0.2 (10.0.0.2): 3 ports, from 10.0.0.1:41234, flags [S], options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], 60 bytes
//   PORT      STATE     REASON            RTT         REPLY
//   22/tcp    closed    rst               0.151 ms    [R.] win 0
//   8000/tcp  open      syn-ack           0.220 ms    [S.] win 65160 ttl 64 options [mss 1460,...]
//   8001/tcp  filtered  no-response       -
import type { PortResult, TcpProbeStart, TcpProbeSummary } from '../engine/tcp-probe.ts';
import { formatTcpOptions } from './tcp-options-text.ts';
import { tcpdumpFlagLetters } from '../wire/tcp.ts';
import { icmpCodeName } from '../wire/icmp.ts';
import { icmpv6CodeName } from '../wire/icmpv6.ts';

export function formatProbeHeader(host: string, start: TcpProbeStart): string {
  const options = start.options.length > 0 ? `, options [${formatTcpOptions(start.options)}]` : '';
  const hdrincl = start.headerIncluded ? ', IPv4 header built here (IP_HDRINCL)' : '';
  const count = `${start.ports.length} port${start.ports.length === 1 ? '' : 's'}`;
  return (
    `TCP-PROBE ${host} (${start.destination}): ${count}, from ${start.source}:${start.sourcePort}, ` +
    `flags [${tcpdumpFlagLetters(start.flags)}]${options}, ${start.probeBytes} bytes${hdrincl}`
  );
}

export const PROBE_TABLE_HEADER = 'PORT      STATE          REASON            RTT          REPLY';

/** RTT as ping prints it: 3 decimals under 1 ms, 2 under 10, 1 under 100. */
export function formatRtt(ms: number): string {
  const digits = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${ms.toFixed(digits)} ms`;
}

export function formatPortLine(result: PortResult): string {
  const port = `${result.port}/tcp`.padEnd(10);
  const state = result.state.padEnd(15);
  const reason = result.reason.padEnd(18);
  const rtt = (result.rttMs === undefined ? '-' : formatRtt(result.rttMs)).padEnd(13);
  let reply = '';
  if (result.reply) {
    const r = result.reply;
    // tcpdump's words: "ttl" for IPv4, "hlim" for IPv6's hop limit (unknown on raw-socket over IPv6).
    const ipv6 = r.source.includes(':');
    reply = `[${tcpdumpFlagLetters(r.flags)}] win ${r.window}${r.ttl === undefined ? '' : ` ${ipv6 ? 'hlim' : 'ttl'} ${r.ttl}`}`;
    if (r.options.length > 0) reply += ` options [${formatTcpOptions(r.options)}]`;
    if (r.payloadLength > 0) reply += ` length ${r.payloadLength}`;
    if (r.checksum === 'bad') reply += ' (bad checksum)';
    if (result.resetSent) reply += ', RST sent';
  } else if (result.icmp) {
    const ipv6 = result.icmp.from.includes(':');
    const name = (ipv6 ? icmpv6CodeName : icmpCodeName)(result.icmp.type, result.icmp.code) ?? `type ${result.icmp.type} code ${result.icmp.code}`;
    reply = `${ipv6 ? 'ICMPv6' : 'ICMP'} ${name} from ${result.icmp.from}`;
  } else {
    reply = `${result.probes} probe${result.probes === 1 ? '' : 's'}, no reply`;
  }
  return `${port}${state}${reason}${rtt}${reply}`.trimEnd();
}

export function formatProbeSummary(host: string, summary: TcpProbeSummary): string[] {
  const order = ['open', 'closed', 'filtered', 'unfiltered', 'open|filtered'];
  const states = order
    .map((state) => [state, summary.results.filter((r) => r.state === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  return [
    `--- ${host} tcp-probe statistics ---`,
    `${summary.results.length} port${summary.results.length === 1 ? '' : 's'} probed: ${states}; ` +
      `${summary.answered} answered, time ${Math.round(summary.elapsedMs)}ms${summary.interrupted ? ' (interrupted)' : ''}`,
  ];
}
