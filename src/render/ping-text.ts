// Text output of ping, line for line as iputils ping prints it, so scripts
// and eyes trained on iputils read ours the same way.

/** iputils prints RTTs with 3 decimals below 1 ms, then fewer as they grow (ping_common.c). */
export function formatReplyTime(rttMs: number): string {
  const micros = Math.round(rttMs * 1000);
  if (micros >= 100000 - 50) return `${Math.round(micros / 1000)}`;
  if (micros >= 10000 - 5) return `${Math.floor((micros + 50) / 1000)}.${Math.floor(((micros + 50) % 1000) / 100)}`;
  if (micros >= 1000) return `${Math.floor((micros + 5) / 1000)}.${String(Math.floor(((micros + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(micros / 1000)}.${String(micros % 1000).padStart(3, '0')}`;
}

/** C's %g with the default precision of 6, as iputils uses for the loss percentage. */
export function formatPercentG(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 6) {
    return value.toExponential(5).replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2');
  }
  const fixed = value.toFixed(Math.max(0, 5 - exponent));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

export interface PingHeaderInfo {
  /** The host as the user wrote it. */
  readonly host: string;
  readonly address: string;
  readonly payloadSize: number;
  /** IPv4 total length of a request: 20 + 8 + payload. */
  readonly packetSize: number;
  /** With -I: the source address, and the interface when -I named one ('' for an address), as iputils prints "from SRC DEV: ". */
  readonly from?: { readonly source: string; readonly device: string };
  /** 4 (the default) or 6: iputils words the two headers differently. */
  readonly family?: 4 | 6;
  /** IPv6: how iputils names the address in the header, `name (address)` for a host given by name. */
  readonly addressLabel?: string;
}

export function formatPingHeader(info: PingHeaderInfo): string {
  const from = info.from ? `from ${info.from.source} ${info.from.device}: ` : '';
  // iputils ping6_print_data_bytes: no space before the parenthesis, no IP size.
  if (info.family === 6) return `PING ${info.host}(${info.addressLabel ?? info.address}) ${from}${info.payloadSize} data bytes`;
  return `PING ${info.host} (${info.address}) ${from}${info.payloadSize}(${info.packetSize}) bytes of data.`;
}

/** iputils -O: a request unanswered when the next one is sent. */
export function formatNoAnswerLine(sequence: number, timestampPrefix = ''): string {
  return `${timestampPrefix}no answer yet for icmp_seq=${sequence}`;
}

/**
 * iputils' line for a send larger than the path MTU that the kernel may not
 * fragment (-M do), on stderr: ping4.c writes "mtu=1500", ping6_common.c "mtu: 1500".
 */
export function formatLocalMessageTooLong(mtu: number | undefined, family: 4 | 6 = 4): string {
  return `ping: local error: message too long, mtu${family === 6 ? ': ' : '='}${mtu ?? '?'}`;
}

export interface ReplyLineInfo {
  /** ICMP bytes received (header + data), as iputils counts them. */
  readonly bytes: number;
  /** `name (ip)` or just the ip, as the caller resolved it. */
  readonly from: string;
  readonly sequence: number;
  /** TTL or hop limit; negative when unknown (an IPv6 reply on raw-socket): iputils then prints no ttl=. */
  readonly ttl: number;
  readonly rttMs?: number;
  readonly duplicate?: boolean;
  readonly badChecksum?: boolean;
  /** Shorter than the request: iputils ends the line with "(truncated)" in place of the time. */
  readonly truncated?: boolean;
  /** iputils' prefix with -D: "[seconds.micros] ". */
  readonly timestampPrefix?: string;
}

export function formatReplyLine(info: ReplyLineInfo): string {
  let line = `${info.timestampPrefix ?? ''}${info.bytes} bytes from ${info.from}: icmp_seq=${info.sequence}`;
  if (info.ttl >= 0) line += ` ttl=${info.ttl}`;
  if (info.truncated) return `${line} (truncated)`;
  if (info.rttMs !== undefined) line += ` time=${formatReplyTime(info.rttMs)} ms`;
  if (info.badChecksum) line += ' (BAD CHECKSUM!)';
  if (info.duplicate) line += ' (DUP!)';
  return line;
}

/** iputils' line for an echo reply whose data differs from what was sent. */
export function formatWrongDataLine(byteIndex: number, expected: number, actual: number): string {
  const hex = (n: number) => `0x${n.toString(16)}`;
  return `wrong data byte #${byteIndex} should be ${hex(expected)} but was ${hex(actual)}`;
}

/**
 * iputils' hex dump after a wrong data byte: the reply's data from offset 16,
 * 32 bytes per line, each line opened by "#offset" and a tab, each byte as
 * "%x " (so every line ends with a space). `data` starts at offset 16.
 */
export function formatDataDump(data: readonly number[], firstOffset = 16): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 32) {
    let line = `#${firstOffset + at}\t`;
    for (const byte of data.slice(at, at + 32)) line += `${byte.toString(16)} `;
    lines.push(line);
  }
  return lines;
}

export function formatIcmpErrorLine(from: string, sequence: number, description: string, timestampPrefix = ''): string {
  return `${timestampPrefix}From ${from} icmp_seq=${sequence} ${description}`;
}

/** -D: the wall-clock time of the event, as iputils prints it. */
export function formatTimestampPrefix(epochMs: number): string {
  const micros = Math.round(epochMs * 1000);
  return `[${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}] `;
}

/** iputils' descriptions of ICMP errors (ping4.c pr_icmph). */
export function describeIcmpError(type: number, code: number, nextHopMtu?: number): string {
  if (type === 3) {
    const unreachable = [
      'Destination Net Unreachable',
      'Destination Host Unreachable',
      'Destination Protocol Unreachable',
      'Destination Port Unreachable',
      `Frag needed and DF set (mtu = ${nextHopMtu ?? 0})`,
      'Source Route Failed',
      'Destination Net Unknown',
      'Destination Host Unknown',
      'Source Host Isolated',
      'Destination Net Prohibited',
      'Destination Host Prohibited',
      'Destination Net Unreachable for Type of Service',
      'Destination Host Unreachable for Type of Service',
      'Packet filtered',
      'Precedence Violation',
      'Precedence Cutoff',
    ];
    return unreachable[code] ?? `Dest Unreachable, Bad Code: ${code}`;
  }
  if (type === 11) {
    if (code === 0) return 'Time to live exceeded';
    if (code === 1) return 'Frag reassembly time exceeded';
    return `Time exceeded, Bad Code: ${code}`;
  }
  if (type === 4) return 'Source Quench';
  if (type === 5) {
    const redirect = ['Redirect Network', 'Redirect Host', 'Redirect Type of Service and Network', 'Redirect Type of Service and Host'];
    return redirect[code] ?? `Redirect, Bad Code: ${code}`;
  }
  if (type === 12) return 'Parameter problem';
  return `Bad ICMP type: ${type}`;
}

export interface PingStatistics {
  readonly host: string;
  readonly transmitted: number;
  readonly received: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly rtt?: { readonly minMs: number; readonly avgMs: number; readonly maxMs: number; readonly mdevMs: number };
  /** Most requests outstanding at once; iputils adds "pipe N" when it is over 1. */
  readonly pipeSize?: number;
  /** Flood and interval-0 runs add iputils' ", ipg/ewma a/b ms". */
  readonly ipgEwma?: { readonly ipgMs: number; readonly ewmaMs: number };
}

const threeDecimals = (ms: number) => ms.toFixed(3);

export function formatStatistics(stats: PingStatistics): string[] {
  const lines = [`--- ${stats.host} ping statistics ---`];
  let summary = `${stats.transmitted} packets transmitted, ${stats.received} received`;
  if (stats.duplicates) summary += `, +${stats.duplicates} duplicates`;
  if (stats.errors) summary += `, +${stats.errors} errors`;
  if (stats.transmitted > 0) {
    const loss = ((stats.transmitted - stats.received) * 100) / stats.transmitted;
    summary += `, ${formatPercentG(loss)}% packet loss`;
  }
  summary += `, time ${Math.round(stats.elapsedMs)}ms`;
  lines.push(summary);
  // iputils always ends with one more line, the parts that apply joined by
  // ", ", so a run without RTTs or pipe ends with an empty line.
  const last: string[] = [];
  if (stats.rtt && stats.received > 0) {
    const { minMs, avgMs, maxMs, mdevMs } = stats.rtt;
    last.push(`rtt min/avg/max/mdev = ${threeDecimals(minMs)}/${threeDecimals(avgMs)}/${threeDecimals(maxMs)}/${threeDecimals(mdevMs)} ms`);
  }
  if (stats.pipeSize !== undefined && stats.pipeSize > 1) last.push(`pipe ${stats.pipeSize}`);
  if (stats.ipgEwma) last.push(`ipg/ewma ${threeDecimals(stats.ipgEwma.ipgMs)}/${threeDecimals(stats.ipgEwma.ewmaMs)} ms`);
  lines.push(last.join(', '));
  return lines;
}
