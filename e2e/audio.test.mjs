// Browser test of audio labeling: an annotator marks the first tone of
// demo/audio/tones.wav on the waveform with the mouse, plays it (playback
// stops at the segment's end), marks the noise burst with the keyboard,
// submits, and a manager finds both segments in seconds in the export.
// Pre-labeled segments load as editable segments.
//
//   cd e2e && PLUMB_BIN=../build/plumb node --test audio.test.mjs
//
// tones.wav (demo/make-media.mjs) is 4 s: a 440 Hz tone 0.5–1.5 s, noise
// 2.0–2.5 s, an 880 Hz tone 3.0–3.5 s, silence elsewhere.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, exportedTask, loggedInPage, openLabeling, projectNamed, startPlumb } from './harness.mjs';

const screenshotPath = '/tmp/plumb-audio.png';
const wave = '[data-testid="audio-wave"]';

let plumb;
before(async () => {
  plumb = await startPlumb();
});
after(async () => {
  await plumb?.stop();
});

/** Waits until the element matching `selector` has attribute `name` equal to `value`. */
async function waitForAttribute(page, selector, name, value) {
  await page.waitForFunction(
    ([s, n, v]) => document.querySelector(s)?.getAttribute(n) === v,
    [selector, name, String(value)],
  );
}

async function segments(page) {
  return page.locator('[data-testid="segment"]').evaluateAll((rows) =>
    rows.map((r) => ({
      label: r.dataset.label,
      start: Number(r.dataset.start),
      end: Number(r.dataset.end),
      selected: r.dataset.selected === 'true',
    })),
  );
}

async function waveTime(page) {
  return Number(await page.locator(wave).getAttribute('data-time'));
}

let taskId;
let projectId;
let marked;

const slow = { timeout: 120_000 };

test('an annotator marks a segment on the waveform, plays it, and marks another by keyboard', slow, async () => {
  projectId = (await projectNamed(await apiAs(plumb.baseUrl, 'manager'), 'Audio')).id;
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  taskId = await openLabeling(page, plumb.baseUrl, projectId);
  assert.equal(await page.locator(wave).getAttribute('data-source'), 'audio');
  await waitForAttribute(page, wave, 'data-duration', 4);

  // Drag across the first tone, 0.5 s to 1.5 s, with label 1 (tone).
  await page.keyboard.press('1');
  const area = await page.locator(wave).boundingBox();
  const xAt = (seconds) => area.x + (seconds / 4) * area.width;
  const y = area.y + area.height / 2;
  await page.mouse.move(xAt(0.5), y);
  await page.mouse.down();
  await page.mouse.move(xAt(1.5), y, { steps: 10 });
  await page.mouse.up();
  await page.locator('[data-testid="segment"]').first().waitFor();
  let list = await segments(page);
  assert.equal(list.length, 1, JSON.stringify(list));
  const [tone] = list;
  assert.equal(tone.label, 'tone');
  const secondsPerPixel = 4 / area.width;
  assert.ok(Math.abs(tone.start - 0.5) <= 2 * secondsPerPixel + 0.001, `start ${tone.start}`);
  assert.ok(Math.abs(tone.end - 1.5) <= 2 * secondsPerPixel + 0.001, `end ${tone.end}`);
  assert.ok(tone.selected, 'a new segment is selected');
  // The region on the waveform shows the same segment.
  const region = page.locator('[data-testid="audio-region"]');
  await region.first().waitFor();
  assert.equal(await region.count(), 1);
  assert.equal(await region.getAttribute('data-label'), 'tone');
  await page.screenshot({ path: screenshotPath, fullPage: true });

  // P plays the selected segment: from its start, stopping at its end.
  await page.keyboard.press('p');
  await waitForAttribute(page, wave, 'data-playing', 'true');
  await waitForAttribute(page, wave, 'data-playing', 'false');
  const stopped = await waveTime(page);
  const near = stopped >= tone.end - 0.05 && stopped <= tone.end + 0.25;
  assert.ok(near, `stopped at ${stopped}, segment ends at ${tone.end}`);

  // By keyboard: [ selects the tone and puts the cursor on its start; Escape
  // deselects (so 2 picks the label noise instead of relabeling the tone);
  // M at start + 1.5 s (2.0 s), M again half a second later.
  await page.keyboard.press('Escape');
  await page.keyboard.press('[');
  await page.keyboard.press('Escape');
  await page.keyboard.press('2');
  const activeLabel = page.locator('[data-testid="audio-label"][aria-pressed="true"]');
  assert.equal(await activeLabel.getAttribute('data-label'), 'noise');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const markAt = tone.start + 1.5;
  await page.waitForFunction(
    ([s, t]) => Math.abs(Number(document.querySelector(s)?.dataset.time) - t) < 1e-6,
    [wave, markAt],
  );
  await page.keyboard.press('m');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('m');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="segment"]').length === 2);
  list = await segments(page);
  const noise = list.find((s) => s.label === 'noise');
  assert.ok(noise, JSON.stringify(list));
  const exact = Math.abs(noise.start - markAt) < 0.0015 && Math.abs(noise.end - (markAt + 0.5)) < 0.0015;
  assert.ok(exact, JSON.stringify(noise));
  assert.equal(list.find((s) => s.label === 'tone')?.start, tone.start, 'the first segment is unchanged');
  marked = [tone, noise].map(({ label, start, end }) => ({ label, start, end }));

  await page.keyboard.press('Enter');
  await page.locator(`[data-testid="task"]:not([data-task-id="${taskId}"])`).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test('the export holds both segments in seconds, and the annotation the audio length', async () => {
  assert.ok(marked, 'the labeling test ran first');
  const api = await apiAs(plumb.baseUrl, 'manager');
  const record = await exportedTask(api, projectId, taskId);
  assert.equal(record.annotations.length, 1);
  const items = record.annotations[0].result;
  assert.deepEqual(
    items.map(({ control, type, label, start, end }) => ({ control, type, label, start, end })),
    marked.map((s) => ({ control: 'sounds', type: 'span', ...s })),
  );
  assert.ok(items.every((item) => item.text === undefined), 'audio segments carry no text');

  const { body: revisions } = await api('GET', `/tasks/${taskId}/annotations`);
  assert.equal(revisions.items[0].media?.duration, 4);
});

test('pre-labeled segments load as editable segments, with attributes', slow, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const sounds = { name: 'sounds', type: 'span', media: 'audio', source: 'audio', labels: ['tone', 'noise'] };
  const quality = { name: 'quality', type: 'enum', values: ['clean', 'noisy'] };
  const schema = { controls: [{ ...sounds, attributes: [quality] }] };
  const created = await admin('POST', '/projects', { name: 'Pre-labeled audio', schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const { body: users } = await admin('GET', '/users');
  const annotator = users.items.find((u) => u.username === 'annotator');
  assert.equal((await admin('POST', `/projects/${id}/members`, { user_id: annotator.id })).status, 204);
  // beeps.wav: tones at 0.25–0.75 s and 1.25–1.5 s, noise 2.0–2.75 s; the second is labeled wrong.
  const initial = [
    { control: 'sounds', type: 'span', label: 'tone', start: 0.25, end: 0.75 },
    { control: 'sounds', type: 'span', label: 'noise', start: 1.25, end: 1.5 },
    { control: 'sounds', type: 'span', label: 'noise', start: 2.0, end: 2.75 },
  ];
  const imported = await admin('POST', `/projects/${id}/tasks`, [
    { data: { audio: '/media/audio/beeps.wav', initial_result: initial } },
  ]);
  assert.equal(imported.status, 201, JSON.stringify(imported.body));

  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const task = await openLabeling(page, plumb.baseUrl, id);
  await waitForAttribute(page, wave, 'data-duration', 3);
  assert.deepEqual(
    (await segments(page)).map(({ label, start, end }) => ({ label, start, end })),
    initial.map(({ label, start, end }) => ({ label, start, end })),
  );
  await page.locator('[data-testid="audio-region"]').nth(2).waitFor();

  // ] ] selects the second segment: relabel it with 1 (tone), set its attribute. ] selects the third:
  // delete it.
  await page.keyboard.press(']');
  await page.keyboard.press(']');
  await waitForAttribute(page, '[data-testid="segment"][data-selected="true"]', 'data-start', 1.25);
  await page.keyboard.press('1');
  await page.locator('[data-testid="attribute"][data-attribute="quality"]').selectOption('noisy');
  // Keys typed into a field are not shortcuts: leave it, as a click elsewhere would.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(']');
  await waitForAttribute(page, '[data-testid="segment"][data-selected="true"]', 'data-start', 2);
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="segment"]').length === 2);

  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${task}"]), [data-testid="nothing-left"]`);
  const record = await exportedTask(admin, id, task);
  assert.deepEqual(
    record.annotations[0].result.map(({ label, start, end, attributes }) => ({ label, start, end, attributes })),
    [
      { label: 'tone', start: 0.25, end: 0.75, attributes: undefined },
      { label: 'tone', start: 1.25, end: 1.5, attributes: { quality: 'noisy' } },
    ],
  );
  assert.deepEqual(problems, []);
  await page.close();
});
