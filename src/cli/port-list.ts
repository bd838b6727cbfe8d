// `-p 22,80,8000-8010`: the port lists the TCP tools take.
import { UsageError } from './run-cli.ts';

/** At most this many ports in one list (all of 1-65535). */
const MAX_PORTS = 65535;

/**
 * Parses a comma-separated list of ports and ranges (`22,80,8000-8010`)
 * into sorted, distinct port numbers; throws a UsageError naming the bad
 * part. `option` is the switch's name for the message.
 */
export function parsePortList(text: string, option = '-p'): number[] {
  const ports = new Set<number>();
  const bad = (part: string, why: string) => new UsageError(`invalid port list for ${option}: '${part}': ${why}`);
  if (text.trim() === '') throw bad(text, 'empty');
  for (const rawPart of text.split(',')) {
    const part = rawPart.trim();
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw bad(part, 'expected PORT or FIRST-LAST, e.g. 22,80,8000-8010');
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (const port of [first, last]) if (port < 1 || port > 65535) throw bad(part, 'ports are 1..65535');
    if (last < first) throw bad(part, `range runs backwards (${first} > ${last})`);
    for (let port = first; port <= last && ports.size <= MAX_PORTS; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** One port (1..65535), or a UsageError naming the option. */
export function parsePort(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`invalid argument for ${option}: '${text}': a port is 1..65535`);
  }
  return Number(text);
}
