// Turns vitest's JSON report into the plain closing line CI reads:
// "N passed, N failed, N skipped". A test file that failed to load counts as
// one failure, so a broken import can never look green.
import { readFileSync } from 'node:fs';

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (error) {
  console.log(`summarize: no readable vitest report at ${path}: ${error.message}`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults ?? []) {
  const tests = file.assertionResults ?? [];
  if (file.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
    failed += 1;
    console.log(`failed to run: ${file.name}: ${(file.message ?? '').split('\n')[0]}`);
  }
  for (const test of tests) {
    if (test.status === 'passed') passed += 1;
    else if (test.status === 'failed') failed += 1;
    else skipped += 1;
  }
}
if (passed + failed === 0) {
  console.log('summarize: the report holds no executed test');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
