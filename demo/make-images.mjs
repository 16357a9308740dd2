// Writes the demo's shape images (circles, squares, triangles) as PNG files
// into demo/images/ and their tasks into demo/images.jsonl. No dependencies:
// the PNG encoder below is node's zlib plus a CRC-32. The output depends only
// on the fixed seed, so running it again reproduces the same files.
//
//   node demo/make-images.mjs

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const size = 160;
const perShape = 12;
const samples = 4; // per axis: 16 samples a pixel smooth the edges
const shapes = ['circle', 'square', 'triangle'];
const colours = [
  [220, 50, 47],
  [38, 139, 210],
  [133, 153, 0],
  [181, 137, 0],
  [108, 113, 196],
  [211, 54, 130],
];
const backgrounds = [
  [253, 246, 227],
  [238, 238, 238],
  [40, 44, 52],
  [225, 240, 250],
  [250, 228, 214],
  [230, 245, 228],
];

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'images');

// A small deterministic generator (mulberry32), so the images never change.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each shape is a test "is (x, y) inside" over pixel coordinates.
function circle(cx, cy, r) {
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function square(cx, cy, r, angle) {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return (x, y) => {
    const dx = x - cx;
    const dy = y - cy;
    return Math.abs(dx * cos + dy * sin) <= r && Math.abs(-dx * sin + dy * cos) <= r;
  };
}

function triangle(cx, cy, r, angle) {
  const corners = [0, 1, 2].map((i) => {
    const a = angle - Math.PI / 2 + (i * 2 * Math.PI) / 3;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
  const side = ([ax, ay], [bx, by], x, y) => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  return (x, y) => {
    const s = corners.map((c, i) => side(c, corners[(i + 1) % 3], x, y));
    return s.every((v) => v >= 0) || s.every((v) => v <= 0);
  };
}

function render(inside, colour, background) {
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          if (inside(x + (sx + 0.5) / samples, y + (sy + 0.5) / samples)) hits++;
        }
      }
      const cover = hits / (samples * samples);
      for (let c = 0; c < 3; c++) {
        pixels[(y * size + x) * 3 + c] = Math.round(background[c] * (1 - cover) + colour[c] * cover);
      }
    }
  }
  return pixels;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGB PNG; every row uses filter type 0 (none). */
function png(pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const rows = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    pixels.copy(rows, y * (size * 3 + 1) + 1, y * size * 3, (y + 1) * size * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function makeShape(kind, next) {
  const r = 28 + next() * 30;
  const cx = r + 8 + next() * (size - 2 * r - 16);
  const cy = r + 8 + next() * (size - 2 * r - 16);
  const angle = next() * Math.PI;
  if (kind === 'circle') return circle(cx, cy, r);
  if (kind === 'square') return square(cx, cy, r * 0.8, angle);
  return triangle(cx, cy, r, angle);
}

mkdirSync(outDir, { recursive: true });
const next = random(20261128);
const tasks = [];
for (let i = 0; i < shapes.length * perShape; i++) {
  // Interleave the kinds so neighbouring tasks differ.
  const kind = shapes[i % shapes.length];
  const colour = colours[Math.floor(next() * colours.length)];
  const background = backgrounds[Math.floor(next() * backgrounds.length)];
  const name = `shape-${String(i + 1).padStart(3, '0')}.png`;
  writeFileSync(join(outDir, name), png(render(makeShape(kind, next), colour, background)));
  tasks.push(JSON.stringify({ data: { image: `/media/images/${name}` } }));
}
writeFileSync(join(here, 'images.jsonl'), tasks.join('\n') + '\n');
console.log(`wrote ${tasks.length} images to ${outDir}`);
