// Checks a tool's --json output against the published schema
// (schema/packet-lab-output.schema.json) with ajv, plus the rules a JSON
// Schema cannot state for a stream: one summary object, and last; and *Ms
// numbers rounded to what was measured.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPOSITORY } from './run-tool.ts';

export const OUTPUT_SCHEMA_PATH = `${REPOSITORY}schema/packet-lab-output.schema.json`;

let validator: ReturnType<Ajv2020['compile']> | undefined;

function validate(record: unknown): boolean {
  if (!validator) {
    const schema = JSON.parse(readFileSync(OUTPUT_SCHEMA_PATH, 'utf8'));
    validator = new Ajv2020({ allErrors: true, discriminator: true }).compile(schema);
  }
  return validator(record) as boolean;
}

/** Durations read from nanosecond captures keep 6 decimals; every other *Ms number at most 3. */
const NANOSECOND_DURATIONS = new Set(['relativeTimeMs', 'responseTimeMs']);

function decimals(value: number): number {
  const text = String(value);
  if (text.includes('e')) return Infinity;
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

function roundingProblems(value: unknown, path: string, problems: string[]): void {
  if (Array.isArray(value)) value.forEach((item, i) => roundingProblems(item, `${path}[${i}]`, problems));
  else if (value !== null && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'number' && key.endsWith('Ms')) {
        const allowed = NANOSECOND_DURATIONS.has(key) ? 6 : 3;
        if (decimals(field) > allowed) problems.push(`${path}.${key} = ${field}: more than ${allowed} decimals`);
      } else roundingProblems(field, `${path}.${key}`, problems);
    }
  }
}

export interface CheckedOutput {
  readonly records: Array<Record<string, any>>;
  /** Empty when the output keeps to the schema. */
  readonly problems: string[];
}

/**
 * Parses newline-delimited --json output and lists every way it breaks the
 * schema. `tool` is the name start and summary objects must carry.
 */
export function checkJsonOutput(stdout: string, tool: string): CheckedOutput {
  const problems: string[] = [];
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records: Array<Record<string, any>> = [];
  lines.forEach((line, i) => {
    let record: Record<string, any>;
    try {
      record = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
      return;
    }
    records.push(record);
    if (!validate(record)) {
      for (const error of validator!.errors ?? []) problems.push(`line ${i + 1} (${record.type}): ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    }
    roundingProblems(record, `line ${i + 1}`, problems);
    if ((record.type === 'start' || record.type === 'summary') && record.tool !== tool) problems.push(`line ${i + 1}: tool ${record.tool}, expected ${tool}`);
  });
  const summaries = records.filter((r) => r.type === 'summary').length;
  if (summaries !== 1) problems.push(`${summaries} summary objects, expected one`);
  else if (records.at(-1)?.type !== 'summary') problems.push('the summary object is not the last');
  return { records, problems };
}
