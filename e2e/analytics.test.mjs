// Browser test of the analytics screens (docs/analytics.md, docs/ui.md): on a
// project with golden tasks and a model's predictions, two annotators label
// through the API, one of them right on 3 of 4 golden tasks; the manager's
// quality dashboard shows that golden accuracy with its Wilson interval, the
// sample gallery shows reproducible draws of the labels, and the disagreement
// queue ranks the model's misses first and sends the top one to review.
//
//   cd e2e && node --test analytics.test.mjs

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, startPlumb } from './harness.mjs';

const schema = { controls: [{ name: 'pet', type: 'choice', source: 'text', labels: ['cat', 'dog'] }] };
const choice = (label) => [{ control: 'pet', type: 'choice', values: [label] }];

// Four ordinary tasks, each with the model's guess: the model misses the
// first (dog at 0.9 for a cat: disagreement 1 − (1 − 0.9)/(2 − 1) = 0.9) and
// the fourth (0.6), and gets the other two (1 − p: 0.2 and 0.3).
const ordinary = [
  { text: 'A cat on a mat.', truth: 'cat', model: 'dog', score: 0.9, disagreement: 0.9 },
  { text: 'A dog in the fog.', truth: 'dog', model: 'dog', score: 0.8, disagreement: 0.2 },
  { text: 'A cat in a hat.', truth: 'cat', model: 'cat', score: 0.7, disagreement: 0.3 },
  { text: 'A dog on a log.', truth: 'dog', model: 'cat', score: 0.6, disagreement: 0.6 },
];
const goldenTexts = ['Golden cat one.', 'Golden dog two.', 'Golden cat three.', 'Golden dog four.'];
const goldenTruths = ['cat', 'dog', 'cat', 'dog'];

let plumb;
let admin;
let manager;

/** A session of `username` for calls the harness's helper cannot make (headers, raw bodies). */
async function sessionOf(username) {
  const login = await fetch(`${plumb.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-pass-1` }),
  });
  assert.equal(login.status, 200, `login as ${username}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (method, path, { json, body, headers = {} } = {}) => {
    const res = await fetch(`${plumb.baseUrl}/api/v1${path}`, {
      method,
      headers: { Cookie: cookie, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: json === undefined ? body : JSON.stringify(json),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // CSV or another non-JSON answer stays text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Takes tasks from the queue until it is empty, answering each with `answer(task)`; returns the ids labeled. */
async function labelAll(username, projectId, answer) {
  const call = await sessionOf(username);
  const labeled = [];
  for (;;) {
    const next = await call('POST', `/projects/${projectId}/next`);
    if (next.status === 204) return labeled;
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const { task, lease } = next.body;
    const submitted = await call('POST', `/tasks/${task.id}/annotations`, {
      json: { result: choice(answer(task)), lease_id: lease.id, lead_time_ms: 4000 },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    labeled.push(task.id);
    assert.ok(labeled.length <= 20, 'the queue ends');
  }
}

/** The 95 % Wilson interval of `correct` of `n`. */
function wilson(correct, n) {
  const z = 1.959963984540054;
  const p = correct / n;
  const denominator = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return [center - half, center + half];
}

const percent = (share) => `${(share * 100).toFixed(1)}%`;

before(async () => {
  plumb = await startPlumb();
  admin = await apiAs(plumb.baseUrl, 'admin');
  manager = await apiAs(plumb.baseUrl, 'manager');
});

after(async () => {
  await plumb?.stop();
});

test('the dashboard shows a labeler\'s golden accuracy, the gallery samples labels, the top disagreement goes to review', { timeout: 180_000 }, async () => {
  const ids = {};
  for (const username of ['ann', 'bob']) {
    const created = await admin('POST', '/users', { username, password: `${username}-pass-1`, role: 'annotator' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids[username] = created.body.id;
  }
  const created = await manager('POST', '/projects', { name: 'Pets', schema, settings: { overlap: 2, golden_rate: 0.5 } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const projectId = created.body.id;
  for (const userId of Object.values(ids)) {
    assert.equal((await manager('POST', `/projects/${projectId}/members`, { user_id: userId })).status, 204);
  }

  const records = [...ordinary.map((t) => ({ text: t.text })), ...goldenTexts.map((text) => ({ text }))];
  const imported = await manager('POST', `/projects/${projectId}/tasks`, records);
  assert.equal(imported.status, 201, JSON.stringify(imported.body));
  const { body: page } = await manager('GET', `/projects/${projectId}/tasks?limit=100`);
  const idOf = new Map(page.items.map((t) => [t.data.text, t.id]));
  const truthOf = new Map([
    ...ordinary.map((t) => [idOf.get(t.text), t.truth]),
    ...goldenTexts.map((text, i) => [idOf.get(text), goldenTruths[i]]),
  ]);

  // Golden answers, and the model's predictions for the ordinary tasks (JSONL, all or nothing).
  const goldenIds = goldenTexts.map((text) => idOf.get(text));
  for (const [i, taskId] of goldenIds.entries()) {
    const made = await manager('PUT', `/tasks/${taskId}/golden`, { result: choice(goldenTruths[i]) });
    assert.equal(made.status, 200, JSON.stringify(made.body));
  }
  const call = await sessionOf('manager');
  const jsonl = ordinary
    .map((t) => JSON.stringify({ task_id: idOf.get(t.text), score: t.score, result: choice(t.model) }))
    .join('\n');
  const predicted = await call('POST', `/projects/${projectId}/predictions?format=jsonl&model_name=petnet&model_version=v1`, {
    body: jsonl,
    headers: { 'Content-Type': 'application/x-ndjson' },
  });
  assert.equal(predicted.status, 201, JSON.stringify(predicted.body));
  assert.equal(predicted.body.imported, ordinary.length);

  // ann misses the first golden task; bob is right everywhere. Both agree on the ordinary tasks.
  const missed = goldenIds[0];
  const annLabeled = await labelAll('ann', projectId, (task) =>
    task.id === missed ? (truthOf.get(task.id) === 'cat' ? 'dog' : 'cat') : truthOf.get(task.id),
  );
  const bobLabeled = await labelAll('bob', projectId, (task) => truthOf.get(task.id));
  assert.equal(annLabeled.length, 8, 'ann labels the 4 ordinary and the 4 golden tasks');
  assert.equal(bobLabeled.length, 8);
  const { body: grades } = await manager('GET', `/projects/${projectId}/golden/grades`);
  const annGrade = grades.labelers.find((l) => l.username === 'ann');
  assert.deepEqual([annGrade.graded, annGrade.correct], [4, 3]);
  for (const t of ordinary) assert.equal((await manager('GET', `/tasks/${idOf.get(t.text)}`)).body.state, 'done');

  // The dashboard.
  const { page: browser, problems } = await loggedInPage(plumb, 'manager');
  await browser.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await browser.getByTestId('open-quality').click();
  const annRow = browser.locator('[data-testid="labeler-row"][data-username="ann"]');
  const annGolden = annRow.getByTestId('golden-accuracy');
  await annGolden.waitFor();
  assert.equal(Number(await annGolden.getAttribute('data-value')), 0.75);
  const [low, high] = wilson(3, 4);
  const shown = (await annGolden.textContent()).replace(/\s+/g, ' ');
  assert.ok(shown.startsWith(percent(0.75)), `ann's golden accuracy reads ${shown}`);
  assert.ok(shown.includes(`${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%`), `with its Wilson interval: ${shown}`);
  assert.ok(shown.includes('3/4'), shown);
  const bobGolden = browser.locator('[data-testid="labeler-row"][data-username="bob"]').getByTestId('golden-accuracy');
  assert.equal(Number(await bobGolden.getAttribute('data-value')), 1);
  assert.equal(Number(await browser.getByTestId('summary-golden').getAttribute('data-value')), 7 / 8);
  assert.equal(Number(await browser.getByTestId('summary-labels').getAttribute('data-value')), 16);
  assert.equal(Number(await browser.getByTestId('summary-done').getAttribute('data-value')), ordinary.length);
  assert.equal(await annRow.getByTestId('agreement').getAttribute('data-value'), '1', 'ann agrees with every final label');
  // Both labeled the same on every ordinary task: κ against consensus is 1 (cat and dog both occur).
  assert.equal(await annRow.getByTestId('kappa').getAttribute('data-value'), '1');
  const observed = browser.getByTestId('confusion-observed');
  await observed.waitFor();
  assert.deepEqual(
    await observed.locator('td').evaluateAll((cells) => cells.map((c) => Number(c.dataset.value))),
    [4, 0, 0, 4],
    'two annotators × two tasks per class, all on the diagonal',
  );
  const csvHref = await browser.getByTestId('labelers-csv').getAttribute('href');
  const csv = await browser.request.get(`${plumb.baseUrl}${csvHref}`);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /^text\/csv/);
  assert.match(await csv.text(), /golden\.accuracy/);
  await browser.screenshot({ path: '/tmp/plumb-quality.png', fullPage: true });

  // The gallery: a seeded draw of the labels, the same again with the same seed.
  await browser.getByTestId('nav-gallery').click();
  const cards = browser.getByTestId('sample-card');
  await cards.first().waitFor();
  const count = await cards.count();
  assert.ok(count > 0 && count <= 16, `${count} sampled labels`);
  for (const chip of await browser.getByTestId('sample-chip').allTextContents()) assert.ok(['cat', 'dog'].includes(chip), chip);
  for (const text of await browser.getByTestId('sample-text').allTextContents()) {
    assert.ok(records.some((r) => r.text === text), `a card shows its task's text: ${text}`);
  }
  const order = async () => cards.evaluateAll((all) => all.map((c) => `${c.dataset.taskId}/${c.dataset.username}`));
  const seed = await browser.getByTestId('gallery-seed').inputValue();
  assert.ok(seed, 'the seed of the draw is shown');
  const first = await order();
  await browser.reload();
  await cards.first().waitFor();
  assert.equal(await browser.getByTestId('gallery-seed').inputValue(), seed, 'the seed stays in the address');
  assert.deepEqual(await order(), first, 'the same seed draws the same sample');
  await browser.getByTestId('gallery-reshuffle').click();
  await browser.waitForFunction((old) => document.querySelector('[data-testid="gallery-seed"]')?.value !== old, seed);
  assert.notEqual(await browser.getByTestId('gallery-seed').inputValue(), seed, 'reshuffle draws with another seed');
  await browser.getByTestId('gallery-user').selectOption(String(ids.bob));
  await browser.waitForFunction(() => {
    const all = [...document.querySelectorAll('[data-testid="sample-card"]')];
    return all.length > 0 && all.every((c) => c.dataset.username === 'bob');
  });
  await browser.screenshot({ path: '/tmp/plumb-gallery.png', fullPage: true });

  // The disagreement queue: the model's misses first; the top one goes to review.
  await browser.getByTestId('nav-disagreements').click();
  const rows = browser.getByTestId('disagreement-row');
  await rows.first().waitFor();
  const ranked = await rows.evaluateAll((all) => all.map((r) => [Number(r.dataset.taskId), Number(r.dataset.score)]));
  const expected = [...ordinary].sort((a, b) => b.disagreement - a.disagreement);
  assert.deepEqual(ranked.map(([taskId]) => taskId), expected.map((t) => idOf.get(t.text)));
  for (const [i, [, score]] of ranked.entries()) assert.ok(Math.abs(score - expected[i].disagreement) < 1e-9, `score ${score}`);
  const top = idOf.get(expected[0].text);
  await browser.getByTestId('top-k').fill('1');
  await browser.getByTestId('send-top-k').click();
  await browser.getByTestId('top-k-sent').waitFor();
  assert.match(await browser.getByTestId('top-k-sent').textContent(), new RegExp(`Sent 1 task to review \\(${top}\\)`));
  assert.equal((await manager('GET', `/tasks/${top}`)).body.state, 'reviewing');
  await browser.locator(`[data-testid="disagreement-row"][data-task-id="${top}"][data-state="reviewing"]`).waitFor();
  assert.equal((await manager('GET', `/tasks/${idOf.get(expected[1].text)}`)).body.state, 'done', 'only the top one was sent');
  await browser.screenshot({ path: '/tmp/plumb-disagreements.png', fullPage: true });
  assert.deepEqual(problems, []);
  await browser.close();
});

test('a project without labels shows the empty states; an annotator can open none of the screens', { timeout: 60_000 }, async () => {
  const created = await manager('POST', '/projects', { name: 'Empty pets', schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const projectId = created.body.id;
  const { page, problems } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/quality`);
  await page.getByTestId('summary-empty').waitFor();
  await page.getByTestId('labelers-empty').waitFor();
  assert.equal(await page.getByTestId('summary-golden').locator('.stat-value').textContent(), '—', 'no golden grade reads —, not 0');
  await page.getByTestId('nav-gallery').click();
  await page.getByTestId('gallery-empty').waitFor();
  await page.getByTestId('nav-disagreements').click();
  await page.getByTestId('disagreements-empty').waitFor();
  assert.deepEqual(problems, []);
  await page.close();

  const annotator = await apiAs(plumb.baseUrl, 'annotator');
  assert.equal((await annotator('GET', `/projects/${projectId}/analytics/summary`)).status, 403);
  const { page: theirs } = await loggedInPage(plumb, 'annotator');
  for (const screen of ['quality', 'gallery', 'disagreements']) {
    await theirs.goto(`${plumb.baseUrl}/projects/${projectId}/${screen}`);
    await theirs.getByText('Only managers and admins can open this page.').waitFor();
  }
  await theirs.close();
});
