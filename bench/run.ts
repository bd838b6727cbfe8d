// npm run bench: every figure beside its reference from the same run.
import { benchChecksum } from './checksum.ts';

const only = process.argv.slice(2);
const sections: Record<string, () => void | Promise<void>> = {
  checksum: benchChecksum,
};
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
