#!/usr/bin/env node
/**
 * `npm test`: every tier in one run, with progress, and a closing line `N passed, N failed`.
 *   checks       lint (module boundaries included), type-check, build (gateway + portal)
 *   unit         *.spec.ts beside the code (jest, all projects)
 *   integration  *.int-spec.ts against the real PostgreSQL and Redis (incl. the entity/migration check)
 *   e2e          e2e/api (built gateway vs local upstreams) and e2e/portal (Chromium via playwright-core)
 * Each check counts as one test; jest tiers count their tests. Exit code 1 on any failure.
 * `npm test -- --only=unit,integration` runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'test-output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const only = (process.argv.find((a) => a.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
const env = {
  ...process.env,
  CI: 'true',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NG_CLI_ANALYTICS: 'false',
  SCARF_ANALYTICS: 'false',
  FORCE_COLOR: '0',
};
const vmModules = { NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning' };

const steps = [
  {
    name: 'lint',
    kind: 'check',
    cmd: 'npx nx run-many -t lint --output-style=static && npx eslint --max-warnings=0 e2e tools && npx prettier --check . --log-level warn',
  },
  {
    name: 'typecheck',
    kind: 'check',
    cmd: 'npx tsc -p apps/gateway/tsconfig.app.json --noEmit && npx tsc -p tsconfig.test.json --noEmit && npx tsc -p libs/portal/data-access/tsconfig.lib.json --noEmit',
  },
  { name: 'build', kind: 'check', cmd: 'npx nx run-many -t build -p gateway portal --output-style=static' },
  // Two worker processes, each recycled past 1 GiB: run in band, ~1,200 specs (Angular TestBed
  // included) outgrow a single heap.
  { name: 'unit', kind: 'jest', cmd: 'npx jest -c jest.config.ts --ci --silent --maxWorkers=2 --workerIdleMemoryLimit=1GB' },
  { name: 'integration', kind: 'jest', cmd: 'npx jest -c jest.int.config.cts --ci', env: vmModules },
  { name: 'e2e', kind: 'jest', cmd: 'npx jest -c e2e/jest.config.cts --ci --runInBand' },
].filter((s) => only.length === 0 || only.includes(s.name));

let passed = 0;
let failed = 0;
const rows = [];
const started = Date.now();
for (const [i, step] of steps.entries()) {
  const t0 = Date.now();
  process.stdout.write(`\n▶ [${i + 1}/${steps.length}] ${step.name}: ${step.cmd}\n`);
  const json = join(out, `${step.name}.json`);
  const cmd = step.kind === 'jest' ? `${step.cmd} --json --outputFile=${json}` : step.cmd;
  const result = spawnSync(cmd, { cwd: root, stdio: 'inherit', shell: true, env: { ...env, ...(step.env ?? {}) } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  let p = 0;
  let f = 0;
  if (step.kind === 'jest' && existsSync(json)) {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    p = report.numPassedTests;
    f = report.numFailedTests + report.numRuntimeErrorTestSuites;
    if (report.numTotalTests === 0) f += 1; // a tier that ran no test is a failure
    if (result.status !== 0 && f === 0) f = 1;
  } else if (result.status === 0) p = 1;
  else f = 1;
  passed += p;
  failed += f;
  rows.push(`${step.name.padEnd(12)} ${String(p).padStart(4)} passed ${String(f).padStart(3)} failed  ${secs}s`);
  process.stdout.write(`◀ ${step.name}: ${f === 0 ? 'ok' : 'FAILED'} (${p} passed, ${f} failed, ${secs}s)\n`);
}
const summary = `${passed} passed, ${failed} failed`;
process.stdout.write(`\nSummary (${((Date.now() - started) / 1000).toFixed(0)} s)\n${rows.map((r) => '  ' + r).join('\n')}\n`);
writeFileSync(join(out, 'summary.txt'), summary + '\n');
process.stdout.write(summary + '\n');
process.exit(failed === 0 ? 0 : 1);
