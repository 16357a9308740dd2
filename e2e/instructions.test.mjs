// Browser test of versioned instructions and dataset versions (docs/instructions.md,
// docs/datasets.md, docs/ui.md): a manager writes instructions whose Markdown
// carries script in every form an attacker would try, with an image and
// examples; the annotator is stopped by the instructions gate, reads them
// rendered with none of that script running, acknowledges, and labels; the
// label records instructions version 1; a second version stops the annotator
// again, and the manager sees who has read which version, the diff of the two
// and the task's history. Then a dataset version is created, listed, exported
// and compared with a later one in the browser.
//
//   cd e2e && node --test instructions.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, projectWithTasks, startPlumb } from './harness.mjs';

const schema = { controls: [{ name: 'kind', type: 'choice', source: 'text', labels: ['bus', 'truck'] }] };
const choice = (label) => [{ control: 'kind', type: 'choice', values: [label] }];

// A 1×1 PNG.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

// Every payload sets window.__pwned if it runs. Blank lines end each HTML block,
// so that marked passes each on as raw HTML for the sanitizer to deal with.
const payloads = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=1</script>',
  '[click me](javascript:window.__pwned=1)',
  '<a href="javascript:window.__pwned=1" onclick="window.__pwned=1">also me</a>',
  '<svg onload="window.__pwned=1"><circle r="1"/></svg>',
  '<iframe src="javascript:window.__pwned=1"></iframe>',
  '<div style="background:url(javascript:window.__pwned=1)" onmouseover="window.__pwned=1">hover</div>',
  '<form action="javascript:window.__pwned=1"><button>send</button></form>',
  '![pic](javascript:window.__pwned=1)',
];

const body1 = [
  '# Buses',
  '',
  'A **school bus** is yellow and long, with a stop sign arm.',
  '',
  '- count a bus only when you see its *whole* side',
  '- a minibus is a bus',
  '',
  ...payloads.flatMap((p) => [p, '']),
  'See [the handbook](https://example.org/handbook) for more.',
  '',
].join('\n');

let plumb;
let manager;

/** Labels every task left for `username` in the project through the API; returns their ids. */
async function labelAll(username, projectId, label) {
  // No Idempotency-Key: each submission here is sent once.
  const call = await apiAs(plumb.baseUrl, username);
  const labeled = [];
  for (;;) {
    const next = await call('POST', `/projects/${projectId}/next`);
    if (next.status === 204) return labeled;
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const { task, lease } = next.body;
    const submitted = await call('POST', `/tasks/${task.id}/annotations`, {
      result: choice(label),
      lease_id: lease.id,
      lead_time_ms: 3000,
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    labeled.push(task.id);
    assert.ok(labeled.length <= 20, 'the queue ends');
  }
}

/** What script or handler survived in the rendered instructions, if any. */
async function unsafeMarkup(page) {
  return page.evaluate(() => {
    const found = [];
    for (const root of document.querySelectorAll('.markdown')) {
      for (const el of root.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        if (['script', 'iframe', 'object', 'embed', 'form', 'style'].includes(tag)) found.push(`<${tag}>`);
        for (const attr of el.attributes) {
          if (/^on/i.test(attr.name)) found.push(`${tag}[${attr.name}]`);
          if (attr.name === 'style') found.push(`${tag}[style]`);
          if (/^\s*(javascript|data|vbscript):/i.test(attr.value) && attr.name !== 'src') found.push(`${tag}[${attr.name}=${attr.value}]`);
          if (attr.name === 'src' && /^\s*(javascript|vbscript):/i.test(attr.value)) found.push(`${tag}[src=${attr.value}]`);
        }
      }
    }
    return found;
  });
}

/** Waits until every image on the page has loaded or failed, so that an onerror would have run. */
async function imagesSettled(page) {
  await page.waitForFunction(() => [...document.images].every((img) => img.complete));
  await page.waitForTimeout(200);
}

before(async () => {
  plumb = await startPlumb();
  manager = await apiAs(plumb.baseUrl, 'manager');
});

after(async () => {
  await plumb?.stop();
});

test('instructions gate labeling, render without script, and are recorded on every label', { timeout: 180_000 }, async () => {
  const projectId = await projectWithTasks(manager, 'Buses', schema, [
    { text: 'A yellow school bus at a stop.' },
    { text: 'A yellow pickup truck.' },
    { text: 'A city bus in the rain.' },
  ]);
  const { body: page1 } = await manager('GET', `/projects/${projectId}/tasks?limit=10`);
  const idOf = new Map(page1.items.map((t) => [t.data.text, t.id]));
  const exampleTask = idOf.get('A yellow school bus at a stop.');
  const golden = await manager('PUT', `/tasks/${exampleTask}/golden`, { result: choice('bus') });
  assert.equal(golden.status, 200, JSON.stringify(golden.body));

  // Before any instructions, nothing stands in the way: the project has none.
  assert.deepEqual((await manager('GET', `/projects/${projectId}/instructions`)).body, { current: null, acknowledged: 0 });

  // The manager writes version 1 in the editor, with an uploaded image and two examples.
  const { page: editor, problems: editorProblems } = await loggedInPage(plumb, 'manager');
  await editor.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await editor.getByTestId('open-instructions-editor').click();
  const bodyInput = editor.getByTestId('instructions-body-input');
  await bodyInput.waitFor();
  await bodyInput.fill(body1);
  await bodyInput.evaluate((area) => area.setSelectionRange(area.value.length, area.value.length));
  await editor.getByTestId('instructions-image-file').setInputFiles({ name: 'bus-side.png', mimeType: 'image/png', buffer: png });
  await editor.waitForFunction(() =>
    /!\[bus-side\]\(\/api\/v1\/instructions\/images\/[0-9a-f]{64}\)/.test(
      document.querySelector('[data-testid="instructions-body-input"]').value,
    ),
  );
  const preview = editor.getByTestId('instructions-preview');
  await preview.locator('img[src^="/api/v1/instructions/images/"]').waitFor();
  await preview.getByText('A school bus is yellow and long').waitFor();

  await editor.getByTestId('add-example').click();
  const first = editor.getByTestId('example-form').nth(0);
  await first.getByTestId('example-title').fill('school bus');
  await first.getByTestId('example-text').fill('yellow, **long**, a stop sign arm <img src=x onerror="window.__pwned=1">');
  await first.getByTestId('example-task').fill(String(exampleTask));
  await first.getByTestId('example-image').setInputFiles({ name: 'bus.png', mimeType: 'image/png', buffer: png });
  await first.locator('.example-thumb').waitFor();
  await editor.getByTestId('add-counter-example').click();
  const second = editor.getByTestId('example-form').nth(1);
  await second.getByTestId('example-title').fill('yellow pickup truck');
  await second.getByTestId('example-text').fill('yellow is not enough: a pickup is **not** a bus');
  await editor.getByTestId('instructions-note').fill('first version');
  await editor.getByTestId('save-instructions').click();
  await editor.getByTestId('instructions-saved').getByText('Saved version 1').waitFor();
  await imagesSettled(editor);
  assert.equal(await editor.evaluate(() => window.__pwned), undefined, 'no payload ran in the manager\'s preview');
  assert.deepEqual(await unsafeMarkup(editor), []);

  const v1 = await manager('GET', `/projects/${projectId}/instructions/1`);
  assert.equal(v1.status, 200, JSON.stringify(v1.body));
  assert.equal(v1.body.body.includes('<script>window.__pwned=1</script>'), true, 'the body is stored as written');
  assert.deepEqual(
    v1.body.examples.map((e) => [e.kind, e.title, e.task_id, typeof e.image]),
    [
      ['example', 'school bus', exampleTask, 'string'],
      ['counter_example', 'yellow pickup truck', null, 'object'],
    ],
  );
  assert.equal(v1.body.note, 'first version');

  // The annotator is stopped by the gate and reads version 1, rendered safely.
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}/label`);
  const gate = page.getByTestId('instructions-gate');
  await gate.waitFor();
  assert.equal(await page.getByTestId('task').count(), 0, 'no task before the instructions are acknowledged');
  const view = gate.getByTestId('instructions-view');
  await view.getByText('A school bus is yellow and long').waitFor();
  assert.equal(await view.locator('strong', { hasText: 'school bus' }).count(), 1, 'Markdown is rendered');
  assert.equal(await view.locator('li').filter({ hasText: 'a minibus is a bus' }).count(), 1);
  await view.locator('img[src^="/api/v1/instructions/images/"][alt="bus-side"]').waitFor();
  const handbook = view.locator('a', { hasText: 'the handbook' });
  assert.equal(await handbook.getAttribute('href'), 'https://example.org/handbook');
  assert.equal(await handbook.getAttribute('target'), '_blank');
  assert.match(await handbook.getAttribute('rel'), /noopener/);
  await view.getByText('click me').waitFor();
  const clickMe = view.locator('a', { hasText: 'click me' });
  if ((await clickMe.count()) > 0) assert.equal(await clickMe.getAttribute('href'), null, 'a javascript: link loses its URL');
  const examples = gate.getByTestId('examples');
  const counter = gate.getByTestId('counter-examples');
  await examples.locator('h4', { hasText: 'school bus' }).waitFor();
  await counter.locator('h4', { hasText: 'yellow pickup truck' }).waitFor();
  assert.equal(await examples.locator('.example-image').count(), 1, 'the example shows its image');
  const linked = examples.locator(`[data-testid="example-task"][data-task-id="${exampleTask}"]`);
  await linked.getByText('A yellow school bus at a stop.').waitFor();
  assert.equal((await linked.getByTestId('result-item').textContent()).trim(), 'bus', 'the linked task shows its correct label');
  await imagesSettled(page);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
  assert.deepEqual(await unsafeMarkup(page), [], 'no script, frame, form, style or handler is in the rendered DOM');
  assert.equal(await page.locator('.markdown script').count(), 0);
  await page.screenshot({ path: '/tmp/plumb-instructions.png', fullPage: true });

  // The API says the same: version 1, not yet acknowledged; next is refused with its code.
  const annotator = await apiAs(plumb.baseUrl, 'annotator');
  assert.deepEqual((await annotator('GET', `/projects/${projectId}/instructions`)).body, { current: 1, acknowledged: 0 });
  const refused = await annotator('POST', `/projects/${projectId}/next`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, 'instructions_not_acknowledged');

  // Acknowledged: the next task comes, and its label records version 1.
  await gate.getByTestId('acknowledge-instructions').getByText('I have read version 1').click();
  const editorView = page.getByTestId('task');
  await editorView.waitFor();
  const taskId = Number(await editorView.getAttribute('data-task-id'));
  await page.keyboard.press('i');
  await page.getByTestId('instructions-panel').getByText('A school bus is yellow and long').waitFor();
  await page.keyboard.press('i');
  await page.getByTestId('instructions-panel').waitFor({ state: 'detached' });
  await page.keyboard.press('1');
  await page.keyboard.press('Enter');
  await page.getByTestId('progress').getByText(/you labeled 1$/).waitFor();
  const labeled = await manager('GET', `/tasks/${taskId}`);
  assert.equal(labeled.status, 200);
  const annotation = labeled.body.annotations.find((a) => a.annotator.username === 'annotator');
  assert.ok(annotation, JSON.stringify(labeled.body));
  assert.equal(annotation.instructions_version, 1, 'the label was made under version 1');
  const history = await manager('GET', `/tasks/${taskId}/history`);
  assert.equal(history.status, 200, JSON.stringify(history.body));
  assert.deepEqual(history.body.items.map((r) => [r.revision, r.source, r.reason, r.instructions_version]),
    [[1, 'human', 'first', 1]]);

  // Version 2: the annotator is stopped again at the next task.
  // The editor starts from version 1, with the image inserted in it.
  const saved1 = await editor.getByTestId('instructions-body-input').inputValue();
  assert.equal(saved1, v1.body.body);
  const body2 = saved1.replace('- a minibus is a bus', '- a minibus is a bus\n- a tram is not a bus');
  await editor.getByTestId('instructions-body-input').fill(body2);
  await editor.getByTestId('instructions-note').fill('trams are not buses');
  await editor.getByTestId('save-instructions').click();
  await editor.getByTestId('instructions-saved').getByText('Saved version 2').waitFor();
  const diff = editor.getByTestId('instructions-diff');
  await diff.waitFor();
  assert.equal(await diff.getAttribute('data-from'), '1');
  assert.equal(await diff.getAttribute('data-to'), '2');
  const added = await diff.getByTestId('diff-body').locator('[data-kind="added"]').allTextContents();
  assert.deepEqual(added.map((t) => t.replace(/^\+/, '').trim()), ['- a tram is not a bus']);
  assert.equal(await diff.getByTestId('diff-body').locator('[data-kind="removed"]').count(), 0);
  assert.equal(await diff.getByText('No change.').count(), 1, 'the examples did not change');

  await page.reload();
  await page.getByTestId('instructions-gate').waitFor();
  await page.getByTestId('instructions-gate').getByText('a tram is not a bus').waitFor();
  await page.getByTestId('acknowledge-instructions').getByText('I have read version 2').waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // The manager sees who has read which version: the annotator is one behind.
  const acks = editor.getByTestId('instructions-acks');
  await acks.getByRole('button', { name: 'Refresh' }).click();
  const annotatorAck = acks.locator('[data-testid="ack-row"][data-username="annotator"]');
  await annotatorAck.waitFor();
  assert.equal(await annotatorAck.getAttribute('data-acknowledged'), '1');
  assert.match(await annotatorAck.textContent(), /behind/);
  const { body: ackBody } = await manager('GET', `/projects/${projectId}/instructions/acks`);
  assert.equal(ackBody.current, 2);
  assert.equal(ackBody.items.find((a) => a.username === 'annotator').acknowledged, 1);

  await page.getByTestId('acknowledge-instructions').click();
  await page.getByTestId('task').waitFor();
  await acks.getByRole('button', { name: 'Refresh' }).click();
  await acks.locator('[data-testid="ack-row"][data-username="annotator"][data-acknowledged="2"]').waitFor();

  // The task table names the version each label was made under, and opens the task's history.
  await editor.goto(`${plumb.baseUrl}/projects/${projectId}`);
  const row = editor.locator(`[data-testid="task-row"][data-task-id="${taskId}"]`);
  await row.waitFor();
  assert.match(await row.getByTestId('annotation-instructions-version').textContent(), /instructions v1$/);
  await row.getByTestId('task-history-toggle').click();
  const revision = editor.getByTestId('task-history').getByTestId('history-revision');
  await revision.waitFor();
  assert.equal(await revision.getAttribute('data-revision'), '1');
  assert.match(await revision.textContent(), /annotator/);

  // The quality dashboard counts that label under version 1.
  await editor.goto(`${plumb.baseUrl}/projects/${projectId}/quality`);
  const versionRow = editor.locator('[data-testid="instructions-version-row"][data-version="1"]');
  await versionRow.waitFor();
  assert.match(await versionRow.textContent(), /^version 1\s*1/);
  const { body: byVersion } = await manager('GET', `/projects/${projectId}/analytics/instructions`);
  assert.deepEqual(byVersion.items.map((v) => [v.version, v.labels]), [[1, 1]]);

  assert.deepEqual(problems, []);
  assert.deepEqual(editorProblems, []);
  await page.close();
  await editor.close();
});

test('a dataset version is created, listed, exported and compared in the browser', { timeout: 120_000 }, async () => {
  const projectId = await projectWithTasks(manager, 'Vehicles', schema, [
    { text: 'A bus.' },
    { text: 'A truck.' },
  ]);
  assert.equal((await labelAll('annotator', projectId, 'bus')).length, 2);

  const { page, problems } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/${projectId}`);
  await page.getByTestId('open-versions').click();
  await page.getByTestId('versions-empty').waitFor();
  await page.getByTestId('version-name').fill('bad name!');
  assert.equal(await page.getByTestId('version-create').isDisabled(), true, 'a name outside [A-Za-z0-9._-] is refused');
  await page.getByTestId('version-name').fill('v1.0');
  await page.getByTestId('version-note').fill('first cut');
  await page.getByTestId('version-create').click();
  const row = page.locator('[data-testid="version-row"][data-name="v1.0"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-tasks'), '2');
  assert.match(await row.textContent(), /first cut/);

  // Each export link answers with the version's records, the same bytes twice.
  const exported = {};
  for (const format of ['json', 'jsonl', 'csv']) {
    const href = await row.getByTestId(`version-export-${format}`).getAttribute('href');
    const first = await page.request.get(`${plumb.baseUrl}${href}`);
    assert.equal(first.status(), 200, `${format} export`);
    exported[format] = await first.text();
    assert.equal(await (await page.request.get(`${plumb.baseUrl}${href}`)).text(), exported[format], `${format} is byte-identical`);
  }
  const records = JSON.parse(exported.json);
  assert.equal(records.length, 2);
  assert.deepEqual(records.map((r) => r.final.result[0].values), [['bus'], ['bus']]);
  assert.equal(exported.jsonl.trim().split('\n').length, 2);

  // A name already taken is refused with the server's message.
  await page.getByTestId('version-name').fill('v1.0');
  await page.getByTestId('version-create').click();
  await page.getByTestId('version-error').waitFor();

  // A third task labeled, then v2: the diff shows it added, with its class.
  const imported = await manager('POST', `/projects/${projectId}/tasks`, [{ text: 'Another truck.' }]);
  assert.equal(imported.status, 201, JSON.stringify(imported.body));
  const [newTask] = await labelAll('annotator', projectId, 'truck');
  await page.getByTestId('version-name').fill('v2');
  await page.getByTestId('version-create').click();
  await page.locator('[data-testid="version-row"][data-name="v2"]').waitFor();
  const compare = page.getByTestId('version-diff');
  await compare.waitFor();
  assert.equal(await compare.getByTestId('diff-from').inputValue(), 'v1.0');
  assert.equal(await compare.getByTestId('diff-to').inputValue(), 'v2');
  await compare.locator('[data-testid="diff-added"][data-value="1"]').waitFor();
  assert.equal(await compare.getByTestId('diff-unchanged').getAttribute('data-value'), '2');
  assert.equal(await compare.getByTestId('diff-relabeled').getAttribute('data-value'), '0');
  assert.match(await compare.getByTestId('diff-added-ids').textContent(), new RegExp(`\\b${newTask}\\b`));
  const truck = compare.locator('[data-testid="diff-class"][data-class="truck"]');
  assert.match(await truck.textContent(), /\+1/);
  await page.screenshot({ path: '/tmp/plumb-versions.png', fullPage: true });

  // The audit log of the project lists both creations.
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('audit-table').waitFor();
  const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.dataset.action));
  assert.equal(actions.filter((a) => a === 'version.create').length, 2, actions.join(', '));
  assert.ok(actions.includes('project.create'), actions.join(', '));
  assert.deepEqual(problems, []);
  await page.close();
});
