// Browser test of the create-project form: a manager makes a project with a
// control of every type and its options; the server keeps them as typed.
//
//   cd e2e && node --test project.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, loggedInPage, startPlumb } from './harness.mjs';

let plumb;
before(async () => {
  plumb = await startPlumb();
});
after(async () => {
  await plumb?.stop();
});

/** Fills control form number `index` (0-based). */
async function fillControl(page, index, { type, name, source, labels, attributes, media }) {
  const form = page.getByTestId('control-form').nth(index);
  await form.getByTestId('control-type').selectOption(type);
  await form.getByTestId('control-name').fill(name);
  await form.getByTestId('control-source').fill(source);
  if (labels) await form.getByTestId('control-labels').fill(labels);
  if (attributes) await form.getByTestId('control-attributes').fill(attributes);
  if (media) await form.getByTestId('control-media').selectOption(media);
  return form;
}

test('a manager creates a project with image, text, rating and free-text controls', { timeout: 60_000 }, async () => {
  const { page, problems } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/new`);
  await page.getByTestId('project-name').fill('Street scenes');
  const add = page.getByRole('button', { name: 'Add a control' });

  await fillControl(page, 0, {
    type: 'bbox',
    name: 'objects',
    source: 'image',
    labels: 'car, person',
    attributes: 'occluded: boolean\npose: enum: front, side\nnote: string',
  });
  await add.click();
  await fillControl(page, 1, { type: 'polygon', name: 'road', source: 'image', labels: 'road' });
  await add.click();
  const spans = await fillControl(page, 2, { type: 'span', name: 'entities', source: 'caption', labels: 'PER\nLOC' });
  await spans.getByLabel('Spans may overlap').check();
  await add.click();
  const rating = await fillControl(page, 3, { type: 'rating', name: 'quality', source: 'image' });
  await rating.getByTestId('control-max').fill('7');
  await rating.getByLabel('Required').uncheck();
  await add.click();
  const text = await fillControl(page, 4, { type: 'text', name: 'transcript', source: 'caption' });
  await text.getByTestId('control-max-length').fill('500');
  assert.equal(await text.getByTestId('control-labels').count(), 0, 'a text control has no labels');

  await page.getByTestId('create-project').click();
  await page.waitForURL(/\/projects\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split('/')[2]);

  const manager = await apiAs(plumb.baseUrl, 'manager');
  const { body: project } = await manager('GET', `/projects/${id}`);
  const byName = Object.fromEntries(project.schema.controls.map((c) => [c.name, c]));
  assert.deepEqual(Object.keys(byName), ['objects', 'road', 'entities', 'quality', 'transcript']);
  assert.equal(byName.objects.type, 'bbox');
  assert.equal(byName.objects.media, 'image');
  assert.deepEqual(byName.objects.labels, ['car', 'person']);
  assert.deepEqual(byName.objects.attributes, [
    { name: 'occluded', type: 'boolean' },
    { name: 'pose', type: 'enum', values: ['front', 'side'] },
    { name: 'note', type: 'string' },
  ]);
  assert.equal(byName.road.type, 'polygon');
  assert.equal(byName.entities.overlap, true);
  assert.equal(byName.entities.media, 'text');
  assert.equal(byName.quality.max, 7);
  assert.equal(byName.quality.required, false);
  assert.equal(byName.transcript.max_length, 500);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a schema error from the server is shown at the control it names', { timeout: 60_000 }, async () => {
  const { page } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/new`);
  await page.getByTestId('project-name').fill('Bad attributes');
  const form = await fillControl(page, 0, {
    type: 'keypoint',
    name: 'joints',
    source: 'image',
    labels: 'nose',
    attributes: 'side: enum:',
  });
  await page.getByTestId('create-project').click();
  await form.getByRole('alert').waitFor();
  assert.match(await form.getByRole('alert').textContent(), /attributes/);
  assert.match(page.url(), /\/projects\/new$/);
  await page.close();
});

test('a manager imports a COCO file with the format picker and downloads it again as COCO', { timeout: 60_000 }, async () => {
  const manager = await apiAs(plumb.baseUrl, 'manager');
  const schema = { controls: [{ name: 'objects', type: 'bbox', source: 'image', labels: ['bus', 'truck'] }] };
  const created = await manager('POST', '/projects', { name: 'Imported boxes', schema });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const coco = {
    images: [
      { id: 1, file_name: '/media/images/shape-001.png', width: 160, height: 160 },
      { id: 2, file_name: '/media/images/shape-002.png', width: 160, height: 160 },
    ],
    categories: [
      { id: 7, name: 'bus' },
      { id: 8, name: 'truck' },
    ],
    annotations: [{ id: 1, image_id: 1, category_id: 8, bbox: [10, 20, 30, 40] }],
  };
  const { page, problems } = await loggedInPage(plumb, 'manager');
  await page.goto(`${plumb.baseUrl}/projects/${id}`);
  await page.getByTestId('import-format').selectOption('coco');
  await page.getByTestId('import-file').setInputFiles({
    name: 'boxes.coco.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(coco)),
  });
  await page.getByTestId('import-submit').click();
  const result = page.getByTestId('import-result');
  await result.waitFor();
  assert.match(await result.textContent(), /Imported 2 tasks, 2 with labels/);

  // The COCO link downloads what was imported, in pixels.
  const link = page.getByTestId('export-coco');
  assert.equal(await link.textContent(), 'COCO');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const exported = JSON.parse(await streamText(await download.createReadStream()));
  const truck = exported.categories.find((c) => c.name === 'truck');
  assert.equal(exported.images.length, 2);
  assert.equal(exported.annotations.length, 1);
  assert.deepEqual(exported.annotations[0].bbox, [10, 20, 30, 40]);
  assert.equal(exported.annotations[0].category_id, truck.id);
  assert.deepEqual(problems, []);
  await page.close();
});

async function streamText(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
