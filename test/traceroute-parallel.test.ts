// traceroute's parallel probes (-N, -w MAX,HERE,NEAR) against traceroute(8)
// across seven routers of which the first six never answer
// (test/helpers/silent-hop-chain.ts), and to a host whose routers all answer:
// the same hops, addresses and marks, times aside. How long each takes is
// measured by the bench (bench/traceroute.ts), not asserted here.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { leftoverNamespaces, type Namespace, type RunResult, teardownAll, tsxCommand } from './helpers/netns.ts';
import { needTcpLab } from './helpers/tcp-lab.ts';
import { createSilentHopChain } from './helpers/silent-hop-chain.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';

function traceroute(ns: Namespace, args: readonly string[]): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/traceroute.ts', args), { timeoutMs: 60_000 });
}

/** The output with the times blanked: hops, addresses, `*` and !-marks must agree, the times cannot. */
function skeleton(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/\d+\.\d{3} ms/g, 'T ms'));
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('traceroute probes in parallel, over the %s binding', (binding) => {
  useSocketBinding(binding);

  for (const [mode, modeArgs] of [
    ['UDP', []],
    ['ICMP', ['-I']],
    ['TCP', ['-T', '-p', '8000']],
  ] as const) {
    it(`${mode}: six silent hops, then a router and the destination, as traceroute(8) shows them`, async (ctx) => {
      needTcpLab(ctx, ['traceroute', 'nft']);
      const chain = createSilentHopChain({ routers: 7, silent: 6 });
      // Both with the same MAX,HERE,NEAR (2 s rather than the default 5 to keep the test short).
      const args = ['-n', ...modeArgs, '-w', '2,3,10', chain.serverAddress];
      const ours = await traceroute(chain.client, args);
      const reference = chain.client.run(['traceroute', ...args], { timeoutMs: 60_000 });
      const both = `ours:\n${ours.stdout}${ours.stderr}traceroute(8):\n${reference.stdout}${reference.stderr}`;
      // TCP to a port nobody listens on: the destination's RST ends the trace all the same.
      expect(reference.status, both).toBe(0);
      expect(ours.status, both).toBe(0);
      expect(ours.stderr, both).toBe('');
      expect(skeleton(ours.stdout), both).toEqual(skeleton(reference.stdout));
      const lines = skeleton(ours.stdout);
      expect(lines.slice(1, 7), both).toEqual([1, 2, 3, 4, 5, 6].map((ttl) => `${String(ttl).padStart(2)}  * * *`));
      expect(lines.slice(7), both).toEqual([
        ` 7  ${chain.routerAddresses[6]}  T ms  T ms  T ms`,
        ` 8  ${chain.serverAddress}  T ms  T ms  T ms`,
      ]);
    });
  }

  it('to a host whose routers all answer, with -N 1, -N 3 -q 1, -w MAX alone and -z: the same hops as traceroute(8)', async (ctx) => {
    needTcpLab(ctx, ['traceroute', 'nft']);
    const chain = createSilentHopChain({ routers: 7, silent: 0 });
    for (const options of [[], ['-N', '1'], ['-N', '3', '-q', '1'], ['-w', '1'], ['-z', '0.01', '-q', '2']]) {
      const args = ['-n', ...options, chain.serverAddress];
      const ours = await traceroute(chain.client, args);
      const reference = chain.client.run(['traceroute', ...args], { timeoutMs: 60_000 });
      const both = `${args.join(' ')}\nours:\n${ours.stdout}${ours.stderr}traceroute(8):\n${reference.stdout}${reference.stderr}`;
      expect(ours.status, both).toBe(0);
      expect(skeleton(ours.stdout), both).toEqual(skeleton(reference.stdout));
      expect(skeleton(ours.stdout).at(-1), both).toMatch(new RegExp(`^ 8  ${chain.serverAddress.replaceAll('.', '\\.')}  T ms`));
    }
  });

  it('rejects bad -N, -w and -z with one line and exit status 2', async (ctx) => {
    needTcpLab(ctx);
    const chain = createSilentHopChain({ routers: 1, silent: 0 });
    for (const [options, message] of [
      [['-N', '0'], /-N/],
      [['-w', '1,2,3,4'], /-w takes MAX\[,HERE,NEAR\]/],
      [['-w', 'x'], /-w/],
      [['-z', '-1'], /-z/],
    ] as const) {
      const result = await traceroute(chain.client, ['-n', ...options, chain.serverAddress]);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n'), result.stderr).toEqual([expect.stringMatching(message)]);
    }
  });
});
