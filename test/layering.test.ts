// The layering rules of .dependency-cruiser.cjs, checked under `npm test` so
// that CI (.ci/run) enforces them: wire -> io -> net -> engines -> render ->
// cli -> entry files, with no upward import, no cycle, no I/O in wire or
// render. Fails listing each violation as `from -> to (rule)`.
//
// The config's knownViolations (today's violations, to be fixed by the
// ongoing restructuring) are tolerated; any other violation fails, and so does
// a known violation that no longer occurs, so that its entry gets removed.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const configFile = path.join(root, '.dependency-cruiser.cjs');

const describeViolation = (v: { from: string; to: string; rule: { name: string } }): string =>
  `${v.from} -> ${v.to} (${v.rule.name})`;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** Cruises src/ with the project's config, its knownViolations taken out so that every violation shows. */
async function cruiseSrc() {
  const { knownViolations: known = [], ...options } = await extractDepcruiseOptions(configFile);
  const ruleNames = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name);
  const tsConfig = extractTSConfig(path.join(root, 'tsconfig.json'));
  const { output } = await cruise(['src'], { ...options, baseDir: root, outputType: 'json' }, {}, { tsConfig });
  const result: ICruiseResult = typeof output === 'string' ? JSON.parse(output) : output;
  return { result, known, ruleNames };
}

describe('layering (dependency-cruiser, .dependency-cruiser.cjs)', async () => {
  const { result, known, ruleNames } = await cruiseSrc();
  const violations: IViolation[] = result.summary.violations;
  const knownKeys = new Set(known.map(describeViolation));
  const foundKeys = new Set(violations.map(describeViolation));

  it('sees the whole module graph, .ts imports resolved', () => {
    // A rule that sees no edge cannot fail: make sure the cruise really
    // resolved the project's `.ts`-extension imports.
    const cruised = new Set(result.modules.map((m) => m.source));
    const missing = sourceFiles('src').filter((file) => !cruised.has(file));
    expect(missing, 'src files dependency-cruiser did not reach').toEqual([]);
    const srcEdges = result.modules.flatMap((m) =>
      m.source.startsWith('src/') ? m.dependencies.filter((d) => d.resolved.startsWith('src/')) : [],
    );
    expect(srcEdges.length).toBeGreaterThan(200);
    // The Linux binding is absent until built (npm ci builds it; off Linux never).
    const optionalNativeBuild = /(^|\/)build\/Release\/[^/]+\.node$/;
    const unresolved = result.modules.flatMap((m) =>
      m.dependencies.filter((d) => d.couldNotResolve && !optionalNativeBuild.test(d.module)),
    );
    expect(unresolved).toEqual([]);
    const renderPacketJson = result.modules.find((m) => m.source === 'src/render/packet-json.ts');
    expect(renderPacketJson?.dependencies.map((d) => d.resolved)).toContain('src/dissection/packet-model.ts');
  });

  it('knownViolations name existing rules', () => {
    expect(known.map((v) => v.rule.name).filter((name) => !ruleNames.includes(name))).toEqual([]);
  });

  it('has no layering violation beyond the known ones', () => {
    const fresh = violations
      .filter((v) => !knownKeys.has(describeViolation(v)))
      .map((v) => describeViolation(v) + (v.cycle ? ` [cycle: ${v.cycle.map((step) => step.name).join(' -> ')}]` : ''))
      .sort();
    expect(fresh, `new layering violations (from -> to (rule)):\n  ${fresh.join('\n  ')}\n`).toEqual([]);
  });

  it('lists no known violation that has been fixed', () => {
    const stale = [...knownKeys].filter((key) => !foundKeys.has(key)).sort();
    expect(
      stale,
      `these knownViolations no longer occur; remove them from .dependency-cruiser.cjs:\n  ${stale.join('\n  ')}\n`,
    ).toEqual([]);
  });
});
