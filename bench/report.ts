// Writes a benchmark's section into docs/benchmarks.md, between <!-- NAME:begin --> and <!-- NAME:end -->.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';

const DOC = new URL('../docs/benchmarks.md', import.meta.url);

export function machineLine(): string {
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  return `${cpus().length} × ${cpus()[0]?.model.trim()}, Linux ${kernel}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function writeSection(name: string, markdown: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} section`);
  writeFileSync(DOC, `${doc.slice(0, from + begin.length)}\n${markdown.trim()}\n${doc.slice(to)}`);
}

export const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** Median CPU µs per record of `task`, which handles `records` records, over `rounds` rounds after two warm-ups. */
export function cpuPerRecord(task: () => unknown, records: number, rounds: number): number {
  for (let warm = 0; warm < 2; warm++) task();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    task();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / records);
  }
  return median(samples);
}
