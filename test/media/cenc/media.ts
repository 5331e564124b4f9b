/**
 * Real media for the CENC tests: a 2 s 320x180 H.264 (3 slices per frame, so samples hold
 * several VCL NAL units plus SEI) and AAC clip, packaged by ffmpeg's dash muxer into one init
 * segment and 1 s media segments per track, plus a single-file fragmented MP4.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { readBoxes } from '../../../src/media/cenc/boxes.js';

const run = promisify(execFile);
export const FFMPEG = '/usr/bin/ffmpeg';

export interface Track {
  init: Uint8Array;
  segments: Uint8Array[];
}

export interface ClearMedia {
  dir: string;
  video: Track;
  audio: Track;
  /** ftyp+moov+sidx+(moof mdat)+mfra, video only, from +frag_keyframe+empty_moov+default_base_moof+global_sidx. */
  fragmentedFile: Uint8Array;
  cleanup: () => Promise<void>;
}

const VIDEO_IN = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2'];
const AUDIO_IN = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2'];
const VIDEO_CODEC = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-x264-params', 'slices=3'];
const AUDIO_CODEC = ['-c:a', 'aac', '-b:a', '64k'];

async function makeClearMedia(): Promise<ClearMedia> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cenc-'));
  await ffmpeg([
    ...VIDEO_IN, ...AUDIO_IN, ...VIDEO_CODEC, ...AUDIO_CODEC, '-f', 'dash', '-seg_duration', '1',
    '-init_seg_name', 'init-$RepresentationID$.m4s', '-media_seg_name', 'seg-$RepresentationID$-$Number%03d$.m4s',
    join(dir, 'clear.mpd'),
  ]);
  await ffmpeg([
    ...VIDEO_IN, ...VIDEO_CODEC, '-movflags', '+frag_keyframe+empty_moov+default_base_moof+global_sidx',
    join(dir, 'fragmented.mp4'),
  ]);
  const files = (await readdir(dir)).sort();
  // Node Buffers, as real callers pass them (a Buffer's slice() is a view, a classic trap).
  const read = (name: string): Promise<Uint8Array> => readFile(join(dir, name));
  const track = async (id: string): Promise<Track> => ({
    init: await read(`init-${id}.m4s`),
    segments: await Promise.all(files.filter((f) => f.startsWith(`seg-${id}-`)).map(read)),
  });
  return {
    dir,
    video: await track('0'),
    audio: await track('1'),
    fragmentedFile: await read('fragmented.mp4'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The clear media of one test file: made before its first test, removed after its last. The
 * object is filled in by the beforeAll hook, so read it only inside hooks and tests.
 */
export function useClearMedia(): ClearMedia {
  const media = {} as ClearMedia;
  beforeAll(async () => void Object.assign(media, await makeClearMedia()), 60_000);
  afterAll(() => media.cleanup?.());
  return media;
}

export async function ffmpeg(args: string[]): Promise<string> {
  const { stdout } = await run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * ffmpeg's per-frame MD5s of a file: decoded frames, or compressed packets with `copy`. Packet
 * side data ("S=…": ffmpeg hands the pssh boxes to the first packet) is left out, so the hashes
 * compare only the media bytes.
 */
export async function frameMd5(file: string, options: { key?: Uint8Array; copy?: boolean } = {}): Promise<string> {
  const key = options.key ? ['-decryption_key', Buffer.from(options.key).toString('hex')] : [];
  const out = await ffmpeg([...key, '-i', file, '-map', '0', ...(options.copy ? ['-c', 'copy'] : []), '-f', 'framemd5', '-']);
  return out.replace(/, S=\d+.*$/gm, '');
}

/** Splits a single-file fragmented MP4 after its moov: the init segment and the rest. */
export function splitAfterMoov(file: Uint8Array): { init: Uint8Array; rest: Uint8Array } {
  const moov = readBoxes(file).find((b) => b.type === 'moov')!;
  const end = moov.start + moov.headerSize + moov.body.length;
  return { init: file.subarray(0, end), rest: file.subarray(end) };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
