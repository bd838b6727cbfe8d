// fixtures/capture.sh is the recipe of the golden captures; this re-runs it
// into a temporary directory (namespaces only, removed by the script) and
// checks that what it captures passes the same checks as the committed files.
// Only the files the script makes (its FILES list) are compared: a capture
// dropped into fixtures/ by hand is a supported way to add a case, and
// test/fixtures.test.ts checks it like the others.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkCaptureFile, fixtureCaptureFiles, FIXTURES_DIR, scriptCaptureNames } from './helpers/fixture-packets.ts';
import { missingRequirements, skipReason } from './helpers/ci-requirements.ts';

const TOOLS = ['ip', 'tcpdump', 'tshark', 'editcap', 'capinfos', 'ping', 'hping3', 'nping', 'nft', 'ethtool', 'curl', 'traceroute', 'python3'];
const reason = skipReason(TOOLS);

describe.skipIf(reason !== undefined)(`fixtures/capture.sh re-run${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('captures every fixture again, and each new file passes the fixture checks', async () => {
    expect(missingRequirements(TOOLS)).toEqual([]);
    const out = mkdtempSync(join(tmpdir(), 'packet-lab-capture-'));
    try {
      const run = spawnSync('bash', [join(FIXTURES_DIR, 'capture.sh'), out], { encoding: 'utf8', timeout: 420_000 });
      expect(run.status, run.stderr.split('\n').slice(-15).join('\n')).toBe(0);
      const made = scriptCaptureNames();
      expect(made.length).toBeGreaterThanOrEqual(8);
      // The script writes exactly what it lists, and each of those is in fixtures/ (committed; others may sit beside them).
      expect(readdirSync(out).sort()).toEqual(made);
      const present = fixtureCaptureFiles().map((f) => basename(f));
      expect(made.filter((name) => !present.includes(name)), 'made by capture.sh but missing from fixtures/').toEqual([]);
      for (const file of fixtureCaptureFiles(out)) {
        const { problems, packets } = await checkCaptureFile(file);
        expect(packets.length, basename(file)).toBeGreaterThan(0);
        expect(problems, basename(file)).toEqual([]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 480_000);
});
