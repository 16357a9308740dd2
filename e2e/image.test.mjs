// Browser test of the image editor against the real server: an annotator
// draws a box and a polygon on a demo shape with the mouse, moves and resizes
// the box, drags a polygon vertex, uses undo/redo, and submits; the export
// must hold that geometry in pixels of the image's natural size (160×160).
// Then a task with an initial result made for a 320×320 copy of the image is
// shown as editable regions, scaled to the natural size.
//
//   cd e2e && node --test image.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  apiAs,
  exportedTask,
  loggedInPage,
  openLabeling,
  projectNamed,
  projectWithTasks,
  startPlumb,
} from './harness.mjs';

let plumb;
before(async () => {
  plumb = await startPlumb();
});
after(async () => {
  await plumb?.stop();
});

/** Maps image pixels to page coordinates with the canvas's current zoom and pan. */
async function imageToPage(page) {
  const canvas = page.getByTestId('image-canvas');
  await page.waitForFunction(() => document.querySelector('[data-testid="image-canvas"]')?.dataset.naturalWidth);
  const box = await canvas.boundingBox();
  const data = await canvas.evaluate((node) => ({ ...node.dataset }));
  const scale = Number(data.scale);
  const ox = Number(data.offsetX);
  const oy = Number(data.offsetY);
  return {
    natural: { width: Number(data.naturalWidth), height: Number(data.naturalHeight) },
    scale,
    at: (x, y) => ({ x: box.x + ox + x * scale, y: box.y + oy + y * scale }),
  };
}

async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}

async function regions(page) {
  return page
    .getByTestId('region')
    .evaluateAll((nodes) =>
      nodes.map((n) => ({ type: n.dataset.type, label: n.dataset.label, selected: n.dataset.selected })),
    );
}

// The mouse moves in whole screen pixels: each gesture (draw, move, resize)
// may be off by up to one screen pixel, i.e. 1/scale image pixels.
let tolerance = 0.5;
function near(actual, expected, what) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} (±${tolerance})`);
}

test('box and polygon drawn, moved, resized, undone, redone: natural pixels', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Shapes — boxes');
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, project.id);
  const { natural, at, scale } = await imageToPage(page);
  assert.deepEqual(natural, { width: 160, height: 160 });
  tolerance = 2 / scale + 0.01;

  // The box tool is the first control; key 2 picks the label "square".
  await page.keyboard.press('b');
  await page.keyboard.press('2');
  await drag(page, at(20, 30), at(100, 90));
  assert.deepEqual(await regions(page), [{ type: 'bbox', label: 'square', selected: 'true' }]);

  // Undo removes the box, redo brings it back (keys), and the buttons do the same.
  await page.keyboard.press('Control+z');
  assert.deepEqual(await regions(page), []);
  await page.keyboard.press('Control+Shift+z');
  assert.equal((await regions(page)).length, 1);
  await page.getByTestId('undo').click();
  assert.equal((await regions(page)).length, 0);
  await page.getByTestId('redo').click();
  assert.equal((await regions(page)).length, 1);

  // Move: drag the box, unselected, by (10, 5) image pixels. Resize: drag its bottom-right handle by (10, 10).
  await page.keyboard.press('Escape');
  assert.deepEqual(await regions(page), [{ type: 'bbox', label: 'square', selected: 'false' }]);
  await drag(page, at(60, 60), at(70, 65));
  await drag(page, at(110, 95), at(120, 105));

  // A triangle-ish polygon with the polygon tool, closed with Enter, then its third vertex dragged.
  await page.keyboard.press('p');
  await page.keyboard.press('3');
  await page.mouse.click(at(10, 10).x, at(10, 10).y);
  await page.mouse.click(at(50, 12).x, at(50, 12).y);
  await page.mouse.click(at(40, 50).x, at(40, 50).y);
  await page.keyboard.press('Enter');
  const afterPolygon = await regions(page);
  assert.deepEqual(
    afterPolygon.map((r) => `${r.type}:${r.label}`),
    ['bbox:square', 'polygon:triangle'],
    'Enter closed the polygon and did not submit',
  );
  await drag(page, at(40, 50), at(45, 60));

  // A keypoint inside the box: with the point tool, a click on the box sets a point.
  await page.keyboard.press('k');
  await page.keyboard.press('2');
  await page.mouse.click(at(80, 80).x, at(80, 80).y);
  assert.equal((await regions(page)).length, 3);

  await page.screenshot({ path: '/tmp/plumb-image.png', fullPage: true });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`);
  const notice = await page.getByTestId('notice').count();
  assert.equal(notice, 0);

  const record = await exportedTask(manager, project.id, taskId);
  assert.equal(record.annotations.length, 1);
  const result = record.annotations[0].result;
  const box = result.find((item) => item.control === 'objects');
  assert.equal(box.type, 'bbox');
  assert.equal(box.label, 'square');
  near(box.x, 30, 'box x');
  near(box.y, 35, 'box y');
  near(box.w, 90, 'box w');
  near(box.h, 70, 'box h');
  assert.equal(box.rotation ?? 0, 0);

  const polygon = result.find((item) => item.control === 'outline');
  assert.equal(polygon.label, 'triangle');
  const expected = [
    [10, 10],
    [50, 12],
    [45, 60],
  ];
  assert.equal(polygon.points.length, 3);
  polygon.points.forEach(([x, y], i) => {
    near(x, expected[i][0], `polygon point ${i} x`);
    near(y, expected[i][1], `polygon point ${i} y`);
  });

  const point = result.find((item) => item.control === 'points');
  assert.equal(point.label, 'centre');
  near(point.x, 80, 'point x');
  near(point.y, 80, 'point y');

  const { body: revisions } = await manager('GET', `/tasks/${taskId}/annotations`);
  assert.deepEqual(revisions.items.at(-1).media, { width: 160, height: 160 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an initial result loads as editable regions, scaled to the natural size', { timeout: 120_000 }, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const schema = {
    controls: [
      // A choice first: it is the active control when the task opens.
      { name: 'kind', type: 'choice', source: 'image', labels: ['x', 'y'], required: false },
      {
        name: 'objects',
        type: 'bbox',
        source: 'image',
        labels: ['circle', 'square'],
        attributes: [{ name: 'occluded', type: 'boolean' }],
      },
      { name: 'outline', type: 'polygon', source: 'image', labels: ['road'] },
    ],
  };
  // Made for a 320×320 version of the 160×160 image: the editor halves it.
  const initial = {
    media: { width: 320, height: 320 },
    result: [
      { control: 'objects', type: 'bbox', id: 'p1', label: 'circle', x: 40, y: 60, w: 100, h: 80 },
      {
        control: 'outline',
        type: 'polygon',
        id: 'p2',
        label: 'road',
        points: [
          [0, 0],
          [200, 0],
          [200, 100],
        ],
      },
    ],
  };
  const projectId = await projectWithTasks(admin, 'Pre-labeled', schema, [
    { data: { image: '/media/images/shape-002.png', initial_result: initial } },
  ]);

  tolerance = 0.01;
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, projectId);
  await imageToPage(page);
  assert.deepEqual(
    (await regions(page)).map((r) => `${r.type}:${r.label}`),
    ['bbox:circle', 'polygon:road'],
  );

  // Edit the pre-labeled box: select it with ] (the box tool's first region), relabel with key 2,
  // nudge it 5 px right, mark it occluded.
  // b picks up the box tool while the choice is active.
  assert.equal(await page.getByTestId('image-workspace').getAttribute('data-active'), 'false');
  await page.keyboard.press('b');
  assert.equal(await page.getByTestId('image-workspace').getAttribute('data-active'), 'true');
  await page.keyboard.press(']');
  assert.equal(await page.locator('[data-testid="region"][data-id="p1"]').getAttribute('data-selected'), 'true');
  await page.keyboard.press('2');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.locator('[data-testid="attribute"][data-attribute="occluded"]').check();
  // Delete the polygon.
  await page.locator('[data-testid="region"][data-id="p2"] button').click();
  await page.keyboard.press('Delete');
  assert.deepEqual(
    (await regions(page)).map((r) => r.type),
    ['bbox'],
  );

  await page.getByTestId('submit').click();
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`);

  const record = await exportedTask(admin, projectId, taskId);
  const result = record.annotations[0].result;
  assert.equal(result.length, 1);
  const [box] = result;
  assert.equal(box.label, 'square');
  near(box.x, 25, 'box x');
  near(box.y, 30, 'box y');
  near(box.w, 50, 'box w');
  near(box.h, 40, 'box h');
  assert.deepEqual(box.attributes, { occluded: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a box rotated with its handle keeps rotation around its top-left corner', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Shapes — boxes');
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, project.id);
  const { at, scale } = await imageToPage(page);
  tolerance = 2 / scale + 0.01;

  // A 40×20 box centred on (80, 70); the rotation handle is 50 screen pixels above its top edge.
  await drag(page, at(60, 60), at(100, 80));
  const handle = at(80, 60);
  const centre = at(80, 70);
  // Dragged to the right of the centre: a quarter turn clockwise (snapped to 90°).
  await drag(page, { x: handle.x, y: handle.y - 50 }, { x: centre.x + 120, y: centre.y });

  // Its enum and string attributes in the side panel; Enter in the string field commits it, not the task.
  const detail = page.getByTestId('region-detail');
  await detail.locator('[data-attribute="fill"]').selectOption('outline');
  const note = detail.getByLabel('note');
  await note.fill('Zoë’s 🎉 <b>x</b>');
  await note.press('Enter');
  assert.equal(Number(await page.getByTestId('task').getAttribute('data-task-id')), taskId, 'not submitted yet');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`);

  const record = await exportedTask(manager, project.id, taskId);
  const [box] = record.annotations[0].result;
  assert.equal(box.rotation, 90);
  assert.deepEqual(box.attributes, { fill: 'outline', note: 'Zoë’s 🎉 <b>x</b>' });
  // Turned about its centre (80, 70): the top-left corner (60, 60) went to (90, 50).
  near(box.x, 90, 'x');
  near(box.y, 50, 'y');
  near(box.w, 40, 'w');
  near(box.h, 20, 'h');
  assert.deepEqual(problems, []);
  await page.close();
});

test('zoomed and panned, a point lands on the image pixel under the pointer', { timeout: 120_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const project = await projectNamed(manager, 'Shapes — boxes');
  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, project.id);
  const fit = await imageToPage(page);

  // Zoom in twice with + (1.25 each, around the centre), then pan by (-60, -40) holding Space.
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  const unpanned = await imageToPage(page);
  const start = fit.at(80, 80);
  await page.keyboard.down(' ');
  await drag(page, start, { x: start.x - 60, y: start.y - 40 });
  await page.keyboard.up(' ');
  const zoomed = await imageToPage(page);
  assert.ok(Math.abs(zoomed.scale / fit.scale - 1.5625) < 1e-6, `zoomed ×1.5625: ${zoomed.scale / fit.scale}`);
  const moved = { x: zoomed.at(0, 0).x - unpanned.at(0, 0).x, y: zoomed.at(0, 0).y - unpanned.at(0, 0).y };
  assert.ok(
    Math.abs(moved.x + 60) <= 1 && Math.abs(moved.y + 40) <= 1,
    `panned by (-60, -40): ${JSON.stringify(moved)}`,
  );
  assert.equal((await regions(page)).length, 0, 'panning drew nothing');
  tolerance = 1 / zoomed.scale + 0.01;

  await page.keyboard.press('k');
  const target = zoomed.at(100, 90);
  await page.mouse.click(target.x, target.y);

  // A polygon closed by a click on its first point (Enter would close it too).
  await page.keyboard.press('p');
  for (const [x, y] of [
    [60, 60],
    [90, 62],
    [75, 80],
    [60.5, 60.5],
  ]) {
    const p = zoomed.at(x, y);
    await page.mouse.click(p.x, p.y);
  }
  assert.deepEqual(
    (await regions(page)).map((r) => r.type),
    ['polygon', 'keypoint'],
  );
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`);

  const record = await exportedTask(manager, project.id, taskId);
  const byType = Object.fromEntries(record.annotations[0].result.map((item) => [item.type, item]));
  near(byType.keypoint.x, 100, 'x');
  near(byType.keypoint.y, 90, 'y');
  assert.equal(byType.polygon.points.length, 3, 'the click on the first point closed it, adding none');
  [
    [60, 60],
    [90, 62],
    [75, 80],
  ].forEach(([x, y], i) => {
    near(byType.polygon.points[i][0], x, `point ${i} x`);
    near(byType.polygon.points[i][1], y, `point ${i} y`);
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a model's prediction imported with the task loads as editable regions", { timeout: 120_000 }, async () => {
  const admin = await apiAs(plumb.baseUrl, 'admin');
  const schema = { controls: [{ name: 'objects', type: 'bbox', source: 'image', labels: ['circle', 'square'] }] };
  const projectId = await projectWithTasks(admin, 'Predicted', schema, []);
  // 25 % / 12.5 % / 50 % / 25 % of 160×160: the box (40, 20, 80, 40) in pixels.
  const task = {
    data: { image: '/media/images/shape-003.png' },
    predictions: [
      {
        model_version: 'v1',
        score: 0.9,
        result: [
          {
            from_name: 'objects',
            to_name: 'image',
            type: 'rectanglelabels',
            original_width: 160,
            original_height: 160,
            value: { x: 25, y: 12.5, width: 50, height: 25, rotation: 0, rectanglelabels: ['circle'] },
          },
        ],
      },
    ],
  };
  const imported = await admin('POST', `/projects/${projectId}/tasks?format=label_studio`, [task]);
  assert.equal(imported.status, 201, JSON.stringify(imported.body));
  assert.equal(imported.body.predictions, 1);

  const { page, problems } = await loggedInPage(plumb, 'annotator');
  const taskId = await openLabeling(page, plumb.baseUrl, projectId);
  await imageToPage(page);
  const [region] = await page
    .getByTestId('region')
    .evaluateAll((nodes) => nodes.map((n) => ({ label: n.dataset.label, geometry: JSON.parse(n.dataset.geometry) })));
  assert.deepEqual(region, { label: 'circle', geometry: [40, 20, 80, 40, 0] });
  assert.match(await page.getByTestId('prelabel').textContent(), /v1 \(score 0\.9\)/);

  // Accept it with one change: relabeled to square.
  await page.keyboard.press(']');
  await page.keyboard.press('2');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="task"]:not([data-task-id="${taskId}"]), [data-testid="nothing-left"]`);
  const record = await exportedTask(admin, projectId, taskId);
  const [box] = record.annotations[0].result;
  assert.deepEqual(
    { label: box.label, x: box.x, y: box.y, w: box.w, h: box.h },
    { label: 'square', x: 40, y: 20, w: 80, h: 40 },
  );
  assert.deepEqual(problems, []);
  await page.close();
});
