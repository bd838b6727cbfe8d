// tcp-probe's nmap-like pacing (a window of probes in flight, a timeout from
// the measured RTTs, a retry before "filtered") on 1,000 ports, open, closed
// and filtered (test/helpers/port-mix.ts): the same verdict for every port as
// nmap -sS with its default timing on the same host. How long each takes is
// the bench's business (bench/tcp-probe.ts), not asserted here.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPair, leftoverNamespaces, type Namespace, type RunResult, teardownAll, tsxCommand } from './helpers/netns.ts';
import { needTcpLab } from './helpers/tcp-lab.ts';
import { expectedMixVerdicts, MIX_PORTS, nmapXmlVerdicts, startPortMix } from './helpers/port-mix.ts';
import { TESTED_BINDINGS, useSocketBinding } from './helpers/socket-bindings.ts';

function probe(ns: Namespace, args: readonly string[]): Promise<RunResult> {
  return ns.runAsync(tsxCommand('src/tcp-probe.ts', args), { timeoutMs: 60_000 });
}

afterEach(async () => {
  expect(await teardownAll(), 'teardown problems').toEqual([]);
});

afterAll(() => {
  expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
});

describe.each(TESTED_BINDINGS)('tcp-probe on 1,000 ports against nmap -sS, over the %s binding', (binding) => {
  useSocketBinding(binding);

  for (const family of [4, 6] as const) {
    it(`IPv${family}: open, closed and filtered ports get nmap's verdicts; silent ports are probed twice`, async (ctx) => {
      needTcpLab(ctx, ['nft', 'python3', 'nmap']);
      const pair = createPair({ ipv6: family === 6 });
      const target = family === 6 ? pair.address6B : pair.addressB;
      await startPortMix(pair.b, target);
      const range = `${MIX_PORTS.first}-${MIX_PORTS.last}`;
      const ours = await probe(pair.a, ['-p', range, '--json', target]);
      expect(ours.status, ours.stderr).toBe(0);
      const ports = ours.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((event) => event.type === 'port');
      const verdicts = new Map<number, string>(ports.map((p) => [p.port, p.state]));
      expect(verdicts).toEqual(expectedMixVerdicts());
      // nmap retransmits before calling a port filtered; so do we (--retries 1).
      expect(ports.filter((p) => p.state === 'filtered').every((p) => p.probes === 2 && p.reason === 'no-response')).toBe(true);
      expect(ports.filter((p) => p.state !== 'filtered').every((p) => p.probes >= 1 && p.rttMs >= 0)).toBe(true);

      const nmap = pair.a.run(['nmap', ...(family === 6 ? ['-6'] : []), '-sS', '-n', '-Pn', '-p', range, '-oX', '-', target], { timeoutMs: 120_000 });
      expect(nmap.status, nmap.stderr).toBe(0);
      expect(verdicts, nmap.stdout).toEqual(nmapXmlVerdicts(nmap.stdout));
    });
  }
});
