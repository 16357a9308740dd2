// Browser test of training (docs/training.md, docs/ui.md): a manager picks a
// golden task as practice with an explanation and an instructions anchor and
// requires a qualification test; the annotator is stopped at the labeling
// screen with the reason, practices in the normal editor and after the submit
// sees the expert answer beside theirs (the differing choice marked, the
// expert's missed span highlighted in the text, the explanation as text, the
// instructions opened at the heading), then passes the test without feedback
// and gets real tasks; the manager's overview shows them qualified.
//
//   cd e2e && node --test training.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, projectWithTasks, startPlumb } from './harness.mjs';

const schema = {
  controls: [
    { name: 'kind', type: 'choice', source: 'text', labels: ['bus', 'truck'] },
    { name: 'org', type: 'span', source: 'text', labels: ['ORG'] },
  ],
};
const text = 'The Acme café bus waits.';
// "Acme" in code points: 4..8.
const expert = [
  { control: 'kind', type: 'choice', values: ['bus'] },
  { control: 'org', type: 'span', label: 'ORG', start: 4, end: 8, text: 'Acme' },
];

let plumb;
let manager;

before(async () => {
  plumb = await startPlumb();
  manager = await apiAs(plumb.baseUrl, 'manager');
});

after(async () => {
  await plumb?.stop();
});

test('a practice session shows the expert answer beside the labeler\'s, then the test qualifies', { timeout: 180_000 }, async () => {
  const projectId = await projectWithTasks(manager, 'Training buses', schema, [
    { text },
    { text: 'A red truck.' },
    { text: 'A blue bus.' },
  ]);
  const { body: listed } = await manager('GET', `/projects/${projectId}/tasks?limit=10`);
  const golden = listed.items.find((t) => t.data.text === text).id;
  assert.equal((await manager('PUT', `/tasks/${golden}/golden`, { result: expert })).status, 200);
  const set = await manager('POST', `/projects/${projectId}/golden-sets`, { name: 'qualification', task_ids: [golden] });
  assert.equal(set.status, 201, JSON.stringify(set.body));
  const saved = await manager('PUT', `/projects/${projectId}/instructions`, {
    body: '# Buses\n\nLong and yellow.\n\n## Bus companies\n\nMark the operator as ORG.\n',
  });
  assert.equal(saved.status, 201);

  // The manager picks the practice task in the Training screen and requires the test.
  const { page: mpage, problems: mproblems } = await loggedInPage(plumb, 'manager');
  await mpage.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await mpage.getByTestId('open-training').click();
  const candidate = mpage.locator(`[data-testid="practice-candidate"][data-task-id="${golden}"]`);
  await candidate.getByTestId('practice-pick').check();
  await candidate.getByTestId('practice-explanation').fill('The operator <b>Acme</b> is an ORG; the vehicle is a bus.');
  await candidate.getByTestId('practice-anchor').fill('bus-companies');
  await mpage.getByTestId('save-practice-set').click();
  await mpage.getByTestId('practice-set').getByText('Saved.').waitFor();
  await mpage.getByTestId('qualification-set').selectOption(String(set.body.id));
  await mpage.getByTestId('setting-qualification_pass_mark').fill('50');
  await mpage.getByTestId('save-training-settings').click();
  await mpage.getByTestId('training-settings').getByText('Saved.').waitFor();
  const settings = (await manager('GET', `/projects/${projectId}/training/settings`)).body;
  assert.equal(settings.qualification_set_id, set.body.id);
  assert.equal(settings.qualification_pass_mark, 0.5);

  // The annotator is stopped before a real task and told why.
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const ann = await apiAs(plumb.baseUrl, 'annotator');
  assert.equal((await ann('POST', `/projects/${projectId}/instructions/ack`, { version: 1 })).status, 204);
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/label`);
  const gate = page.getByTestId('training-gate');
  await gate.waitFor();
  assert.equal(await gate.getAttribute('data-code'), 'not_qualified');
  await gate.getByTestId('open-training').click();
  await page.getByTestId('training-reason').getByText('qualification test').waitFor();

  // Practice in the normal editor: a wrong choice and no span.
  await page.getByTestId('start-practice').click();
  const editor = page.getByTestId('task');
  await editor.waitFor();
  assert.equal(Number(await editor.getAttribute('data-task-id')), golden);
  await page.locator('[data-testid="label-button"][data-control="kind"][data-label="truck"]').click();
  await page.getByTestId('submit').click();
  const feedback = page.getByTestId('practice-feedback');
  await feedback.waitFor();
  assert.match(await page.getByTestId('feedback-verdict').textContent(), /Not quite/);
  const kind = feedback.locator('[data-testid="feedback-control"][data-control="kind"]');
  assert.deepEqual(
    await kind.getByTestId('feedback-yours-item').evaluateAll((n) => n.map((e) => [e.textContent.split(' (')[0], e.dataset.mark])),
    [['truck', 'extra']],
  );
  assert.deepEqual(
    await kind.getByTestId('feedback-expert-item').evaluateAll((n) => n.map((e) => [e.textContent.split(' (')[0], e.dataset.mark])),
    [['bus', 'missed']],
  );
  // The expert's span, which the annotator did not mark, is highlighted in the text.
  const org = feedback.locator('[data-testid="feedback-control"][data-control="org"]');
  const highlighted = await org.locator('[data-testid="feedback-text"] mark').evaluateAll((n) => n.map((e) => [e.textContent, e.dataset.marks]));
  assert.deepEqual(highlighted, [['Acme', 'expert-missed']]);
  assert.equal(await org.getByTestId('feedback-text').textContent(), text);
  // The explanation is text, never HTML.
  const explanation = page.getByTestId('feedback-explanation');
  assert.match(await explanation.textContent(), /The operator <b>Acme<\/b> is an ORG/);
  assert.equal(await explanation.locator('b').count(), 0);
  // The link opens the instructions at the heading it names.
  await page.getByTestId('feedback-instructions').click();
  const heading = page.locator('#instr-bus-companies');
  await heading.waitFor();
  assert.match(await heading.getAttribute('class'), /anchor-target/);
  await page.getByTestId('end-practice').click();

  // The test: no feedback, then the score; choice right and span missed is 50 %.
  await page.getByTestId('start-test').click();
  await page.getByTestId('test-session').getByTestId('task').waitFor();
  await page.locator('[data-testid="label-button"][data-control="kind"][data-label="bus"]').click();
  await page.getByTestId('submit').click();
  const result = page.getByTestId('test-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-state'), 'passed');
  assert.equal(await page.getByTestId('practice-feedback').count(), 0, 'no feedback in the test');

  // Qualified: the labeling screen hands out a real task.
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/label`);
  const real = page.getByTestId('task');
  await real.waitFor();
  assert.notEqual(Number(await real.getAttribute('data-task-id')), golden);

  // The manager's overview shows the practice and the pass.
  await mpage.reload();
  const row = mpage.locator('[data-testid="training-labeler"][data-username="annotator"]');
  await row.waitFor();
  assert.equal(await row.getByTestId('training-labeler-status').textContent(), 'qualified');
  assert.deepEqual(problems, []);
  assert.deepEqual(mproblems, []);
});
