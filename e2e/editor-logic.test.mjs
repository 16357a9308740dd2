// Unit tests of the pure logic behind the image and text editor
// (web/src/editor/text/offsets.ts, image/geometry.ts, result.ts): UTF-16 ↔
// code point offsets, keeping boxes inside the image, and the result the
// editor starts from (pre-labels). The modules are compiled with the UI's own
// TypeScript into a temporary folder and imported from there.
//
//   cd e2e && node --test editor-logic.test.mjs      (needs npm ci in web/)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const web = join(dirname(fileURLToPath(import.meta.url)), '../web');
const modules = { offsets: 'editor/text/offsets', geometry: 'editor/image/geometry', result: 'editor/result' };
let built;
const M = {};

before(async () => {
  const tsc = join(web, 'node_modules/.bin/tsc');
  assert.ok(existsSync(tsc), `no TypeScript at ${tsc}: run npm ci in web/`);
  built = mkdtempSync(join(tmpdir(), 'plumb-editor-logic-'));
  const args = ['--ignoreConfig', '--outDir', built, '--rootDir', 'src', '--module', 'esnext', '--target', 'es2022'];
  args.push('--moduleResolution', 'bundler', '--skipLibCheck', '--lib', 'es2022,dom');
  await promisify(execFile)(tsc, [...args, ...Object.values(modules).map((m) => `src/${m}.ts`)], { cwd: web });
  for (const [name, path] of Object.entries(modules)) {
    M[name] = await import(pathToFileURL(join(built, `${path}.js`)).href);
  }
});

after(() => {
  if (built) rmSync(built, { recursive: true, force: true });
});

// Each text with its code point boundaries' UTF-16 offsets.
const texts = [
  ['plain', 'abc', [0, 1, 2, 3]],
  ['accents (precomposed)', 'Zoë', [0, 1, 2, 3]],
  ['accent as a combining mark: two code points', 'e\u0301', [0, 1, 2]],
  ['CJK', '東京', [0, 1, 2]],
  ['emoji: one code point, two units', 'a🎉b', [0, 1, 3, 4]],
  ['ZWJ sequence: three code points', '👩‍💻', [0, 2, 3, 5]],
  ['empty', '', [0]],
];

test('code point boundaries in UTF-16 units', () => {
  for (const [what, text, expected] of texts) {
    assert.deepEqual(M.offsets.codePointBoundaries(text), expected, what);
  }
});

test('UTF-16 offsets to code points and back', () => {
  for (const [what, text, boundaries] of texts) {
    boundaries.forEach((u16, cp) => {
      assert.equal(M.offsets.toCodePoint(boundaries, u16), cp, `${what}: unit ${u16}`);
      assert.equal(M.offsets.toUtf16(boundaries, cp), u16, `${what}: code point ${cp}`);
    });
  }
  const emoji = M.offsets.codePointBoundaries('a🎉b');
  assert.equal(M.offsets.toCodePoint(emoji, 2), 2, 'inside a surrogate pair rounds up to its end');
  assert.equal(M.offsets.toUtf16(emoji, 99), 4, 'past the end is the end');
});

const image = { width: 160, height: 120 };

function inside(box) {
  return M.geometry.corners(box).every((c) => c.x >= 0 && c.y >= 0 && c.x <= image.width && c.y <= image.height);
}

test('clampBox keeps every corner inside the image', () => {
  const cases = [
    {
      what: 'inside already',
      box: { x: 10, y: 10, w: 50, h: 20, rotation: 0 },
      expect: { x: 10, y: 10, w: 50, h: 20 },
    },
    {
      what: 'past the right edge',
      box: { x: 130, y: 10, w: 50, h: 20, rotation: 0 },
      expect: { x: 110, y: 10, w: 50, h: 20 },
    },
    { what: 'above the top', box: { x: 10, y: -5, w: 50, h: 20, rotation: 0 }, expect: { x: 10, y: 0, w: 50, h: 20 } },
    {
      what: 'wider than the image',
      box: { x: -10, y: 0, w: 400, h: 20, rotation: 0 },
      expect: { x: 0, y: 0, w: 160, h: 20 },
    },
    // Turned a quarter clockwise around (x, y): it spans x in [x - h, x], y in [y, y + w].
    {
      what: 'rotated 90° over the left edge',
      box: { x: 5, y: 10, w: 40, h: 20, rotation: 90 },
      expect: { x: 20, y: 10, w: 40, h: 20 },
    },
  ];
  for (const { what, box, expect } of cases) {
    const out = M.geometry.clampBox(box, image);
    assert.ok(inside(out), `${what}: ${JSON.stringify(out)} is inside`);
    for (const key of Object.keys(expect))
      assert.ok(Math.abs(out[key] - expect[key]) < 0.011, `${what}: ${key} ${out[key]}`);
  }
  assert.equal(M.geometry.clampBox({ x: 50, y: 50, w: 10, h: 10, rotation: -90 }, image).rotation, 270);
  assert.equal(M.geometry.normalizeRotation(360), 0);
});

const controls = [
  { name: 'objects', type: 'bbox', source: 'image', labels: ['car'] },
  { name: 'entities', type: 'span', source: 'text', labels: ['PER'] },
  { name: 'mood', type: 'choice', source: 'text', labels: ['ok'] },
];

function task(data, prelabel) {
  return { id: 1, project_id: 1, data, priority: 0, state: 'new', created_at: '', annotations: [], prelabel };
}

test('the initial result: prelabel before initial_result, known controls only, ids and span texts filled in', () => {
  const data = {
    image: '/x.png',
    text: '🎉 Zoë',
    initial_result: [{ control: 'objects', type: 'bbox', label: 'car', x: 1, y: 2, w: 3, h: 4 }],
  };
  const fromData = M.result.initialResult(task(data), controls);
  assert.deepEqual(
    fromData.result.map((i) => i.control),
    ['objects'],
  );
  assert.match(fromData.result[0].id, /^[A-Za-z0-9_-]{1,64}$/, 'a region without an id gets one');
  assert.equal(fromData.media, undefined);

  const prelabel = {
    media: { width: 320, height: 240 },
    result: [
      { control: 'mood', values: ['ok'] },
      { control: 'gone', type: 'bbox', label: 'car', x: 0, y: 0, w: 1, h: 1 },
      { control: 'entities', label: 'PER', start: 2, end: 5, id: 'mine' },
      { control: 'objects', label: 'car', x: 10, y: 20, w: 30, h: 40 },
    ],
  };
  const { result, media } = M.result.initialResult(task(data, prelabel), controls);
  assert.deepEqual(media, { width: 320, height: 240 });
  assert.deepEqual(
    result.map((i) => `${i.control}:${i.type}`),
    ['objects:bbox', 'entities:span', 'mood:choice'],
    'schema order, unknown control dropped',
  );
  assert.equal(result[1].id, 'mine');
  assert.equal(result[1].text, 'Zoë', 'code points 2–5 after the emoji');
  assert.ok(result[0].id, 'a region without an id gets one');
  assert.equal(result[2].id, undefined, 'a choice gets no id');

  const halved = M.result.rescale(result, controls, media, { width: 160, height: 120 });
  assert.deepEqual([halved[0].x, halved[0].y, halved[0].w, halved[0].h], [5, 10, 15, 20]);
  assert.equal(halved[1], result[1], 'spans are not geometry');
});

test('required controls by default: choice, text and rating yes; regions no', () => {
  const schema = [
    { name: 'objects', type: 'bbox', source: 'image', labels: ['car'] },
    { name: 'mood', type: 'choice', source: 'image', labels: ['ok'] },
    { name: 'stars', type: 'rating', source: 'image', required: false },
  ];
  assert.equal(M.result.firstMissing(schema, [])?.name, 'mood');
  assert.equal(M.result.firstMissing(schema, [{ control: 'mood', type: 'choice', values: ['ok'] }]), undefined);
  const ordered = M.result.withItems(schema, [{ control: 'stars', type: 'rating', value: 2 }], 'mood', [
    { control: 'mood', type: 'choice', values: ['ok'] },
  ]);
  assert.deepEqual(
    ordered.map((i) => i.control),
    ['mood', 'stars'],
    'items in schema order',
  );
});
