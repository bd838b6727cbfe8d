// The package's version, for `packet-lab --version` and `ping -V`.
import { readFileSync } from 'node:fs';

/** The package's version: package.json sits two levels up from both src/cli/ and dist/cli/. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
