// A host with 1,000 ports in the three states nmap -sS tells apart, for
// tcp-probe's test and bench: a few listeners (open), nft dropping two ranges
// (filtered, no answer at all), every other port closed (the kernel's RST).
// And nmap's XML output read back into a verdict per port.
import type { BackgroundProcess, Namespace } from './netns.ts';
import { nft } from './tcp-lab.ts';

export const MIX_PORTS = { first: 1, last: 1000 } as const;
export const MIX_OPEN = [22, 80, 111, 443, 631, 993] as const;
/** Inclusive ranges dropped by nft. */
export const MIX_FILTERED = [
  [200, 299],
  [700, 749],
] as const;

/** The verdict each port of the mix should get. */
export function expectedMixVerdicts(): Map<number, string> {
  const verdicts = new Map<number, string>();
  for (let port = MIX_PORTS.first; port <= MIX_PORTS.last; port++) verdicts.set(port, 'closed');
  for (const port of MIX_OPEN) verdicts.set(port, 'open');
  for (const [from, to] of MIX_FILTERED) for (let port = from; port <= to; port++) verdicts.set(port, 'filtered');
  return verdicts;
}

/** Listeners on MIX_OPEN at `address` and the drop rules in `ns`; resolves once they listen. */
export async function startPortMix(ns: Namespace, address: string): Promise<BackgroundProcess> {
  const script = [
    'import socket, sys, time',
    `family = socket.AF_INET6 if ':' in ${JSON.stringify(address)} else socket.AF_INET`,
    'sockets = []',
    `for port in ${JSON.stringify(MIX_OPEN)}:`,
    '    s = socket.socket(family, socket.SOCK_STREAM)',
    '    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `    s.bind((${JSON.stringify(address)}, port))`,
    '    s.listen(64)',
    '    sockets.append(s)',
    "print('listening', flush=True)",
    'time.sleep(3600)',
  ].join('\n');
  const listeners = ns.spawn(['python3', '-u', '-c', script], { timeoutMs: 3_600_000 });
  await listeners.waitForOutput(/^listening$/m, 15_000);
  const ranges = MIX_FILTERED.map(([from, to]) => `${from}-${to}`).join(', ');
  nft(ns, `table inet plt_mix {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport { ${ranges} } drop\n  }\n}\n`);
  return listeners;
}

/**
 * nmap -oX's verdicts: each <port> listed with its <state>, and the ports an
 * <extraports state="..."> group folds away, from its <extrareasons ports="1-21,23-79,...">.
 */
export function nmapXmlVerdicts(xml: string): Map<number, string> {
  const verdicts = new Map<number, string>();
  for (const group of xml.matchAll(/<extraports state="([^"]+)"[^>]*>([\s\S]*?)<\/extraports>/g)) {
    for (const reasons of group[2].matchAll(/<extrareasons [^>]*ports="([^"]+)"/g)) {
      for (const range of reasons[1].split(',')) {
        const [from, to = from] = range.split('-').map(Number);
        for (let port = from; port <= to; port++) verdicts.set(port, group[1]);
      }
    }
  }
  for (const port of xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([^"]+)"/g)) verdicts.set(Number(port[1]), port[2]);
  return verdicts;
}
