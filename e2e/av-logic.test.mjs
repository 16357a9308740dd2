// Unit tests of the pure logic behind the video and audio controls
// (web/src/editor/video/tracks.ts, web/src/editor/audio/segments.ts): frame
// arithmetic, linear interpolation, outside, keyframe and attribute edits, and the overlap
// rule of audio segments. The two modules are compiled with the UI's own
// TypeScript into a temporary folder and imported from there.
//
//   cd e2e && node --test av-logic.test.mjs      (needs npm ci in web/)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, '../web');
const tsc = join(web, 'node_modules/.bin/tsc');

let outDir;
let T;
let S;

before(async () => {
  assert.ok(existsSync(tsc), `no TypeScript at ${tsc}: run npm ci in web/`);
  outDir = mkdtempSync(join(tmpdir(), 'plumb-av-logic-'));
  const sources = ['src/editor/video/tracks.ts', 'src/editor/audio/segments.ts'];
  const options = ['--ignoreConfig', '--outDir', outDir, '--rootDir', 'src', '--module', 'esnext'];
  options.push('--target', 'es2022', '--moduleResolution', 'bundler', '--skipLibCheck');
  await promisify(execFile)(tsc, [...options, ...sources], { cwd: web });
  T = await import(pathToFileURL(join(outDir, 'editor/video/tracks.js')).href);
  S = await import(pathToFileURL(join(outDir, 'editor/audio/segments.js')).href);
});

after(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const kf = (frame, x, y, extra = {}) => ({
  control: 'objects',
  type: 'bbox',
  track: 't1',
  frame,
  label: 'car',
  x,
  y,
  w: 40,
  h: 20,
  rotation: 0,
  ...extra,
});

test('frames and times: frame f covers [f/fps, (f+1)/fps), seeks land in its middle', () => {
  const cases = [
    // [time, fps, frames, frame]
    [0, 25, 80, 0],
    [0.039, 25, 80, 0],
    [0.04, 25, 80, 1],
    [0.4, 25, 80, 10],
    [3.2, 25, 80, 79],
    [99, 25, 80, 79],
    [-1, 25, 80, 0],
    [1 / 30, 30, 90, 1],
  ];
  for (const [time, fps, frames, frame] of cases) {
    assert.equal(T.frameAtTime(time, fps, frames), frame, `time ${time} at ${fps} fps`);
  }
  for (const frame of [0, 1, 12, 79]) assert.equal(T.frameAtTime(T.seekTime(frame, 25), 25, 80), frame);
  assert.equal(T.frameCount(3.2, 25), 80);
  assert.equal(T.frameCount(3.19, 25), 80);
  assert.equal(T.frameCount(0.001, 25), 1);
  assert.equal(T.fpsOf({ fps: 30 }), 30);
  assert.equal(T.fpsOf({ fps: '29.97' }), 29.97);
  for (const fps of [undefined, 0, -5, 1001, 'x', null]) assert.equal(T.fpsOf({ fps }), 25, `fps ${fps}`);
});

test('a track shows nothing before its first keyframe, interpolates linearly, and keeps its last box', () => {
  const keyframes = [kf(10, 50, 55), kf(60, 200, 130, { w: 60, h: 30 })];
  assert.equal(T.boxAt(keyframes, 9), null);
  const cases = [
    // [frame, box, keyframe?]
    [10, { x: 50, y: 55, w: 40, h: 20 }, true],
    [35, { x: 125, y: 92.5, w: 50, h: 25 }, false],
    [20, { x: 80, y: 70, w: 44, h: 22 }, false],
    [60, { x: 200, y: 130, w: 60, h: 30 }, true],
    [75, { x: 200, y: 130, w: 60, h: 30 }, false],
  ];
  for (const [frame, box, isKeyframe] of cases) {
    const shown = T.boxAt(keyframes, frame);
    assert.deepEqual(shown.box, box, `frame ${frame}`);
    assert.equal(shown.keyframe !== null, isKeyframe, `frame ${frame} keyframe`);
    assert.equal(shown.visible, true);
  }
});

test('outside hides a track from its keyframe to the next one, and toggles back', () => {
  let items = [kf(0, 10, 10), kf(40, 90, 50)];
  items = T.toggleOutside(items, 't1', 20);
  assert.deepEqual(
    items.map((i) => [i.frame, i.x, i.outside ?? false]),
    [
      [0, 10, false],
      [20, 50, true],
      [40, 90, false],
    ],
    'the outside keyframe takes the interpolated box',
  );
  const keyframes = T.tracksOf(items)[0].keyframes;
  assert.equal(T.boxAt(keyframes, 19).visible, true);
  assert.equal(T.boxAt(keyframes, 20).visible, false);
  assert.equal(T.boxAt(keyframes, 39).visible, false);
  assert.equal(T.boxAt(keyframes, 40).visible, true);
  assert.deepEqual(T.hiddenRanges(keyframes, 50), [[20, 40]]);
  assert.equal(T.toggleOutside(items, 't1', 20)[1].outside, undefined, 'toggling again shows it');
  assert.equal(T.toggleOutside(items, 't1', 30).length, 4, 'a hidden frame gets a visible keyframe');
  assert.equal(T.toggleOutside(items, 't1', 30)[2].outside, undefined);
  const before = [kf(10, 0, 0)];
  assert.equal(T.toggleOutside(before, 't1', 5), before, 'nothing to hide before the first keyframe');
});

test('keyframe edits keep a track to one label, one keyframe per frame, in frame order', () => {
  let items = T.setKeyframe([], 'objects', 't1', 30, { x: 1, y: 2, w: 3, h: 4 }, 'car');
  items = T.setKeyframe(items, 'objects', 't1', 10, { x: 5, y: 6, w: 7, h: 8 }, 'person');
  assert.deepEqual(
    items.map((i) => [i.frame, i.label, i.x]),
    [
      [10, 'car', 5],
      [30, 'car', 1],
    ],
  );
  const withId = items.map((i) => (i.frame === 30 ? { ...i, id: 'r7', outside: true } : i));
  const replaced = T.setKeyframe(withId, 'objects', 't1', 30, { x: 9, y: 9, w: 9, h: 9 }, 'car');
  assert.equal(replaced.length, 2);
  assert.equal(replaced[1].id, 'r7', 'a replaced keyframe keeps its id');
  assert.equal(replaced[1].outside, undefined, 'a box set on a frame is in view');
  assert.equal(T.newTrackId(items), 't2');
  const two = T.setKeyframe(items, 'objects', 't2', 0, { x: 0, y: 0, w: 1, h: 1 }, 'person');
  assert.deepEqual(
    T.tracksOf(two).map((t) => [t.id, t.label, t.keyframes.length]),
    [
      ['t1', 'car', 2],
      ['t2', 'person', 1],
    ],
  );
  const relabeled = T.relabelTrack(two, 't1', 'bus');
  assert.deepEqual(relabeled.filter((i) => i.track === 't1').map((i) => i.label), ['bus', 'bus']);
  assert.deepEqual(T.deleteKeyframe(two, 't1', 10).map((i) => [i.track, i.frame]), [['t1', 30], ['t2', 0]]);
  assert.deepEqual(T.deleteTrack(two, 't1').map((i) => i.track), ['t2']);
  const occluded = T.setTrackAttributes(two, 't1', { occluded: true });
  assert.deepEqual(occluded.map((i) => i.attributes), [{ occluded: true }, { occluded: true }, undefined]);
  const inherited = T.setKeyframe(occluded, 'objects', 't1', 50, { x: 0, y: 0, w: 1, h: 1 }, 'car');
  assert.deepEqual(inherited.find((i) => i.frame === 50).attributes, { occluded: true }, 'a new keyframe');
  assert.equal(T.toggleOutside(occluded, 't1', 20).find((i) => i.frame === 20).attributes.occluded, true);
  assert.ok(T.setTrackAttributes(occluded, 't1', {}).every((i) => !('attributes' in i)), 'none left: no key');
  assert.equal(T.adjacentKeyframe(T.tracksOf(two)[0].keyframes, 20, 1), 30);
  assert.equal(T.adjacentKeyframe(T.tracksOf(two)[0].keyframes, 20, -1), 10);
  assert.equal(T.adjacentKeyframe(T.tracksOf(two)[0].keyframes, 30, 1), null);
});

test('screen points become media pixels; boxes stay inside the media', () => {
  const rect = { left: 100, top: 50, width: 640, height: 480 };
  assert.deepEqual(T.toMediaPoint(420, 290, rect, 320, 240), { x: 160, y: 120 });
  assert.deepEqual(T.toMediaPoint(0, 1000, rect, 320, 240), { x: 0, y: 240 });
  assert.deepEqual(T.clampBox({ x: -5, y: 230, w: 20, h: 20 }, 320, 240), { x: 0, y: 220, w: 20, h: 20 });
  assert.deepEqual(T.clampBox({ x: 10, y: 10, w: 0, h: 0.2 }, 320, 240), { x: 10, y: 10, w: 1, h: 1 });
  assert.deepEqual(T.clampBox({ x: 1.23456, y: 0, w: 10, h: 10 }, 320, 240).x, 1.23);
  assert.deepEqual(T.boxFromCorners({ x: 50, y: 40 }, { x: 10, y: 60 }), { x: 10, y: 40, w: 40, h: 20 });
  assert.deepEqual(T.moveBox({ x: 300, y: 10, w: 40, h: 20 }, 10, -20, 320, 240), { x: 280, y: 0, w: 40, h: 20 });
  assert.deepEqual(T.resizeBox({ x: 10, y: 10, w: 10, h: 10 }, 'nw', { x: 5, y: 25 }), { x: 5, y: 20, w: 15, h: 5 });
  assert.deepEqual(T.resizeBox({ x: 10, y: 10, w: 10, h: 10 }, 'se', { x: 30, y: 40 }), { x: 10, y: 10, w: 20, h: 30 });
});

test('audio segments: fitted between the others unless overlap is allowed', () => {
  const others = [
    { start: 1, end: 2 },
    { start: 3, end: 4 },
  ];
  const cases = [
    // [segment, edit, overlap, duration, fitted or null]
    [{ start: 2.2, end: 3.5 }, 'create', false, 5, { start: 2.2, end: 3 }],
    [{ start: 2, end: 3 }, 'create', false, 5, { start: 2, end: 3 }],
    [{ start: 1.5, end: 2.5 }, 'create', false, 5, null],
    [{ start: 1.5, end: 2.5 }, 'create', true, 5, { start: 1.5, end: 2.5 }],
    [{ start: 1.5, end: 2.5 }, 'move', false, 5, null],
    [{ start: 2, end: 3 }, 'move', false, 5, { start: 2, end: 3 }],
    [{ start: 0.5, end: 2.8 }, 'start', false, 5, { start: 2, end: 2.8 }],
    [{ start: 2.1, end: 4.8 }, 'end', false, 5, { start: 2.1, end: 3 }],
    [{ start: 4.5, end: 6 }, 'create', false, 5, { start: 4.5, end: 5 }],
    [{ start: 4.5, end: 6 }, 'end', true, 4.9996, { start: 4.5, end: 4.999 }],
    [{ start: 2.5, end: 2.51 }, 'create', false, 5, null],
    [{ start: 2.12345, end: 2.56789 }, 'create', false, 5, { start: 2.123, end: 2.568 }],
  ];
  for (const [segment, edit, overlap, duration, fitted] of cases) {
    const what = JSON.stringify([segment, edit, overlap]);
    assert.deepEqual(S.fitSegment(others, segment, edit, overlap, duration), fitted, what);
  }
  assert.equal(S.overlaps({ start: 1, end: 2 }, { start: 2, end: 3 }), false, 'touching is not overlapping');
  const items = [
    { control: 'a', type: 'span', label: 'x', start: 3, end: 4 },
    { control: 'a', type: 'span', label: 'y', start: 1, end: 2.5 },
    { control: 'a', type: 'span', label: 'z', start: 2, end: 3 },
  ];
  assert.deepEqual(S.timeOrder(items), [1, 2, 0]);
  assert.equal(S.segmentAt(items, 2.2), 2, 'the latest-starting of two');
  assert.equal(S.segmentAt(items, 0.5), -1);
  assert.deepEqual(S.withLabel(items, 0, 'q')[0], { ...items[0], label: 'q' });
  assert.deepEqual(S.withTimes(items, 1, { start: 0, end: 1 })[1], { ...items[1], start: 0, end: 1 });
  assert.deepEqual(S.without(items, 1).map((i) => i.label), ['x', 'z']);
  assert.deepEqual(S.withAttributes(items, 2, { quality: 'noisy' })[2].attributes, { quality: 'noisy' });
  assert.ok(!('attributes' in S.withAttributes(items, 2, {})[2]));
  assert.equal(S.formatTime(62.5), '1:02.500');
});
