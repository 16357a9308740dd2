// Browser test of the workflow engine (docs/workflow.md) through the UI: two
// annotators disagree on a task of a batch, the task goes to adjudication, a
// reviewer resolves it there, the batch completes and its callback arrives
// signed; and a reviewer's rejection reaches the annotator with its comment.
//
//   cd e2e && node --test workflow.test.mjs

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, startPlumb } from './harness.mjs';

const schema = {
  controls: [{ name: 'sentiment', type: 'choice', source: 'text', labels: ['positive', 'negative', 'neutral'] }],
};

let plumb;
let admin;
let manager;
let receiver;
const calls = [];

/** A loopback HTTP server that records every request with its raw body. */
async function startReceiver() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/callback` };
}

async function waitFor(what, predicate, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

async function createUser(username, role) {
  const created = await admin('POST', '/users', { username, password: `${username}-pass-1`, role });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

/** A project with these workflow settings and these users as members; returns its id. */
async function workflowProject(name, settings, memberIds) {
  const created = await manager('POST', '/projects', { name, schema, settings });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  for (const key of Object.keys(settings)) assert.equal(created.body.settings[key], settings[key], key);
  for (const userId of memberIds) {
    assert.equal((await manager('POST', `/projects/${id}/members`, { user_id: userId })).status, 204);
  }
  return id;
}

/** Labels the one task waiting in project `id` with label key `key` in the labeling view; returns its id. */
async function labelWithKey(page, id, key) {
  await page.goto(`${plumb.baseUrl}/projects/${id}/label`);
  const task = page.getByTestId('task');
  await task.waitFor();
  const taskId = Number(await task.getAttribute('data-task-id'));
  await page.keyboard.press(key);
  await page.keyboard.press('Enter');
  await page.getByTestId('nothing-left').waitFor();
  return taskId;
}

let ids;

before(async () => {
  plumb = await startPlumb();
  receiver = await startReceiver();
  admin = await apiAs(plumb.baseUrl, 'admin');
  manager = await apiAs(plumb.baseUrl, 'manager');
  const { body: users } = await admin('GET', '/users');
  ids = {
    annotator: users.items.find((u) => u.username === 'annotator').id,
    second: await createUser('second', 'annotator'),
    reviewer: await createUser('reviewer', 'reviewer'),
  };
});

after(async () => {
  receiver?.server.close();
  await plumb?.stop();
});

test('a disagreement is adjudicated in the review view and completes its batch, whose callback is signed', { timeout: 120_000 }, async () => {
  const projectId = await workflowProject('Adjudicated', { overlap: 2, agreement_threshold: 1 }, [
    ids.annotator,
    ids.second,
    ids.reviewer,
  ]);
  const text = 'Arrived late, but <b>works</b> fine.';
  const made = await manager('POST', `/projects/${projectId}/batches`, {
    name: 'first batch',
    tasks: [{ data: { text } }],
    callback_url: receiver.url,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const batch = made.body.batch ?? made.body;
  const secret = made.body.callback_secret ?? batch.callback_secret;
  assert.ok(secret, 'a batch with a callback_url comes with its callback_secret');
  assert.equal(batch.state, 'open');
  assert.equal(batch.total, 1);

  const first = await loggedInPage(plumb, 'annotator');
  const second = await loggedInPage(plumb, 'second');
  const taskId = await labelWithKey(first.page, projectId, '1');
  assert.equal(await labelWithKey(second.page, projectId, '2'), taskId, 'both annotators got the same task');

  const { body: task } = await manager('GET', `/tasks/${taskId}`);
  assert.equal(task.state, 'adjudicating', 'positive against negative is below agreement 1');

  // The manager's task table shows the state.
  await first.page.close();
  const { page: managerPage, problems: managerProblems } = await loggedInPage(plumb, 'manager');
  await managerPage.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await managerPage.locator(`[data-testid="task-row"][data-task-id="${taskId}"][data-state="adjudicating"]`).waitFor();
  await managerPage.locator('[data-testid="batch-row"][data-state="open"]').waitFor();

  const { page, problems } = await loggedInPage(plumb, 'reviewer');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/review`);
  const shown = page.locator(`[data-testid="review-task"][data-task-id="${taskId}"]`);
  await shown.waitFor();
  assert.equal(await shown.getAttribute('data-stage'), 'adjudication');
  assert.equal(await page.getByTestId('task-text').textContent(), text, 'task text is shown as text');
  assert.equal(await page.locator('[data-testid="task-text"] b').count(), 0);
  const cards = page.getByTestId('review-annotation');
  assert.equal(await cards.count(), 2);
  const byUser = {};
  for (let i = 0; i < 2; i++) {
    const card = cards.nth(i);
    byUser[await card.getAttribute('data-username')] = (await card.getByTestId('result-item').textContent()).trim();
  }
  assert.deepEqual(byUser, { annotator: 'positive', second: 'negative' });
  assert.match(await page.getByTestId('final-agreement').textContent(), /^50%$/);
  assert.equal(await page.getByTestId('review-accept').count(), 0, 'there is no accept in adjudication');
  await page.screenshot({ path: '/tmp/plumb-review.png', fullPage: true });

  await page.locator('[data-testid="review-annotation"][data-username="second"]').getByTestId('use-annotation').click();
  await page.getByTestId('review-empty').waitFor();

  const { body: done } = await manager('GET', `/tasks/${taskId}`);
  assert.equal(done.state, 'done');
  const { body: finished } = await manager('GET', `/batches/${batch.id}`);
  assert.equal(finished.state, 'done');
  assert.equal(finished.done, 1);
  assert.equal(finished.labels.length, 1);
  assert.equal(finished.labels[0].task_id, taskId);
  assert.deepEqual(finished.labels[0].result.find((i) => i.control === 'sentiment').values, ['negative']);

  const call = await waitFor('the batch.completed callback', () =>
    calls.find((c) => c.headers['x-plumb-event'] === 'batch.completed'),
  );
  assert.equal(call.method, 'POST');
  assert.equal(call.url, '/callback');
  const expected = `sha256=${createHmac('sha256', secret).update(call.body).digest('hex')}`;
  const signature = String(call.headers['x-plumb-signature'] ?? '');
  assert.equal(signature.length, expected.length, `signature ${signature}`);
  assert.ok(timingSafeEqual(Buffer.from(signature), Buffer.from(expected)), 'X-Plumb-Signature is the HMAC of the body');
  assert.ok(call.headers['x-plumb-delivery'], 'the delivery has an id to dedupe on');
  const event = JSON.parse(call.body.toString('utf8'));
  assert.equal(event.type, 'batch.completed');

  await managerPage.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await managerPage.locator(`[data-testid="batch-row"][data-batch-id="${batch.id}"][data-state="done"]`).waitFor();
  assert.deepEqual(problems, []);
  assert.deepEqual(managerProblems, []);
  assert.deepEqual(second.problems, []);
  await Promise.all([page.close(), second.page.close(), managerPage.close()]);
});

test('a rejection with a comment reaches the annotator, who fixes the label; the reviewer accepts it', { timeout: 120_000 }, async () => {
  const projectId = await workflowProject('Reviewed', { overlap: 1, review_share: 100 }, [ids.annotator, ids.reviewer]);
  assert.equal((await manager('POST', `/projects/${projectId}/tasks`, [{ text: 'Fine, I suppose.' }])).status, 201);

  const { page: labeler, problems: labelerProblems } = await loggedInPage(plumb, 'annotator');
  const taskId = await labelWithKey(labeler, projectId, '1');
  assert.equal((await manager('GET', `/tasks/${taskId}`)).body.state, 'reviewing');

  const { page, problems } = await loggedInPage(plumb, 'reviewer');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/review`);
  await page.locator(`[data-testid="review-task"][data-task-id="${taskId}"][data-stage="review"]`).waitFor();
  await page.getByTestId('review-reject').click();
  await page.getByTestId('review-notice').waitFor();
  assert.match(await page.getByTestId('review-notice').textContent(), /comment/);

  const comment = 'This reads <i>neutral</i> to me — look again.';
  // A refused reject leaves the cursor in the comment box; Escape leaves it, R comes back.
  await page.keyboard.press('Escape');
  await page.keyboard.press('r');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'review-comment', 'R goes to the comment');
  await page.keyboard.type(comment);
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('review-empty').waitFor();
  assert.equal((await manager('GET', `/tasks/${taskId}`)).body.state, 'annotating');

  await labeler.goto(`${plumb.baseUrl}/projects/${projectId}/label`);
  await labeler.locator(`[data-testid="task"][data-task-id="${taskId}"]`).waitFor();
  assert.equal(await labeler.getByTestId('rework-comment').textContent(), comment);
  assert.equal(await labeler.locator('[data-testid="rework"] i').count(), 0, 'the comment is text');
  assert.match(await labeler.getByTestId('rework').textContent(), /by reviewer/);
  const pressed = () =>
    labeler
      .locator('[data-testid="label-button"][aria-pressed="true"]')
      .evaluateAll((buttons) => buttons.map((b) => b.dataset.label));
  assert.deepEqual(await pressed(), ['positive'], 'the editor starts from the earlier label');
  await labeler.keyboard.press('3');
  assert.deepEqual(await pressed(), ['neutral']);
  await labeler.keyboard.press('Enter');
  await labeler.getByTestId('nothing-left').waitFor();
  assert.equal((await manager('GET', `/tasks/${taskId}`)).body.state, 'reviewing', 'back to review after the rework');

  await page.getByRole('button', { name: 'Look again' }).click();
  await page.locator(`[data-testid="review-task"][data-task-id="${taskId}"][data-stage="review"]`).waitFor();
  assert.equal((await page.getByTestId('review-annotation').getByTestId('result-item').textContent()).trim(), 'neutral');
  await page.keyboard.press('a');
  await page.getByTestId('review-empty').waitFor();
  const { body: done } = await manager('GET', `/tasks/${taskId}`);
  assert.equal(done.state, 'done');

  assert.deepEqual(problems, []);
  assert.deepEqual(labelerProblems, []);
  await Promise.all([page.close(), labeler.close()]);
});
