// Similar cases and teaching mode in Debian Chromium: the neighbours the page shows are the
// ones `bedside similar` prints, filters apply, the quiz runs once end to end, the library
// table sorts, a CSV library loads (with its bad rows listed) without leaving the page, and
// nothing is requested from anywhere but our own static files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, BIN, serveAndLaunch, recordedPage, readCsv } from './helpers.mjs';

const env = serveAndLaunch();

const PIMA = join(ROOT, 'static', 'bundles', 'pima.bdsx');
const FEATURES = ['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'];

function cliSimilar(patient, args = []) {
  const out = execFileSync(BIN, ['similar', '--bundle', PIMA, '--patient', '-', ...args], { input: JSON.stringify(patient) });
  return JSON.parse(out.toString());
}

async function shownNeighbours(page, scope = '#assess-similar') {
  await page.locator(`${scope} .neighbour`).first().waitFor();
  return page.$$eval(`${scope} .neighbour`, (els) => els.map((e) => ({
    case: Number(e.dataset.case), distance: Number(e.dataset.distance), outcome: Number(e.dataset.outcome),
  })));
}

test('similar cases match the CLI, filters apply before ranking, weighting changes the order', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  const row = readCsv(join(ROOT, 'data', 'pima_te.csv'))[5];
  const patient = Object.fromEntries(FEATURES.map((k) => [k, Number(row[k])]));
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  for (const [k, v] of Object.entries(patient)) await page.fill(`#f-${k}`, String(v));

  const shown = await shownNeighbours(page);
  const cli = cliSimilar(patient);
  assert.equal(shown.length, 10);
  assert.deepEqual(shown.map((n) => n.case), cli.neighbours.map((n) => n.case));
  for (const [i, n] of shown.entries()) {
    assert.ok(Math.abs(n.distance - cli.neighbours[i].distance) <= 1e-12, `neighbour ${i}`);
  }
  // The outcome mix counts what is listed, next to the model's estimate.
  const mix = await page.$$eval('#assess-similar .outcome-mix li', (els) => els.map((e) => Number(e.dataset.count)));
  assert.deepEqual(mix, cli.outcome_counts);
  assert.match(await page.textContent('#assess-similar .outcome-mix'), /the model estimates \d+\.\d %/);
  await page.locator('#case-map circle.nb').first().waitFor();
  assert.equal(await page.locator('#case-map circle.nb').count(), 10);
  // Every case is a dot on the map (one path of dots per outcome; each path says how many).
  const dots = () => page.$$eval('#case-map path.pt', (els) => els.reduce((n, e) => n + Number(e.dataset.points), 0));
  assert.equal(await dots(), 300);
  // ... and really draws that many.
  const drawn = await page.$$eval('#case-map path.pt', (els) => els.map((e) => [(e.getAttribute('d').match(/M/g) || []).length, Number(e.dataset.points)]));
  for (const [moves, points] of drawn) assert.equal(moves, points);

  // Weighted by relevance: same as the CLI's --weighted.
  await page.check('#assess-similar .weighted');
  await page.waitForFunction(() => document.querySelector('#assess-similar .weighted').checked);
  const weighted = await shownNeighbours(page);
  assert.deepEqual(weighted.map((n) => n.case), cliSimilar(patient, ['--weighted']).neighbours.map((n) => n.case));
  await page.uncheck('#assess-similar .weighted');

  // Only cases with diabetes, then only an age band: every neighbour passes, still ten of them.
  await page.selectOption('#assess-similar .outcome-filter', '1');
  await page.waitForFunction(() => [...document.querySelectorAll('#assess-similar .neighbour')].every((e) => e.dataset.outcome === '1'));
  assert.equal((await shownNeighbours(page)).length, 10);
  await page.selectOption('#assess-similar .outcome-filter', '');
  await page.screenshot({ path: join(ARTIFACTS, 'similar-cases.png'), fullPage: true });
  await context.close();
  check();
});

test('teaching mode: the quiz runs once, the library sorts and a case opens into the form', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  await page.click('#tab-teach');
  await page.click('#quiz-start');
  await page.locator('.quiz-case .answer').first().waitFor();
  assert.equal(await page.getAttribute('#quiz-score', 'data-answered'), '0');
  await page.click('.quiz-case .answer[data-class="1"]');
  await page.locator('#quiz-reveal').waitFor();
  const truth = await page.getAttribute('#quiz-truth', 'data-class');
  const correct = truth === '1';
  assert.equal(await page.getAttribute('#quiz-verdict', 'data-correct'), String(correct));
  assert.equal(await page.getAttribute('#quiz-score', 'data-answered'), '1');
  assert.equal(await page.getAttribute('#quiz-score', 'data-correct'), correct ? '1' : '0');
  // The reveal shows the model, its explanation and the similar cases (never the case itself).
  await page.locator('#quiz-model').waitFor();
  // A training case's probability comes from a model that did not see it (out of fold).
  assert.equal(await page.getAttribute('#quiz-model', 'data-held-out'), 'true');
  assert.match(await page.locator('#quiz-model').textContent(), /did not see this case/);
  await page.locator('#quiz-reveal .contrib').first().waitFor();
  const quizCase = await page.getAttribute('.quiz-case', 'data-case');
  const nbs = await shownNeighbours(page, '#quiz-similar');
  assert.ok(nbs.length > 0 && nbs.every((n) => String(n.case) !== quizCase));
  await page.screenshot({ path: join(ARTIFACTS, 'quiz.png'), fullPage: true });
  await page.click('#quiz-next');
  await page.locator('#quiz-reveal').waitFor({ state: 'detached' });

  // Sort the library by glucose, descending on the second click.
  const glu = () => page.$$eval('#library-table tbody tr', (rows) => rows.map((r) => parseFloat(r.children[2].textContent)));
  await page.click('#library-table .sort[data-col="glu"]');
  let values = await glu();
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  await page.click('#library-table .sort[data-col="glu"]');
  values = await glu();
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  assert.equal(values.length, 25);
  await page.click('#browse-more');
  assert.equal((await glu()).length, 50);
  await page.selectOption('#browse-outcome', '1');
  const withDiabetes = readCsv(join(ROOT, 'data', 'pima_tr2.csv')).filter((r) => r.type === 'Yes').length;
  assert.equal(await page.textContent('#browse-count'), `25 / ${withDiabetes} shown`);

  // Open the top row and assess it: the form is filled with its values.
  await page.click('#library-table tbody tr:first-child .open');
  await page.locator('#open-case').waitFor();
  await page.click('#assess-case');
  await page.locator('#f-glu').waitFor();
  assert.equal(Number(await page.inputValue('#f-glu')), values[0]);
  await page.locator('.prob').first().waitFor();
  await context.close();
  check();
});

test('a case library loaded from CSV stays in the page, lists its bad rows and is searched', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  // Every request with its method and body: nothing may carry data out (the CSV is read in
  // the page, by the UI build itself).
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  const te = readFileSync(join(ROOT, 'data', 'pima_te.csv'), 'utf8').trim().split('\n');
  const header = te[0];
  const bad = [`1,abc,70,30,30,0.5,40,No`, `1,120,70,30,30,0.5,40,Maybe`, `1,900,70,30,30,0.5,40,No`];
  const csv = [header, ...te.slice(1, 41), ...bad].join('\n') + '\n';
  const file = join(ARTIFACTS, 'library.csv');
  writeFileSync(file, csv);
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0`);
  await page.locator('.prob').first().waitFor();
  const before = requests.length;
  await page.setInputFiles('#library-file', file);
  await page.locator('#library-skipped').waitFor();
  assert.match(await page.textContent('#library-source'), /library\.csv \(40 cases\)/);
  const skipped = await page.textContent('#library-skipped');
  assert.match(skipped, /3 rows could not be used/);
  assert.match(skipped, /row 41, column `glu`: `abc` is not a number/);
  assert.match(skipped, /row 42, column `type`: `Maybe` is not one of the target classes/);
  assert.match(skipped, /row 43: .*900 mg\/dL is outside the plausible range 20–600 mg\/dL/);
  assert.match(await page.textContent('#assess-similar .scope'), /^40 cases in the library/);
  assert.equal(await page.$$eval('#case-map path.pt', (els) => els.reduce((n, e) => n + Number(e.dataset.points), 0)), 40);
  // Reading the file made no request at all.
  const after = requests.slice(before);
  assert.deepEqual(after.filter((r) => r.method !== 'GET' || r.body !== null), [], 'a request after loading sent something');
  assert.ok(after.every((r) => !r.url.includes('?') && !r.url.includes('library')), `requests after loading: ${after.map((r) => r.url).join(', ')}`);

  // A file with no usable header is refused with the reason, and the previous library stays.
  const broken = join(ARTIFACTS, 'broken.csv');
  writeFileSync(broken, 'a,b\n1,2\n');
  await page.setInputFiles('#library-file', broken);
  await page.locator('#library-error').waitFor();
  assert.match(await page.textContent('#library-error'), /column `npreg` is missing from the CSV header/);
  assert.match(await page.textContent('#library-source'), /library\.csv/);
  await page.click('#library-reset');
  assert.match(await page.textContent('#library-source'), /300 training cases/);
  await context.close();
  check();
});
