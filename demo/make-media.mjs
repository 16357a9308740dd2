// Writes the demo's video and audio samples and their tasks:
//   demo/video/*.webm + demo/video.jsonl   (needs ffmpeg with libvpx, at generation time only)
//   demo/audio/*.wav  + demo/audio.jsonl   (node only)
// Everything is drawn or synthesized here from fixed numbers,
// so no third-party material or licence is involved. The files are committed;
// nothing in the build, tests or server runs this script or needs ffmpeg.
//
//   node demo/make-media.mjs            # both
//   node demo/make-media.mjs audio      # only the audio (no ffmpeg needed)

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const which = process.argv[2] ?? 'all';

// ---------------------------------------------------------------- video

const width = 320;
const height = 240;
const fps = 25;

/**
 * The videos: each object is a filled rectangle moving in a straight line
 * at constant speed, `from` at frame 0 and `to` at the last frame, so two
 * keyframes and linear interpolation track it exactly. A bar at the bottom
 * grows 4 px a frame, which shows by eye which frame is on screen.
 */
const videos = [
  {
    name: 'moving-square.webm',
    frames: 80,
    background: [236, 239, 243],
    objects: [{ colour: [220, 50, 47], size: [40, 40], from: [20, 40], to: [257, 158.5] }],
  },
  {
    name: 'two-squares.webm',
    frames: 75,
    background: [40, 44, 52],
    objects: [
      { colour: [38, 139, 210], size: [48, 36], from: [260, 30], to: [12, 30] },
      { colour: [133, 153, 0], size: [32, 32], from: [140, 190], to: [140, 10] },
    ],
  },
];

/** How much of the pixel [px, px+1) × [py, py+1) the rectangle covers, 0..1. */
function coverage(px, py, x, y, w, h) {
  const cx = Math.max(0, Math.min(px + 1, x + w) - Math.max(px, x));
  const cy = Math.max(0, Math.min(py + 1, y + h) - Math.max(py, y));
  return cx * cy;
}

function drawFrame(video, frame) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(video.background, i * 3);
  const t = video.frames > 1 ? frame / (video.frames - 1) : 0;
  const paint = (x, y, w, h, colour) => {
    for (let py = Math.max(0, Math.floor(y)); py < Math.min(height, Math.ceil(y + h)); py++) {
      for (let px = Math.max(0, Math.floor(x)); px < Math.min(width, Math.ceil(x + w)); px++) {
        const a = coverage(px, py, x, y, w, h);
        const o = (py * width + px) * 3;
        for (let c = 0; c < 3; c++) pixels[o + c] = Math.round(pixels[o + c] * (1 - a) + colour[c] * a);
      }
    }
  };
  for (const object of video.objects) {
    const x = object.from[0] + (object.to[0] - object.from[0]) * t;
    const y = object.from[1] + (object.to[1] - object.from[1]) * t;
    paint(x, y, object.size[0], object.size[1], object.colour);
  }
  paint(2, height - 8, 4 * frame, 5, [128, 128, 128]);
  return pixels;
}

function makeVideos() {
  const outDir = join(here, 'video');
  mkdirSync(outDir, { recursive: true });
  const tasks = [];
  for (const video of videos) {
    const raw = Buffer.concat(Array.from({ length: video.frames }, (_, f) => drawFrame(video, f)));
    const out = join(outDir, video.name);
    // VP8 in WebM plays in every chromium build; a keyframe every 10 frames
    // keeps seeking to any frame quick.
    const args = [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
      '-c:v', 'libvpx', '-b:v', '400k', '-g', '10', '-auto-alt-ref', '0', '-pix_fmt', 'yuv420p',
      '-an', '-fflags', '+bitexact', '-flags:v', '+bitexact', out,
    ];
    const result = spawnSync('ffmpeg', args, { input: raw, stdio: ['pipe', 'inherit', 'inherit'] });
    if (result.error || result.status !== 0) {
      throw new Error(`ffmpeg failed for ${video.name}: ${result.error?.message ?? `exit ${result.status}`}`);
    }
    tasks.push(JSON.stringify({ data: { video: `/media/video/${video.name}`, fps } }));
    console.log(`wrote ${out} (${video.frames} frames at ${fps} fps)`);
  }
  writeFileSync(join(here, 'video.jsonl'), tasks.join('\n') + '\n');
}

// ---------------------------------------------------------------- audio

const sampleRate = 8000;

// White noise for the bursts, the same every run: a hash of the sample index.
function noise(i) {
  const v = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return (v - Math.floor(v)) * 2 - 1;
}

/** Each clip: its length and its sounds (tones in Hz or noise) between start and end seconds; silence elsewhere. */
const clips = [
  {
    name: 'tones.wav',
    seconds: 4,
    sounds: [
      { start: 0.5, end: 1.5, tone: 440 },
      { start: 2.0, end: 2.5, noise: true },
      { start: 3.0, end: 3.5, tone: 880 },
    ],
  },
  {
    name: 'beeps.wav',
    seconds: 3,
    sounds: [
      { start: 0.25, end: 0.75, tone: 660 },
      { start: 1.25, end: 1.5, tone: 660 },
      { start: 2.0, end: 2.75, noise: true },
    ],
  },
];

function wav(samples) {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

function makeAudio() {
  const outDir = join(here, 'audio');
  mkdirSync(outDir, { recursive: true });
  const tasks = [];
  for (const clip of clips) {
    const samples = new Float64Array(Math.round(clip.seconds * sampleRate));
    for (const sound of clip.sounds) {
      const first = Math.round(sound.start * sampleRate);
      const last = Math.round(sound.end * sampleRate);
      const fade = Math.round(0.01 * sampleRate); // 10 ms ramps: no clicks
      for (let i = first; i < last; i++) {
        const ramp = Math.min(1, (i - first) / fade, (last - i) / fade);
        const value = sound.noise ? noise(i) : Math.sin((2 * Math.PI * sound.tone * (i - first)) / sampleRate);
        samples[i] = 0.6 * ramp * value;
      }
    }
    const out = join(outDir, clip.name);
    writeFileSync(out, wav(samples));
    tasks.push(JSON.stringify({ data: { audio: `/media/audio/${clip.name}` } }));
    console.log(`wrote ${out} (${clip.seconds} s)`);
  }
  writeFileSync(join(here, 'audio.jsonl'), tasks.join('\n') + '\n');
}

if (which === 'all' || which === 'video') makeVideos();
if (which === 'all' || which === 'audio') makeAudio();
