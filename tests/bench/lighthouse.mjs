// Lighthouse (npm `lighthouse`, pinned by ./dev.sh bench-lighthouse; Debian Chromium) on the app
// with a real example filled in (`?bundle=pima.bdsx&example=0`), desktop and mobile profiles,
// several runs each; prints the medians (performance, accessibility, best practices, CLS, LCP,
// TBT) as a Markdown table and writes test-results/lighthouse.json. Nothing is asserted: the
// figures go into BENCHMARKS.md. LH_RUNS sets the runs per profile (default 3).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startServer } from '../e2e/helpers.mjs';

const RUNS = Number(process.env.LH_RUNS || 3);
const LH = join(ROOT, 'target', 'lighthouse', 'node_modules', '.bin', 'lighthouse');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const server = await startServer();
const url = `${server.url}?bundle=pima.bdsx&example=0`;
const results = {};
try {
  for (const profile of ['desktop', 'mobile']) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'bedside-lh-'));
      const out = join(dir, 'report.json');
      const args = [url, '--chrome-path=/usr/bin/chromium', '--output=json', `--output-path=${out}`, '--quiet',
        '--only-categories=performance,accessibility,best-practices',
        `--chrome-flags=--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=${join(dir, 'profile')}`];
      if (profile === 'desktop') args.push('--preset=desktop');
      execFileSync(LH, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      const r = JSON.parse(readFileSync(out, 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      runs.push({
        performance: r.categories.performance.score,
        accessibility: r.categories.accessibility.score,
        bestPractices: r.categories['best-practices'].score,
        cls: r.audits['cumulative-layout-shift'].numericValue,
        lcp: r.audits['largest-contentful-paint'].numericValue,
        tbt: r.audits['total-blocking-time'].numericValue,
        fcp: r.audits['first-contentful-paint'].numericValue,
      });
    }
    results[profile] = { runs, median: Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))])) };
  }
} finally {
  server.stop();
}
const chromium = execFileSync('/usr/bin/chromium', ['--version']).toString().trim();
const machine = `${cpus()[0].model}, ${cpus().length} cores; ${chromium}; lighthouse ${execFileSync(LH, ['--version']).toString().trim()}`;
writeFileSync(join(ARTIFACTS, 'lighthouse.json'), JSON.stringify({ date: new Date().toISOString(), machine, url, results }, null, 2));
console.log(`Machine: ${machine}; ${RUNS} runs per profile, medians. URL: ?bundle=pima.bdsx&example=0\n`);
console.log('| profile | performance | accessibility | best practices | CLS | LCP (ms) | TBT (ms) | FCP (ms) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [p, { median: m }] of Object.entries(results)) {
  console.log(`| ${p} | ${m.performance.toFixed(2)} | ${m.accessibility.toFixed(2)} | ${m.bestPractices.toFixed(2)} | ${m.cls.toFixed(3)} | ${m.lcp.toFixed(0)} | ${m.tbt.toFixed(0)} | ${m.fcp.toFixed(0)} |`);
}
