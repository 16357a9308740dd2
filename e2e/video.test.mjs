// Browser test of video labeling: an annotator boxes the moving square of
// demo/video/moving-square.webm on two keyframes, steps to a frame between
// them and finds the interpolated box where linear interpolation puts it,
// marks the square as outside near the end, submits, and a manager finds the
// keyframes in pixels in the export. A pre-labeled track loads as an editable
// track, interpolated between its keyframes.
//
//   cd e2e && PLUMB_BIN=../build/plumb node --test video.test.mjs
//
// The square is drawn by demo/make-media.mjs at x = 20 + 3f, y = 40 + 1.5f
// (40×40 pixels) on frame f of 80, at 25 fps in a 320×240 video.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, exportedTask, loggedInPage, openLabeling, projectNamed, startPlumb } from './harness.mjs';

const screenshotPath = '/tmp/plumb-video.png';
const square = (f) => ({ x: 20 + 3 * f, y: 40 + 1.5 * f, w: 40, h: 40 });

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

/** The frame the editor is on, once it is `frame`, and the video has landed inside that frame. */
async function onFrame(page, frame) {
  await waitForAttribute(page, '[data-testid="frame-counter"]', 'data-frame', frame);
  await page.waitForFunction(
    (f) => {
      const video = document.querySelector('[data-testid="task-video"]');
      return video && !video.seeking && Math.floor(video.currentTime * 25) === f;
    },
    frame,
  );
}

/** Presses keys until the frame counter reads `frame` (Shift+ArrowRight steps 10, ArrowRight 1). */
async function goTo(page, frame) {
  await page.keyboard.press('Home');
  await onFrame(page, 0);
  for (let i = 0; i < Math.floor(frame / 10); i++) await page.keyboard.press('Shift+ArrowRight');
  for (let i = 0; i < frame % 10; i++) await page.keyboard.press('ArrowRight');
  await onFrame(page, frame);
}

/** Drags on the video from one corner of `box` (video pixels) to the other. */
async function drawBox(page, box) {
  const overlay = await page.getByTestId('video-overlay').boundingBox();
  const toScreen = (x, y) => [overlay.x + (x * overlay.width) / 320, overlay.y + (y * overlay.height) / 240];
  const [x0, y0] = toScreen(box.x, box.y);
  const [x1, y1] = toScreen(box.x + box.w, box.y + box.h);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x1, y1, { steps: 8 });
  await page.mouse.up();
}

async function shownBox(page, track) {
  const box = page.locator(`[data-testid="video-box"][data-track="${track}"]`);
  await box.waitFor();
  const data = await box.evaluate((el) => ({
    kind: el.dataset.kind,
    outside: el.dataset.outside,
    x: Number(el.dataset.x),
    y: Number(el.dataset.y),
    w: Number(el.dataset.w),
    h: Number(el.dataset.h),
  }));
  return { ...data, screen: await box.boundingBox() };
}

function assertNear(actual, expected, tolerance, what) {
  for (const key of ['x', 'y', 'w', 'h']) {
    assert.ok(
      Math.abs(actual[key] - expected[key]) <= tolerance,
      `${what}: ${key} is ${actual[key]}, expected ${expected[key]} ± ${tolerance}`,
    );
  }
}

let taskId;
let projectId;
let keyframes;

const slow = { timeout: 120_000 };

test('an annotator boxes the square on two keyframes and sees it interpolated between them', slow, async () => {
  projectId = (await projectNamed(await apiAs(plumb.baseUrl, 'manager'), 'Video')).id;
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  taskId = await openLabeling(page, plumb.baseUrl, projectId);
  assert.match(await page.getByTestId('task-video').getAttribute('data-url'), /moving-square\.webm$/);
  await waitForAttribute(page, '[data-testid="video-stage"]', 'data-frames', 80);

  // Frame 10: a new track t1 with the active label (1: square).
  await page.keyboard.press('1');
  await goTo(page, 10);
  await drawBox(page, square(10));
  const first = await shownBox(page, 't1');
  assert.equal(first.kind, 'keyframe');
  assertNear(first, square(10), 1, 'keyframe on frame 10');

  // Frame 60: with t1 selected, drawing sets its keyframe there.
  await goTo(page, 60);
  const carried = await shownBox(page, 't1');
  assert.equal(carried.kind, 'interpolated', 'after its last keyframe a track keeps its box');
  await drawBox(page, square(60));
  const second = await shownBox(page, 't1');
  assert.equal(second.kind, 'keyframe');
  assertNear(second, square(60), 1, 'keyframe on frame 60');
  assert.equal(await page.locator('[data-testid="track"]').count(), 1, 'one track');

  // Frame 35, halfway: the box is the linear interpolation of the two keyframes.
  await goTo(page, 35);
  const between = await shownBox(page, 't1');
  assert.equal(between.kind, 'interpolated');
  const t = (35 - 10) / (60 - 10);
  const expected = Object.fromEntries(['x', 'y', 'w', 'h'].map((k) => [k, first[k] + (second[k] - first[k]) * t]));
  assertNear(between, expected, 0.011, 'interpolated box on frame 35');
  assertNear(between, square(35), 1, 'the interpolated box is on the square');
  // And it is drawn there on screen, over the video.
  const overlay = await page.getByTestId('video-overlay').boundingBox();
  const scale = overlay.width / 320;
  const onScreen = {
    x: (between.screen.x - overlay.x) / scale,
    y: (between.screen.y - overlay.y) / scale,
    w: between.screen.width / scale,
    h: between.screen.height / scale,
  };
  assertNear(onScreen, expected, 1.5 / scale + 0.5, 'the interpolated box on screen');
  await page.screenshot({ path: screenshotPath, fullPage: true });

  // Frame 70: the square leaves the view (O); on frame 75 no box is shown for it.
  await goTo(page, 70);
  await page.keyboard.press('o');
  await goTo(page, 75);
  const hidden = await shownBox(page, 't1');
  assert.equal(hidden.outside, 'true', 'after an outside keyframe the track is hidden');
  await page.keyboard.press('Escape');
  const drawn = await page.locator('[data-testid="video-box"][data-track="t1"]').count();
  assert.equal(drawn, 0, 'not drawn when not selected');

  keyframes = [
    { frame: 10, ...pick(first) },
    { frame: 60, ...pick(second) },
    { frame: 70, ...pick(second), outside: true },
  ];

  await page.keyboard.press('Enter');
  await page.locator(`[data-testid="task"]:not([data-task-id="${taskId}"])`).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

function pick(box) {
  return { x: box.x, y: box.y, w: box.w, h: box.h };
}

test('the export holds the keyframes in video pixels, and the annotation the video size', async () => {
  assert.ok(keyframes, 'the labeling test ran first');
  const api = await apiAs(plumb.baseUrl, 'manager');
  const record = await exportedTask(api, projectId, taskId);
  assert.equal(record.annotations.length, 1);
  const items = record.annotations[0].result;
  assert.equal(items.length, keyframes.length, JSON.stringify(items));
  items.forEach((item, i) => {
    const want = keyframes[i];
    assert.equal(item.control, 'objects');
    assert.equal(item.type, 'bbox');
    assert.equal(item.track, 't1');
    assert.equal(item.label, 'square');
    assert.equal(item.frame, want.frame);
    assert.equal(item.rotation, 0);
    assert.equal(Boolean(item.outside), Boolean(want.outside), `outside of frame ${want.frame}`);
    assertNear(item, want, 0.01, `exported keyframe on frame ${want.frame}`);
  });

  const { body: revisions } = await api('GET', `/tasks/${taskId}/annotations`);
  assert.deepEqual(
    { ...revisions.items[0].media },
    { width: 320, height: 240, frames: 80, fps: 25 },
    'the natural size, frame count and fps as the editor saw them',
  );
});

/** A fresh project with the demo's video schema, the annotator as member, and one task with `data`. */
async function projectWithTask(data) {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const schema = {
    controls: [
      {
        name: 'objects',
        type: 'bbox',
        media: 'video',
        source: 'video',
        labels: ['square', 'other'],
        attributes: [{ name: 'occluded', type: 'boolean' }],
      },
    ],
  };
  const created = await admin('POST', '/projects', { name: 'Pre-labeled video', schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { body: users } = await admin('GET', '/users');
  const annotator = users.items.find((u) => u.username === 'annotator');
  assert.equal((await admin('POST', `/projects/${created.body.id}/members`, { user_id: annotator.id })).status, 204);
  const imported = await admin('POST', `/projects/${created.body.id}/tasks`, [{ data }]);
  assert.equal(imported.status, 201, JSON.stringify(imported.body));
  return { admin, projectId: created.body.id };
}

test('a pre-labeled track loads as an editable track, interpolated, with attributes', slow, async () => {
  // two-squares.webm: the blue 48×36 box moves from (260, 30) on frame 0 to (12, 30) on frame 74.
  const initial = [
    { control: 'objects', type: 'bbox', track: 'blue', frame: 0, label: 'other', x: 260, y: 30, w: 48, h: 36 },
    { control: 'objects', type: 'bbox', track: 'blue', frame: 74, label: 'other', x: 12, y: 30, w: 48, h: 36 },
  ];
  const { admin, projectId: id } = await projectWithTask({
    video: '/media/video/two-squares.webm',
    fps: 25,
    initial_result: initial,
  });
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const task = await openLabeling(page, plumb.baseUrl, id);
  await waitForAttribute(page, '[data-testid="video-stage"]', 'data-frames', 75);
  assert.deepEqual(
    await page.locator('[data-testid="track"]').evaluateAll((rows) => rows.map((r) => r.dataset.track)),
    ['blue'],
  );

  await goTo(page, 37);
  const between = await shownBox(page, 'blue');
  assert.equal(between.kind, 'interpolated');
  assertNear(between, { x: 136, y: 30, w: 48, h: 36 }, 0.011, 'pre-labeled track on frame 37');

  // Edit it: on frame 74 drag the box 20 px right and 10 px down (video pixels).
  await goTo(page, 74);
  const end = await shownBox(page, 'blue');
  assert.equal(end.kind, 'keyframe');
  const overlay = await page.getByTestId('video-overlay').boundingBox();
  const scale = overlay.width / 320;
  const cx = end.screen.x + end.screen.width / 2;
  const cy = end.screen.y + end.screen.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 20 * scale, cy + 10 * scale, { steps: 8 });
  await page.mouse.up();
  const moved = await shownBox(page, 'blue');
  assertNear(moved, { x: 32, y: 40, w: 48, h: 36 }, 1, 'the moved keyframe');
  // And relabel the track with key 1 while it is selected.
  await page.keyboard.press('1');
  await waitForAttribute(page, '[data-testid="video-box"][data-track="blue"]', 'data-label', 'square');
  // An attribute of the selected track holds for the object, on every keyframe.
  await page.locator('[data-testid="attribute"][data-attribute="occluded"]').check();

  await page.getByTestId('submit').click();
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${task}"]), [data-testid="nothing-left"]`);
  const record = await exportedTask(admin, id, task);
  const items = record.annotations[0].result;
  assert.deepEqual(
    items.map((i) => [i.track, i.frame, i.label]),
    [
      ['blue', 0, 'square'],
      ['blue', 74, 'square'],
    ],
  );
  assert.deepEqual(items.map((i) => i.attributes), [{ occluded: true }, { occluded: true }]);
  assertNear(items[0], initial[0], 0, 'the untouched keyframe');
  assertNear(items[1], moved, 0.01, 'the moved keyframe in the export');
  assert.deepEqual(problems, []);
  await page.close();
});
