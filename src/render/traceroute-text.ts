// traceroute(8)'s output:
//
//   traceroute to 10.0.3.2 (10.0.3.2), 30 hops max, 60 byte packets
//    1  10.0.1.254  0.123 ms  0.101 ms  0.099 ms
//    2  10.0.2.254  0.201 ms  *  0.187 ms
//    3  10.0.3.2  0.250 ms  0.240 ms  0.238 ms
//
// A probe answered from another address than the one before it in the hop
// prints that address before its time, as traceroute does.
import type { HopResult, TracerouteStart } from '../engine/traceroute.ts';

export function formatTracerouteHeader(host: string, start: TracerouteStart): string {
  return `traceroute to ${host} (${start.destination}), ${start.maxTtl} hops max, ${start.packetLength} byte packets`;
}

/** `label(address)` gives what to print for an address: itself with -n, or "name (address)". */
export function formatHopLine(hop: HopResult, label: (address: string) => string): string {
  let line = `${String(hop.ttl).padStart(2)} `;
  let last: string | undefined;
  for (const probe of hop.probes) {
    if (probe.outcome === 'none' || probe.from === undefined || probe.rttMs === undefined) {
      line += ' *';
      continue;
    }
    if (probe.from !== last) {
      line += ` ${label(probe.from)}`;
      last = probe.from;
    }
    line += `  ${probe.rttMs.toFixed(3)} ms`;
    if (probe.annotation) line += ` ${probe.annotation}`;
  }
  return line;
}
