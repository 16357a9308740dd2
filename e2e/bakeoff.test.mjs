// Browser test of bake-offs (docs/bakeoffs.md): a manager labels three tasks
// as golden answers in the UI, freezes them as a golden set and starts a
// bake-off of an internal workforce against a vendor; the workforce's member
// labels the golden tasks as ordinary tasks in the labeling view (one of
// them wrong); the vendor's CSV comes back through the bake-off page; the
// report ranks the vendor first and its HTML export is escaped.
//
//   cd e2e && node --test bakeoff.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, startPlumb } from './harness.mjs';

const schema = { controls: [{ name: 'pet', type: 'choice', source: 'text', labels: ['cat', 'dog'] }] };
// The truth is in the text, so that whoever labels can be told what to answer.
const texts = ['A cat naps.', 'A dog runs.', 'A cat eats.', 'A dog barks.', 'A cat sits.'];
const truth = (text) => (text.includes('cat') ? 'cat' : 'dog');
const vendorName = '<i>Acme</i> & Sons';

let plumb;

before(async () => {
  plumb = await startPlumb();
});

after(async () => {
  await plumb?.stop();
});

/** The task on screen once it is not `previousId`. */
async function nextTask(page, previousId) {
  const task = page.locator(`[data-testid="task"]:not([data-task-id="${previousId}"])`);
  await task.waitFor();
  return { id: Number(await task.getAttribute('data-task-id')), text: await task.getByTestId('task-text').textContent() };
}

test('a bake-off of a workforce and a vendor, from golden labels in the UI to the report', { timeout: 180_000 }, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const made = await admin('POST', '/users', { username: 'ann', password: 'ann-pass-1', role: 'annotator' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const created = await manager('POST', '/projects', { name: 'Pets bake-off', schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const projectId = created.body.id;
  assert.equal((await manager('POST', `/projects/${projectId}/tasks`, texts.map((text) => ({ text })))).status, 201);
  const workforce = await manager('POST', '/workforces', {
    name: 'In-house',
    kind: 'internal',
    pricing: { model: 'per_label', rate: 0.5, currency: 'USD' },
  });
  assert.equal(workforce.status, 201, JSON.stringify(workforce.body));
  const wf = workforce.body.id;
  assert.equal((await manager('POST', `/workforces/${wf}/members`, { user_id: made.body.id })).status, 204);
  assert.equal((await manager('POST', `/projects/${projectId}/workforces`, { workforce_id: wf })).status, 204);

  // The expert labels the first three tasks as golden answers.
  const { page, problems } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await page.getByTestId('open-bakeoffs').click();
  await page.getByTestId('bakeoffs-screen').waitFor();
  await page.getByRole('link', { name: 'Label golden tasks' }).click();
  let shown = -1;
  const golden = [];
  for (let i = 0; i < 3; ++i) {
    const task = await nextTask(page, shown);
    shown = task.id;
    await page.keyboard.press(truth(task.text) === 'cat' ? '1' : '2');
    await page.keyboard.press('Enter');
    golden.push(task);
  }
  await nextTask(page, shown);
  assert.equal(golden.length, 3);
  for (const t of golden) assert.equal((await manager('GET', `/tasks/${t.id}`)).body.golden, true);

  // A golden set of them, and a bake-off of the workforce against a vendor.
  await page.getByTestId('nav-bakeoffs').click();
  await page.getByTestId('golden-set-name').fill('pets');
  await page.getByTestId('golden-set-create').click();
  await page.getByTestId('golden-sets').getByText('pets v1: 3 tasks').waitFor();
  await page.getByTestId('bakeoff-name').fill('Q1 pets');
  await page.getByTestId(`bakeoff-workforce-${wf}`).check();
  await page.getByTestId('add-vendor').click();
  await page.getByTestId('vendor-name-0').fill(vendorName);
  await page.getByTestId('vendor-format-0').selectOption('csv');
  await page.getByTestId('vendor-rate-0').fill('0.2');
  await page.getByTestId('bakeoff-create').click();
  await page.getByTestId('bakeoff-title').waitFor();
  assert.equal(await page.getByTestId('bakeoff-title').textContent(), 'Bake-off: Q1 pets');
  const bakeoffId = Number(new URL(page.url()).pathname.split('/').pop());
  const { body: bakeoff } = await manager('GET', `/projects/${projectId}/bakeoffs/${bakeoffId}`);
  const team = bakeoff.candidates.find((c) => c.kind === 'workforce');
  const vendor = bakeoff.candidates.find((c) => c.kind === 'vendor');
  assert.equal(vendor.name, vendorName);

  // Ann labels in the ordinary labeling view: the three golden tasks come
  // first, unmarked; she gets the second one wrong.
  const { page: annPage, problems: annProblems } = await loggedInPage(plumb, 'ann');
  await annPage.goto(`${plumb.baseUrl}/projects/${projectId}/label`);
  shown = -1;
  const seen = [];
  for (let i = 0; i < 3; ++i) {
    const task = await nextTask(annPage, shown);
    shown = task.id;
    seen.push(task.id);
    assert.ok(!(await annPage.content()).toLowerCase().includes('golden'), 'nothing on the page says golden');
    const right = truth(task.text);
    const answer = i === 1 ? (right === 'cat' ? 'dog' : 'cat') : right;
    await annPage.keyboard.press(answer === 'cat' ? '1' : '2');
    await annPage.keyboard.press('Enter');
  }
  assert.deepEqual(new Set(seen), new Set(golden.map((t) => t.id)), 'the golden tasks came first');
  const after = await nextTask(annPage, shown);
  assert.ok(!golden.some((t) => t.id === after.id), 'then an ordinary task');
  assert.deepEqual(annProblems, []);
  await annPage.close();

  // The vendor's file: the tasks without answers out, its answers back in.
  await page.reload();
  await page.getByTestId(`labels-${team.id}`).getByText('3 / 3').waitFor();
  const href = await page.getByTestId(`export-${vendor.id}`).getAttribute('href');
  const sent = await page.request.get(`${plumb.baseUrl}${href}`);
  assert.equal(sent.status(), 200);
  const lines = (await sent.text()).trim().split(/\r?\n/);
  assert.equal(lines[0], 'id,text,pet');
  assert.equal(lines.length, 4);
  const returned = ['id,text,pet', ...lines.slice(1).map((line) => {
    const [id, text] = line.split(',');
    assert.match(line, /,$/, 'the answer column is empty in the file sent');
    return `${id},${text},${truth(text)}`;
  })].join('\n');
  await page.getByTestId(`import-${vendor.id}`).setInputFiles({ name: 'acme.csv', mimeType: 'text/csv', buffer: Buffer.from(returned) });
  await page.getByTestId(`imported-${vendor.id}`).getByText('Imported 3 labels').waitFor();

  // The report: the vendor (right on all three, and cheaper) ranks first.
  const report = page.getByTestId('bakeoff-report');
  await page.getByTestId('rank-1').getByText(vendorName).waitFor();
  assert.match(await page.getByTestId('rank-2').textContent(), /In-house/);
  assert.match(await page.getByTestId(`figure-${team.id}-pet-accuracy`).textContent(), /^0\.667 \[/);
  assert.match(await page.getByTestId(`figure-${vendor.id}-pet-accuracy`).textContent(), /^1\.000 \[/);
  assert.match(await page.getByTestId('comparison').textContent(), /not significant/, 'three tasks prove nothing');
  await page.getByTestId('tradeoff-chart').locator('canvas').waitFor();
  assert.equal(await page.getByTestId(`worst-${team.id}`).locator('li').count(), 1);
  assert.equal(await report.locator('i').count(), 0, 'the vendor name is text, not markup');

  // Weights: on speed and cost only, the report is asked again.
  await page.getByTestId('weight-accuracy').fill('0');
  await page.getByTestId('rank-1').waitFor();

  // The HTML export: one self-contained, escaped page.
  const htmlHref = await page.getByTestId('report-html').getAttribute('href');
  const html = await page.request.get(`${plumb.baseUrl}${htmlHref}`);
  assert.equal(html.status(), 200);
  assert.match(html.headers()['content-type'], /^text\/html/);
  const body = await html.text();
  assert.ok(body.includes('&lt;i&gt;Acme&lt;/i&gt; &amp; Sons'), 'the vendor name is escaped');
  assert.ok(!body.includes('<i>Acme'), 'and never markup');
  assert.ok(!body.includes('<script'), 'no script');
  const jsonHref = await page.getByTestId('report-json').getAttribute('href');
  const json = await (await page.request.get(`${plumb.baseUrl}${jsonHref}`)).json();
  assert.equal(json.candidates.length, 2);
  await page.screenshot({ path: '/tmp/plumb-bakeoff.png', fullPage: true });

  // The project keeps its history of bake-offs.
  await page.getByRole('link', { name: 'all bake-offs' }).click();
  await page.getByTestId(`open-bakeoff-${bakeoffId}`).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});
