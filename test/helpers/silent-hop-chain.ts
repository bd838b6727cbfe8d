// A longer router chain for traceroute's parallel probes:
// client — r1 — r2 — ... — rN — server, IPv4, each link its own /24
// (10.240+k.M.0/24 for link k), every router forwarding with static routes
// both ways; the first `silent` routers drop the ICMP Time Exceeded they would
// send (nft, on output), so traceroute shows `* * *` for them.
import { Lab, type Namespace } from './netns.ts';
import { nft } from './tcp-lab.ts';

export interface SilentHopChain {
  readonly lab: Lab;
  readonly client: Namespace;
  readonly routers: readonly Namespace[];
  readonly server: Namespace;
  /** Each router's address on its client-side link: the source of its Time Exceeded toward the client. */
  readonly routerAddresses: readonly string[];
  readonly serverAddress: string;
}

export function createSilentHopChain(options: { routers: number; silent: number }): SilentHopChain {
  const { routers: count, silent } = options;
  if (count < 1 || count > 14 || silent > count) throw new Error(`bad chain: ${count} routers, ${silent} silent`);
  const lab = new Lab();
  try {
    const m = lab.id % 250;
    const subnet = (link: number) => `10.${240 + link}.${m}`;
    const client = lab.addNamespace('cli');
    const routers = Array.from({ length: count }, (_, i) => lab.addNamespace(`r${i + 1}`));
    const server = lab.addNamespace('srv');
    const chain = [client, ...routers, server];
    // Link k joins chain[k] (.1) and chain[k + 1] (.2).
    for (let k = 0; k + 1 < chain.length; k++) {
      lab.connect(chain[k], `vethL${k}a`, [`${subnet(k)}.1/24`], chain[k + 1], `vethL${k}b`, [`${subnet(k)}.2/24`]);
    }
    client.check(['ip', 'route', 'add', 'default', 'via', `${subnet(0)}.2`]);
    server.check(['ip', 'route', 'add', 'default', 'via', `${subnet(count)}.1`]);
    routers.forEach((router, i) => {
      router.sysctl('net.ipv4.ip_forward', 1);
      // Router i sits between link i (toward the client) and link i + 1 (toward the server).
      if (i + 1 < count) router.check(['ip', 'route', 'add', 'default', 'via', `${subnet(i + 1)}.2`]);
      if (i > 0) router.check(['ip', 'route', 'add', `${subnet(0)}.0/24`, 'via', `${subnet(i)}.1`]);
      if (i < silent) {
        nft(router, 'table inet silent {\n  chain output {\n    type filter hook output priority 0;\n    icmp type time-exceeded drop\n  }\n}\n');
      }
    });
    return {
      lab,
      client,
      routers,
      server,
      routerAddresses: routers.map((_, i) => `${subnet(i)}.2`),
      serverAddress: `${subnet(count)}.2`,
    };
  } catch (error) {
    lab.teardownSync();
    throw error;
  }
}
