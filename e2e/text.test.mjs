// Browser test of the span editor against the real server: an annotator marks
// entities in two demo texts by selecting characters and pressing label keys,
// one of them after an emoji (2 UTF-16 units, 1 code point) and with accents
// and CJK; an overlap is refused; undo/redo; the export must hold code point
// offsets and the covered text. Then the free text and rating controls.
//
//   cd e2e && node --test text.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  apiAs,
  exportedTask,
  loggedInPage,
  openLabeling,
  projectNamed,
  projectWithTasks,
  selectText,
  spans,
  startPlumb,
} from './harness.mjs';

let plumb;
before(async () => {
  plumb = await startPlumb();
});
after(async () => {
  await plumb?.stop();
});

/** The code point offsets of `needle` in `text`, as the server expects them. */
function codePoints(text, needle) {
  const u16 = text.indexOf(needle);
  const start = [...text.slice(0, u16)].length;
  return { start, end: start + [...needle].length };
}

test('entities after accents, CJK and an emoji: the export has code points', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Entities');
  const { page, problems } = await loggedInPage(plumb, 'annotator');

  // Task 1: accents and CJK. PER is key 1, LOC key 2.
  const first = await openLabeling(page, plumb.baseUrl, project.id);
  const text1 = await page.getByTestId('task-text').textContent();
  assert.equal(text1, 'Zoë Müller flew from Zürich to 東京 with Lufthansa last spring.');
  await selectText(page, '東京');
  await page.keyboard.press('2');
  await selectText(page, 'Zoë Müller');
  await page.keyboard.press('1');
  const tokyo = codePoints(text1, '東京');
  const zoe = codePoints(text1, 'Zoë Müller');
  assert.deepEqual(await spans(page), [`PER@${zoe.start}-${zoe.end}`, `LOC@${tokyo.start}-${tokyo.end}`]);

  // Undo removes the last span, redo brings it back.
  await page.keyboard.press('Control+z');
  assert.deepEqual(await spans(page), [`LOC@${tokyo.start}-${tokyo.end}`]);
  await page.keyboard.press('Control+y');
  assert.equal((await spans(page)).length, 2);

  // Spans of this control may not overlap: "Müller flew" overlaps "Zoë Müller".
  await selectText(page, 'Müller flew');
  await page.keyboard.press('3');
  assert.equal((await spans(page)).length, 2);
  await page.getByText('may not overlap').waitFor();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');

  // Task 2 starts with an emoji: UTF-16 offsets are one more than code points after it.
  const task2 = page.locator(`[data-testid="task"]:not([data-task-id="${first}"])`);
  await task2.waitFor();
  const second = Number(await task2.getAttribute('data-task-id'));
  const text2 = await page.getByTestId('task-text').textContent();
  assert.equal(text2, '🎉 Ana García joined Mozilla in São Paulo.');
  await selectText(page, 'Ana García');
  await page.keyboard.press('1');
  await selectText(page, 'São Paulo');
  await page.getByTestId('span-label').filter({ hasText: 'LOC' }).click();
  // A click on a span selects it, Delete removes it, undo restores it.
  await page
    .locator('.span-mark', { hasText: 'Mozilla' })
    .count()
    .then((n) => assert.equal(n, 0));
  await selectText(page, 'Mozilla');
  await page.keyboard.press('3');
  await page.locator('.span-mark', { hasText: 'Mozilla' }).click();
  await page.keyboard.press('Delete');
  assert.equal((await spans(page)).length, 2);
  const ana = codePoints(text2, 'Ana García');
  const paulo = codePoints(text2, 'São Paulo');
  assert.equal(ana.start, 2, 'the emoji is one code point');
  assert.deepEqual(await spans(page), [`PER@${ana.start}-${ana.end}`, `LOC@${paulo.start}-${paulo.end}`]);
  await page.getByTestId('submit').click();
  await page.locator(`[data-testid="task"]:not([data-task-id="${second}"])`).waitFor();

  const entities = (record) =>
    record.annotations[0].result
      .filter((item) => item.control === 'entities')
      .map(({ label, start, end, text }) => ({ label, start, end, text }));
  assert.deepEqual(entities(await exportedTask(manager, project.id, first)), [
    { label: 'PER', ...zoe, text: 'Zoë Müller' },
    { label: 'LOC', ...tokyo, text: '東京' },
  ]);
  assert.deepEqual(entities(await exportedTask(manager, project.id, second)), [
    { label: 'PER', start: 2, end: 12, text: 'Ana García' },
    { label: 'LOC', ...paulo, text: 'São Paulo' },
  ]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('markup in a text stays text while spans are marked in it', { timeout: 60_000 }, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const schema = { controls: [{ name: 'entities', type: 'span', source: 'text', labels: ['X'], overlap: true }] };
  const text = 'a <img src=x onerror=alert(1)> b <b>c</b> 👩‍💻 d';
  const projectId = await projectWithTasks(admin, 'Markup spans', schema, [{ data: { text } }]);

  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, projectId);
  assert.equal(await page.getByTestId('task-text').textContent(), text);
  // Overlapping spans are allowed here: "<b>c</b>" and "c</b> 👩‍💻 d".
  await selectText(page, '<b>c</b>');
  await page.keyboard.press('1');
  await selectText(page, 'c</b> 👩‍💻 d');
  await page.keyboard.press('1');
  assert.equal(await page.locator('[data-testid="task-text"] img, [data-testid="task-text"] b').count(), 0);
  await page.keyboard.press('Enter');
  await page
    .locator(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`)
    .first()
    .waitFor();

  const record = await exportedTask(admin, projectId, taskId);
  const items = record.annotations[0].result.map(({ start, end, text: covered }) => ({ start, end, text: covered }));
  assert.deepEqual(items, [
    { ...codePoints(text, '<b>c</b>'), text: '<b>c</b>' },
    { ...codePoints(text, 'c</b> 👩‍💻 d'), text: 'c</b> 👩‍💻 d' },
  ]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a span selected by dragging the mouse over the text', { timeout: 60_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Entities');
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  await openLabeling(page, plumb.baseUrl, project.id);
  const text = await page.getByTestId('task-text').textContent();
  const needle = 'Angela Merkel';
  assert.ok(text.includes(needle), `the third demo text has "${needle}": ${text}`);

  // The screen boxes of the needle's first and last characters.
  const [first, last] = await page.getByTestId('task-text').evaluate((container, needle) => {
    const start = container.textContent.indexOf(needle);
    const boxOf = (offset) => {
      const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
      let seen = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (offset < seen + node.data.length) {
          const range = document.createRange();
          range.setStart(node, offset - seen);
          range.setEnd(node, offset - seen + 1);
          const r = range.getBoundingClientRect();
          return { left: r.left, right: r.right, y: r.top + r.height / 2 };
        }
        seen += node.data.length;
      }
      return null;
    };
    return [boxOf(start), boxOf(start + needle.length - 1)];
  }, needle);
  await page.mouse.move(first.left + 1, first.y);
  await page.mouse.down();
  await page.mouse.move(last.right - 1, last.y, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.press('1');

  const { start, end } = codePoints(text, needle);
  assert.deepEqual(await spans(page), [`PER@${start}-${end}`]);
  assert.match(await page.getByTestId('span').first().textContent(), /“Angela Merkel”/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('free text and rating: box keys are text, number keys rate, undo/redo', { timeout: 60_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Captions');
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, project.id);

  // The caption is the first control: its box has the caret. "s" and "1" are text there, not skip or a rating.
  const box = page.getByTestId('text-input');
  await box.waitFor();
  await page.keyboard.type('Zoë sees 1 circle, 東京 🎉');
  assert.equal(await box.inputValue(), 'Zoë sees 1 circle, 東京 🎉');
  assert.equal(Number(await page.getByTestId('task').getAttribute('data-task-id')), taskId, 'not skipped');
  const rating = page.locator('[data-testid="control"][data-control="quality"]');
  assert.equal(await rating.getAttribute('data-value'), '0');

  // Escape leaves the box; Tab makes the rating active; 4 rates; undo/redo outside the box.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.equal(await rating.getAttribute('data-active'), 'true');
  await page.keyboard.press('4');
  assert.equal(await rating.getAttribute('data-value'), '4');
  await page.keyboard.press('Control+z');
  assert.equal(await rating.getAttribute('data-value'), '0');
  await page.keyboard.press('Control+y');
  assert.equal(await rating.getAttribute('data-value'), '4');
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid="task"]:not([data-task-id="${taskId}"])`).waitFor();

  const record = await exportedTask(manager, project.id, taskId);
  const byControl = Object.fromEntries(record.annotations[0].result.map((item) => [item.control, item]));
  assert.deepEqual(byControl.caption, { control: 'caption', type: 'text', value: 'Zoë sees 1 circle, 東京 🎉' });
  assert.deepEqual(byControl.quality, { control: 'quality', type: 'rating', value: 4 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('pre-labeled spans load as editable spans, with their covered text', { timeout: 60_000 }, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const schema = { controls: [{ name: 'entities', type: 'span', source: 'text', labels: ['PER', 'LOC'] }] };
  const text = '🎉🎉 Zoë in 東京';
  // Code points: 🎉🎉 are 0–1, "Zoë" 3–6, "東京" 10–12 (UTF-16: 5–8 and 12–14).
  const initial_result = [
    { control: 'entities', label: 'PER', start: 3, end: 6 },
    { control: 'entities', label: 'PER', start: 10, end: 12 },
  ];
  const projectId = await projectWithTasks(admin, 'Pre-labeled spans', schema, [{ data: { text, initial_result } }]);
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, projectId);
  assert.deepEqual(await spans(page), ['PER@3-6', 'PER@10-12']);
  assert.deepEqual(await page.locator('.span-mark').allTextContents(), ['Zoë', '東京']);

  // Relabel the second: click it, press 2 (LOC).
  await page.locator('.span-mark', { hasText: '東京' }).click();
  await page.keyboard.press('2');
  assert.deepEqual(await spans(page), ['PER@3-6', 'LOC@10-12']);
  await page.keyboard.press('Enter');
  await page
    .locator(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`)
    .first()
    .waitFor();

  const record = await exportedTask(admin, projectId, taskId);
  const items = record.annotations[0].result.map(({ label, start, end, text: covered }) => ({
    label,
    start,
    end,
    text: covered,
  }));
  assert.deepEqual(items, [
    { label: 'PER', start: 3, end: 6, text: 'Zoë' },
    { label: 'LOC', start: 10, end: 12, text: '東京' },
  ]);
  assert.deepEqual(problems, []);
  await page.close();
});
