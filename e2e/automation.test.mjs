// Browser test of automation (docs/automation.md) against the real server
// and a real ML backend this test runs on loopback (Plumb's protocol): a
// manager adds the backend on the Automation screen; an import is
// pre-labeled in the background; the annotator's task opens with the model's
// spans as editable regions; she fixes one and submits; the acceptance
// statistics count the label as edited, and the export keeps the model's
// prediction apart from her label. The span pre-labeler and the learner
// with its queue order are set on the same screen, a bad pattern refused
// with its label and pattern named.
//
//   cd e2e && node --test automation.test.mjs

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import {
  apiAs,
  exportedTask,
  loggedInPage,
  openLabeling,
  projectWithTasks,
  selectText,
  spans,
  startPlumb,
} from './harness.mjs';

let plumb;
let backend;
const predictCalls = [];

/** Spans of `needle` in `text` in code points. */
function span(text, needle, label) {
  const u16 = text.indexOf(needle);
  const start = [...text.slice(0, u16)].length;
  return { control: 'entities', type: 'span', label, start, end: start + [...needle].length, text: needle };
}

/** The project's newest prediction job once it has ended (or after 10 s). */
async function newestJobEnded(manager, projectId) {
  let job;
  for (let i = 0; i < 100; i++) {
    job = (await manager('GET', `/projects/${projectId}/prediction-jobs`)).body.items[0];
    if (job && job.state !== 'queued' && job.state !== 'running') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return job;
}

before(async () => {
  plumb = await startPlumb();
  // The model: "Zoë" is a person, and (wrongly) so is "Zürich".
  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/health') return res.end(JSON.stringify({ model_version: 'ner-1' }));
      if (req.url !== '/predict') return res.end('{}');
      const request = JSON.parse(body);
      predictCalls.push(request);
      const results = request.tasks.map((t) => ({
        task_id: t.id,
        score: 0.66,
        result: [span(t.data.text, 'Zoë', 'PER'), span(t.data.text, 'Zürich', 'PER')],
      }));
      res.end(JSON.stringify({ model_version: 'ner-1', results }));
    });
  });
  await new Promise((ok) => backend.listen(0, '127.0.0.1', ok));
});

after(async () => {
  await plumb?.stop();
  await new Promise((ok) => (backend ? backend.close(ok) : ok()));
});

test('a pre-labeled task opens editable; a fixed region counts as edited', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const schema = { controls: [{ name: 'entities', type: 'span', source: 'text', labels: ['PER', 'LOC'] }] };
  const projectId = await projectWithTasks(manager, 'Automated entities', schema, []);

  // The manager adds the backend on the Automation screen.
  const { page: screen, problems: screenProblems } = await loggedInPage(plumb, 'manager');
  await screen.goto(`${plumb.baseUrl}/projects/${projectId}/automation`);
  await screen.getByTestId('backend-name').fill('ner');
  await screen.getByTestId('backend-url').fill(`http://127.0.0.1:${backend.address().port}`);
  await screen.getByTestId('add-backend').click();
  const row = screen.getByTestId('backend-ner');
  await row.waitFor();
  // The health check runs in the background; the screen polls until it is in.
  await row.getByTestId('backend-health').filter({ hasText: 'ok' }).waitFor();
  assert.match(await row.getByTestId('backend-health').textContent(), /ner-1/);

  // An import is pre-labeled by a background job.
  const text = 'Zoë flew from Zürich to 東京.';
  assert.equal((await manager('POST', `/projects/${projectId}/tasks`, [{ data: { text } }])).status, 201);
  const job = await newestJobEnded(manager, projectId);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.predicted, 1);
  assert.equal(predictCalls.length, 1);
  await screen.reload();
  await screen.getByTestId(`job-${job.id}`).getByTestId('job-state').filter({ hasText: 'done' }).waitFor();

  // The annotator's task opens with the model's spans as regions.
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, projectId);
  await page.getByTestId('prelabel').waitFor();
  const zoe = span(text, 'Zoë', 'PER');
  const zurich = span(text, 'Zürich', 'LOC');
  assert.deepEqual(await spans(page), [`PER@${zoe.start}-${zoe.end}`, `PER@${zurich.start}-${zurich.end}`]);
  // She fixes "Zürich": removes the model's span, marks it LOC (key 2), submits.
  await page.locator('.span-mark', { hasText: 'Zürich' }).click();
  await page.keyboard.press('Delete');
  await selectText(page, 'Zürich');
  await page.keyboard.press('2');
  assert.deepEqual(await spans(page), [`PER@${zoe.start}-${zoe.end}`, `LOC@${zurich.start}-${zurich.end}`]);
  await page.getByTestId('submit').click();
  await page.locator(`[data-testid="task"][data-task-id="${taskId}"]`).waitFor({ state: 'detached' });

  // The acceptance statistics count it as edited, on the screen and in the API.
  await screen.reload();
  const acceptance = screen.getByTestId('acceptance-ner');
  await acceptance.waitFor();
  assert.equal(await acceptance.getByTestId('edited').textContent(), '1');
  assert.equal(await acceptance.getByTestId('unchanged').textContent(), '0');
  assert.equal(await acceptance.getByTestId('discarded').textContent(), '0');
  const stats = (await manager('GET', `/projects/${projectId}/automation/stats`)).body;
  assert.equal(stats.models[0].model_version, 'ner-1');
  assert.equal(stats.time_per_task.with_prelabel.labels, 1);
  // The model got one of two spans right: accuracy 1/2 on the learning curve.
  assert.equal(stats.accuracy[0].points[0].accuracy, 0.5);
  await screen.getByTestId('learning-curve').waitFor();

  // The export: her label is the annotation; the model's spans stay a prediction.
  const record = await exportedTask(manager, projectId, taskId);
  assert.deepEqual(
    record.annotations[0].result.map(({ label, start, end }) => `${label}@${start}-${end}`),
    [`PER@${zoe.start}-${zoe.end}`, `LOC@${zurich.start}-${zurich.end}`],
  );
  const { body: predictions } = await manager('GET', `/tasks/${taskId}/predictions`);
  assert.deepEqual(
    predictions.items[0].result.map(({ label }) => label),
    ['PER', 'PER'],
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(screenProblems, []);
  await page.close();
  await screen.close();
});

test('the span pre-labeler and the learner are set on the Automation screen', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const schema = {
    controls: [
      { name: 'entities', type: 'span', source: 'text', labels: ['PER', 'LOC'] },
      { name: 'tone', type: 'choice', source: 'text', labels: ['calm', 'angry'] },
    ],
  };
  const projectId = await projectWithTasks(manager, 'Gazetteer entities', schema, []);
  const { page: screen, problems } = await loggedInPage(plumb, 'manager');
  await screen.goto(`${plumb.baseUrl}/projects/${projectId}/automation`);

  // A bad pattern is refused with the label and the pattern named; nothing is saved.
  const per = screen.getByTestId('span-rules-PER');
  await per.getByTestId('span-terms').fill('Zoë\nAda Lovelace');
  await per.getByTestId('span-patterns').fill('Dr\\. [A-Z');
  await screen.getByTestId('save-spans').click();
  const error = screen.getByTestId('span-error');
  await error.waitFor();
  assert.match(await error.textContent(), /labels\.PER\.patterns\[0\]/);
  assert.match(await error.textContent(), /Dr\\\. \[A-Z/);
  assert.equal((await manager('GET', `/projects/${projectId}/span-prelabeler`)).status, 404);

  // Fixed, it saves and adds its backend; an import then gets the spans.
  await per.getByTestId('span-patterns').fill('\\bDr\\. [A-Z][a-z]+');
  await screen.getByTestId('span-rules-LOC').getByTestId('span-terms').fill('東京');
  await screen.getByTestId('save-spans').click();
  await screen.getByTestId('backend-spans').waitFor();
  assert.equal(await screen.getByTestId('span-error').count(), 0);
  const saved = (await manager('GET', `/projects/${projectId}/span-prelabeler`)).body;
  assert.deepEqual(saved.labels.PER.patterns, ['\\bDr\\. [A-Z][a-z]+']);

  const text = 'Zoë met Dr. Who in 東京.';
  assert.equal((await manager('POST', `/projects/${projectId}/tasks`, [{ data: { text } }])).status, 201);
  const job = await newestJobEnded(manager, projectId);
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.equal(job.predicted, 1, JSON.stringify(job));
  const { body: tasks } = await manager('GET', `/projects/${projectId}/tasks`);
  const { body: predictions } = await manager('GET', `/tasks/${tasks.items[0].id}/predictions`);
  assert.equal(predictions.items[0].model_name, 'spans');
  assert.equal(predictions.items[0].model_version, saved.version);
  assert.deepEqual(
    predictions.items[0].result.map(({ label, start, end }) => `${label}@${start}-${end}`),
    ['PER@0-3', 'PER@8-15', 'LOC@19-21'],
  );

  // The learner and the queue order: saved as project settings, with the
  // learner's backend added.
  await screen.getByTestId('learner-control').selectOption('tone');
  await screen.getByTestId('queue-order').selectOption('uncertainty');
  await screen.getByTestId('uncertainty-measure').selectOption('entropy');
  await screen.getByTestId('save-learner').click();
  await screen.getByTestId('backend-plumb-active-learner').waitFor();
  const { body: project } = await manager('GET', `/projects/${projectId}`);
  assert.equal(project.settings.learner_control, 'tone');
  assert.equal(project.settings.queue_order, 'uncertainty');
  assert.equal(project.settings.uncertainty, 'entropy');
  // Without a learner the uncertainty order is refused, naming the field.
  await screen.getByTestId('learner-control').selectOption('');
  await screen.getByTestId('save-learner').click();
  await screen.getByTestId('learner-error').filter({ hasText: 'settings.queue_order' }).waitFor();
  assert.deepEqual(problems, []);
  await screen.close();
});
