// Browser test of the labeling flow against the real server: an annotator
// logs in, labels three reviews with the keyboard only, and a manager finds
// those labels in the export.
//
//   cd e2e && npm ci && node --test
//
// What it needs is in harness.mjs: the server binary, the built UI, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, startPlumb } from './harness.mjs';

const screenshotPath = '/tmp/plumb-label.png';

let plumb;
let baseUrl;
let browser;

before(async () => {
  plumb = await startPlumb();
  ({ baseUrl, browser } = plumb);
});

after(async () => {
  await plumb?.stop();
});

/** Waits until the element with `testId` has text matching `pattern`; returns the text. */
async function waitForText(page, testId, pattern) {
  const handle = await page.waitForFunction(
    ([id, source, flags]) => {
      const text = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      return new RegExp(source, flags).test(text) ? text : false;
    },
    [testId, pattern.source, pattern.flags],
  );
  return handle.jsonValue();
}

/** The task on screen once it is not `previousId`. */
async function nextTask(page, previousId) {
  const task = page.locator(`[data-testid="task"]:not([data-task-id="${previousId}"])`);
  await task.waitFor();
  return {
    id: Number(await task.getAttribute('data-task-id')),
    text: await task.getByTestId('task-text').textContent(),
  };
}

async function pressedLabels(page) {
  return page
    .locator('[data-testid="label-button"][aria-pressed="true"]')
    .evaluateAll((buttons) => buttons.map((b) => `${b.dataset.control}=${b.dataset.label}`));
}

function username(annotator) {
  return typeof annotator === 'string' ? annotator : annotator?.username;
}

// What the annotator types for each task, and the labels that must come out.
const plan = [
  { keys: ['2'], sentiment: 'negative', topics: [] },
  { keys: ['1', 'Tab', '1', '2'], sentiment: 'positive', topics: ['price', 'quality'] },
  { keys: ['3', 'Tab', '3'], sentiment: 'neutral', topics: ['delivery'] },
];
const labeled = [];
let projectId;

test('an annotator labels three reviews with the keyboard only', { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const dialogs = [];
  const pageErrors = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(`${baseUrl}/`);
  await page.getByTestId('login-username').fill('annotator');
  await page.getByTestId('login-password').fill('annotator-pass-1');
  await page.getByTestId('login-submit').click();

  const reviews = page.locator('[data-testid="project-row"][data-project-name="Reviews"]');
  await reviews.getByRole('button', { name: 'Label' }).click();
  await page.waitForURL(/\/projects\/\d+\/label$/);
  projectId = Number(new URL(page.url()).pathname.split('/')[2]);

  let progress = await waitForText(page, 'progress', /you labeled 0$/);
  let taskId = -1;
  let sawMarkup = false;
  for (const [index, step] of plan.entries()) {
    const task = await nextTask(page, taskId);
    taskId = task.id;

    if (task.text.includes('<script>')) {
      sawMarkup = true;
      assert.match(task.text, /<script>alert\(1\)<\/script>/);
      assert.match(task.text, /<b>bold<\/b>/);
      const elements = await page.locator('[data-testid="task-text"] script, [data-testid="task-text"] b').count();
      assert.equal(elements, 0, 'markup in a task text must not become elements');
    }

    for (const key of step.keys) await page.keyboard.press(key);
    const expected = [`sentiment=${step.sentiment}`, ...step.topics.map((t) => `topics=${t}`)];
    assert.deepEqual(await pressedLabels(page), expected);
    if (index === 0) await page.screenshot({ path: screenshotPath, fullPage: true });

    await page.keyboard.press('Enter');
    const changed = await waitForText(page, 'progress', new RegExp(`you labeled ${index + 1}$`));
    assert.notEqual(changed, progress, 'the progress line changes after a submit');
    progress = changed;
    labeled.push({ id: task.id, text: task.text, ...step });
  }

  await nextTask(page, taskId);
  assert.ok(sawMarkup, 'the review with <script> and <b> (the first in demo/reviews.jsonl) was shown');
  assert.deepEqual(dialogs, [], 'no script from task data ran');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('a manager finds the three annotations in the JSON export', async () => {
  assert.equal(labeled.length, plan.length, 'the labeling test ran first');
  const manager = await apiAs(baseUrl, 'manager');
  const { status, body: records } = await manager('GET', `/projects/${projectId}/export?format=json`);
  assert.equal(status, 200);
  assert.ok(Array.isArray(records), 'a JSON export is an array of records');
  assert.equal(records.filter((r) => r.annotations?.length > 0).length, plan.length);

  for (const task of labeled) {
    const record = records.find((r) => r.id === task.id);
    assert.ok(record, `task ${task.id} is in the export`);
    assert.equal(record.data.text, task.text);
    assert.equal(record.label.sentiment, task.sentiment);
    if (task.topics.length) assert.deepEqual(record.label.topics, task.topics);
    else assert.ok(!record.label.topics?.length, `task ${task.id} has no topics`);

    assert.equal(record.annotations.length, 1);
    const [annotation] = record.annotations;
    assert.equal(username(annotation.annotator), 'annotator');
    assert.ok(Number.isInteger(annotation.lead_time_ms) && annotation.lead_time_ms >= 0);
    const sentiment = annotation.result.find((item) => item.control === 'sentiment');
    assert.deepEqual(sentiment?.values, [task.sentiment]);
  }
});

test('the server exits 0 on SIGTERM', async () => {
  plumb.server.kill('SIGTERM');
  const { code, signal } = await plumb.exit;
  assert.equal(signal, null, `server died by ${signal}:\n${plumb.output()}`);
  assert.equal(code, 0, `server exit code ${code}:\n${plumb.output()}`);
});
