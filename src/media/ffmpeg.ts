/**
 * ffmpeg and ffprobe as child processes. Uploaded media is untrusted input and encoders fail in
 * ways a caller must tell apart (tool missing, not a video, encoder crash), so every failure is
 * a MediaError with a reason and the tail of the tool's stderr. Inputs are passed as `file:`
 * URLs so a crafted name ("-f", "concat:", "http://…") is never read as an option or protocol.
 * An abort kills the child and waits for it to exit, so the caller may delete its working files.
 *
 * ffmpeg must not outlive its parent: a packager killed outright (kill -9, OOM killer) would
 * leave it writing clear media. Node cannot set a parent-death signal itself, so on Linux
 * ffmpeg is started through util-linux's `setpriv --pdeathsig SIGKILL`, which sets it and then
 * becomes ffmpeg (exec: same process); the kernel kills ffmpeg when this process dies.
 */
import { execFile, spawn } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { TollgateError, type ErrorCode } from '../core/errors.js';

export type MediaErrorReason =
  | 'tool_missing'
  | 'input_missing'
  | 'not_media'
  | 'no_video'
  | 'bad_argument'
  | 'bad_sample'
  | 'output_exists'
  | 'ffmpeg_failed';

const CODE_OF: Record<MediaErrorReason, ErrorCode> = {
  tool_missing: 'unavailable',
  input_missing: 'not_found',
  not_media: 'unsupported_media_type',
  no_video: 'unsupported_media_type',
  bad_argument: 'bad_request',
  bad_sample: 'bad_request',
  output_exists: 'conflict',
  ffmpeg_failed: 'unavailable',
};

export class MediaError extends TollgateError {
  constructor(
    readonly reason: MediaErrorReason,
    detail: string,
    /** The last lines ffmpeg/ffprobe wrote to stderr, for logs. */
    readonly stderrTail = '',
  ) {
    super(CODE_OF[reason], detail);
    this.name = 'MediaError';
  }
}

export interface MediaTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

/** TOLLGATE_FFMPEG (a path or a command name), else `ffmpeg` on PATH; ffprobe beside it, else on PATH. */
export async function locateMediaTools(env: NodeJS.ProcessEnv = process.env): Promise<MediaTools> {
  const wanted = env.TOLLGATE_FFMPEG || 'ffmpeg';
  const ffmpeg = await findExecutable(wanted, env.PATH);
  if (!ffmpeg) {
    throw new MediaError(
      'tool_missing',
      env.TOLLGATE_FFMPEG
        ? `TOLLGATE_FFMPEG=${wanted} is not an executable file`
        : 'ffmpeg was not found on PATH: install ffmpeg or set TOLLGATE_FFMPEG',
    );
  }
  // Prefer the ffprobe of the same installation so the two versions match.
  const ffprobe =
    (await findExecutable(join(dirname(ffmpeg), 'ffprobe'), undefined)) ?? (await findExecutable('ffprobe', env.PATH));
  if (!ffprobe) throw new MediaError('tool_missing', `ffprobe was not found beside ${ffmpeg} nor on PATH`);
  return { ffmpeg, ffprobe };
}

async function findExecutable(name: string, path: string | undefined): Promise<string | undefined> {
  const candidates = name.includes('/') ? [resolve(name)] : (path ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      if ((await stat(file)).isFile()) return file;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

/** The `file:` URL form of a local path, so ffmpeg never interprets it as an option or protocol. */
export function fileInput(path: string): string {
  return `file:${resolve(path)}`;
}

export interface MediaInfo {
  readonly durationSec: number;
  /** Display size of the first video stream, rotation applied as ffmpeg applies it; 0 when there is none. */
  readonly width: number;
  readonly height: number;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    width?: number;
    height?: number;
    disposition?: { attached_pic?: number };
    side_data_list?: { rotation?: number }[];
  }[];
  format?: { duration?: string };
}

/** Describes a media file; rejects a missing file and anything ffprobe cannot read as timed media. */
export async function probe(input: string, tools?: MediaTools, signal?: AbortSignal): Promise<MediaInfo> {
  const { ffprobe } = tools ?? (await locateMediaTools());
  try {
    if (!(await stat(input)).isFile()) throw new MediaError('input_missing', `input is not a regular file: ${input}`);
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError('input_missing', `input file not found: ${input}`);
  }
  const args = ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', fileInput(input)];
  let json: ProbeJson;
  try {
    json = JSON.parse(await execText(ffprobe, args, signal)) as ProbeJson;
  } catch (err) {
    if (signal?.aborted || !(err instanceof MediaError)) throw err;
    throw new MediaError('not_media', `not a media file ffmpeg can read: ${input} (${lastLine(err.stderrTail)})`, err.stderrTail);
  }
  const streams = json.streams ?? [];
  // Cover art in audio files is a one-frame "video" stream: it does not make the file a video.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const durationSec = Number(json.format?.duration);
  if (!(durationSec > 0)) throw new MediaError('not_media', `not timed media (a still image?): ${input}`);
  // Phones record portrait video as landscape plus a display rotation, which ffmpeg applies
  // before any filter: the ladder must be planned on the rotated size or it would distort.
  const rotation = video?.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0;
  const sideways = Math.abs(rotation) % 180 === 90;
  const [width = 0, height = 0] = sideways ? [video?.height, video?.width] : [video?.width, video?.height];
  return {
    durationSec,
    width,
    height,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    hasVideo: video !== undefined,
  };
}

function execText(file: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { signal, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout);
      if (signal?.aborted) return reject(signal.reason);
      reject(new MediaError('ffmpeg_failed', `${file} failed: ${lastLine(stderr) || err.message}`, tail(stderr)));
    });
  });
}

export interface RunOptions {
  readonly tools?: MediaTools;
  /** Expected output duration, to turn ffmpeg's out_time into a fraction. */
  readonly durationSec?: number;
  /** Called with fractions in [0, 1], non-decreasing. */
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

/** Runs ffmpeg to completion; overwrites outputs (callers write only into their own working dirs). */
export async function runFfmpeg(args: readonly string[], opts: RunOptions = {}): Promise<void> {
  const { ffmpeg } = opts.tools ?? (await locateMediaTools());
  const { signal, onProgress, durationSec = 0 } = opts;
  signal?.throwIfAborted();
  const ffmpegArgs = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', ...args];
  const setpriv = await parentDeathWrapper();
  const [command, commandArgs] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', ffmpeg, ...ffmpegArgs]] : [ffmpeg, ffmpegArgs];
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = tail(stderr + chunk)));
  let pending = '';
  let outSec = 0;
  let reported = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const [key, value = ''] = line.trim().split('=', 2);
      if (key === 'out_time_us' && /^\d+$/.test(value)) outSec = Number(value) / 1e6;
      if (key !== 'progress' || !onProgress) continue;
      const fraction = value === 'end' ? 1 : durationSec > 0 ? Math.min(1, outSec / durationSec) : 0;
      if (fraction >= reported) onProgress((reported = fraction));
    }
  });
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('close', resolvePromise);
    }).catch((err: NodeJS.ErrnoException) => {
      throw new MediaError('tool_missing', `cannot run ${ffmpeg}: ${err.message}`);
    });
    signal?.throwIfAborted();
    // setpriv's own exit codes when it cannot become ffmpeg (not found, not executable).
    if (setpriv && (code === 126 || code === 127) && stderr.includes('setpriv: failed to execute')) {
      throw new MediaError('tool_missing', `cannot run ${ffmpeg}: ${lastLine(stderr)}`);
    }
    if (code !== 0) {
      throw new MediaError('ffmpeg_failed', `ffmpeg exited with ${code ?? 'a signal'}: ${lastLine(stderr) || 'no message'}`, stderr);
    }
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}

let setprivPath: Promise<string | undefined> | undefined;

/** setpriv where the platform has it (Linux); elsewhere ffmpeg runs on to its end, and its output is removed at the next start. */
function parentDeathWrapper(): Promise<string | undefined> {
  setprivPath ??= process.platform === 'linux' ? findExecutable('setpriv', process.env.PATH) : Promise.resolve(undefined);
  return setprivPath;
}

/** Keeps the last 4 KiB: enough for ffmpeg's final error lines, bounded for chatty encoders. */
function tail(text: string): string {
  return text.length > 4096 ? text.slice(-4096) : text;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
