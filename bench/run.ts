// npm run bench: every figure beside its reference from the same run.
import { benchBuild } from './build.ts';
import { benchChecksum } from './checksum.ts';
import { benchDissect, benchDissectIpv6, benchDissectAnalysis } from './dissect.ts';
import { benchPcapRead } from './pcap-read.ts';
import { benchPing } from './ping.ts';
import { benchSocketPath } from './socket-path.ts';
import { benchSr1 } from './sr1.ts';
import { benchStartup } from './startup.ts';

const only = process.argv.slice(2);
const sections: Record<string, () => void | Promise<void>> = {
  checksum: benchChecksum,
  build: benchBuild,
  'pcap-read': benchPcapRead,
  ping: benchPing,
  'socket-path': benchSocketPath,
  sr1: benchSr1,
  dissect: benchDissect,
  dissect6: benchDissectIpv6,
  'dissect-analysis': benchDissectAnalysis,
  startup: benchStartup,
};
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
