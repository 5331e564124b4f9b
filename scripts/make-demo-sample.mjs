#!/usr/bin/env node
// Regenerates assets/demo-sample: a tiny CLEAR HLS tree (4 s, 240p + 360p, H.264 + AAC, 2 s
// segments) that Tollgate encrypts with packageHlsFromClearSample on machines without ffmpeg.
// Its output is committed; run this only to change the sample. Usage: node scripts/make-demo-sample.mjs
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'assets', 'demo-sample');
mkdirSync(dirname(target), { recursive: true });
const work = mkdtempSync(join(root, 'assets', '.demo-sample-'));

const seconds = 4;
const args = [
  '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
  '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
  '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${seconds}`,
  '-filter_complex', '[0:v]split=2[a][b];[a]scale=426:240[v0];[b]copy[v1]',
  '-map', '[v0]', '-map', '1:a', '-map', '[v1]', '-map', '1:a',
  '-c:v', 'libx264', '-threads', '1', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-sc_threshold', '0',
  '-force_key_frames', 'expr:gte(t,n_forced*2)',
  '-b:v:0', '250k', '-maxrate:v:0', '275k', '-bufsize:v:0', '500k',
  '-b:v:1', '400k', '-maxrate:v:1', '440k', '-bufsize:v:1', '800k',
  '-c:a', 'aac', '-b:a', '48k', '-ac', '1', '-ar', '48000',
  // Bit-exact, single-threaded output so regenerating an unchanged sample does not churn the repository.
  '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact',
  '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
  '-hls_segment_filename', join(work, '%v', 'seg-%05d.ts'),
  '-master_pl_name', 'master.m3u8', '-var_stream_map', 'v:0,a:0,name:240p v:1,a:1,name:360p',
  join(work, '%v', 'index.m3u8'),
];

const run = spawnSync(process.env.TOLLGATE_FFMPEG || 'ffmpeg', args, { stdio: 'inherit' });
if (run.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  console.error(run.error?.message ?? `ffmpeg exited with ${run.status}`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
renameSync(work, target);
chmodSync(target, 0o755); // mkdtemp made it private

let bytes = 0;
for (const entry of readdirSync(target, { recursive: true })) {
  const stats = statSync(join(target, String(entry)));
  if (stats.isFile()) bytes += stats.size;
}
console.log(`wrote ${target} (${bytes} bytes)`);
