// internetChecksum against raw-socket's native createChecksum (C++), same run.
import { createRequire } from 'node:module';
import { internetChecksum } from '../src/wire/checksum.ts';
import { formatRate, measureRate, printRow } from './harness.ts';

const require = createRequire(import.meta.url);

export function benchChecksum(): void {
  const raw = require('raw-socket') as { createChecksum: (...buffers: Buffer[]) => number };
  console.log('\n# RFC 1071 checksum: packet-lab internetChecksum vs raw-socket createChecksum (native)');
  for (const size of [20, 64, 1500, 65536]) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
    if (internetChecksum(data) !== raw.createChecksum(data)) throw new Error(`checksums disagree at ${size} bytes`);
    const batch = size > 4096 ? 20 : 2000;
    let sink = 0;
    const ours = measureRate(() => { sink ^= internetChecksum(data); }, { batch });
    const native = measureRate(() => { sink ^= raw.createChecksum(data); }, { batch });
    if (sink === -1) console.log(sink);
    printRow(`checksum ${size} B`, formatRate(ours.perSecond), formatRate(native.perSecond), ours.perSecond / native.perSecond, 3);
  }
}
