/** The subcommands of `tollgate`: each parses its flags and makes one service call. */
import { isValidEmail } from '../core/email.js';
import { type Command, flags, oneOf, parse, print, refuse, required, UsageError, withServices } from './args.js';
import { ID_PATTERN } from '../server/http/schemas.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../server/identity/passwords.js';
import { startServer, stopOnSignals } from '../server/main.js';
import { ACCESS_FLAGS, ACCESS_USAGE, accessFlags } from './access-flags.js';
import { cdnSign } from './cdn-sign.js';
import { runDemo } from './demo.js';
import { exportCpix } from './keys-export.js';
import { packageTitle, progressBar } from './package.js';
import { OPERATOR_COMMANDS } from './operator.js';
import { TITLE_COMMANDS } from './titles.js';
import { TRACE_COMMANDS } from './trace.js';

export const COMMANDS: readonly Command[] = [
  {
    name: 'demo',
    usage: 'demo',
    summary: 'serve with a demo plan and user (npm start)',
    run: async (args, config) => {
      flags(args, {});
      await runDemo(config);
      return 0;
    },
  },
  {
    name: 'serve',
    usage: 'serve',
    summary: 'serve, no demo data',
    run: async (args, config) => {
      flags(args, {});
      const server = await startServer(config);
      stopOnSignals(server);
      for (const notice of server.services.notices) server.app.log.warn(notice);
      process.stdout.write(`Tollgate is running at ${config.publicUrl} (listening on ${config.host}:${new URL(server.url).port})\n`);
      return 0;
    },
  },
  {
    name: 'users add',
    usage: 'users add --email E --password P --plan ID',
    summary: 'create a subscriber',
    run: async (args, config) => {
      const v = flags(args, { email: { type: 'string' }, password: { type: 'string' }, plan: { type: 'string' } });
      const input = { email: required(v, 'email'), password: required(v, 'password'), planId: required(v, 'plan') };
      // The admin API's rules (its JSON schema), so the CLI creates no account the API would refuse.
      if (!isValidEmail(input.email)) throw new UsageError('--email must look like name@domain (no spaces, one @, at most 254 characters)');
      const passwordLength = [...input.password].length;
      if (passwordLength < PASSWORD_MIN_LENGTH || passwordLength > PASSWORD_MAX_LENGTH) {
        throw new UsageError(`--password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
      }
      return withServices(config, async ({ catalog }) => {
        const verdict = await catalog.createUser(input);
        if (!verdict.ok) return refuse(verdict.detail);
        print(verdict.value);
        return 0;
      });
    },
  },
  {
    name: 'plans add',
    usage: `plans add --id ID (--titles a,b,c | --all) [--max-streams N] [--stream-limit-mode refuse|evict_oldest] [--count-by session|device] [--max-devices N] [--require-mfa | --no-require-mfa] ${ACCESS_USAGE}`,
    summary: 'create or update a plan',
    run: async (args, config) => {
      const v = flags(args, {
        id: { type: 'string' },
        titles: { type: 'string' },
        all: { type: 'boolean' },
        'max-streams': { type: 'string' },
        'max-devices': { type: 'string' },
        'require-mfa': { type: 'boolean' },
        'no-require-mfa': { type: 'boolean' },
        'stream-limit-mode': { type: 'string' },
        'count-by': { type: 'string' },
        ...ACCESS_FLAGS,
      });
      const id = required(v, 'id');
      if (!new RegExp(ID_PATTERN).test(id)) throw new UsageError('--id may use letters, digits, . _ - (max 64)');
      if ((v.titles === undefined) === (v.all !== true)) throw new UsageError('give exactly one of --titles a,b,c or --all');
      const titles = v.all === true ? '*' : String(v.titles).split(',').map((t) => t.trim()).filter((t) => t !== '');
      const maxStreams = limitFlag(v, 'max-streams');
      const maxDevices = limitFlag(v, 'max-devices');
      if (v['require-mfa'] === true && v['no-require-mfa'] === true) throw new UsageError('give at most one of --require-mfa and --no-require-mfa');
      const requireMfa = v['require-mfa'] === true ? true : v['no-require-mfa'] === true ? false : undefined;
      const streamLimitMode = oneOf(v['stream-limit-mode'], '--stream-limit-mode', ['refuse', 'evict_oldest'] as const);
      const countBy = oneOf(v['count-by'], '--count-by', ['session', 'device'] as const);
      return withServices(config, async ({ catalog }) => {
        const verdict = await catalog.upsertPlan({
          id,
          titles,
          maxStreams,
          maxDevices,
          requireMfa,
          ...(streamLimitMode ? { streamLimitMode } : {}),
          ...(countBy ? { countBy } : {}),
          ...accessFlags(v),
        });
        if (!verdict.ok) return refuse(verdict.detail);
        print(verdict.value);
        return 0;
      });
    },
  },
  {
    name: 'package',
    usage: 'package INPUT --title ID [--name "Name"] [--hls] [--dash [--rotate SECONDS]] [--watermark] [--replace]',
    summary:
      'package and encrypt a video file (HLS AES-128 by default; DASH CENC with a key per tier), register the title; ' +
      '--replace swaps an existing title for the new version once it is ready, ending its sessions; ' +
      '--watermark packages forensic A/B variants of every video rendition packaged, HLS or DASH (`tollgate trace` reads them)',
    run: async (args, config) => {
      const { values: v, positionals } = parse(
        args,
        {
          title: { type: 'string' },
          name: { type: 'string' },
          hls: { type: 'boolean' },
          dash: { type: 'boolean' },
          rotate: { type: 'string' },
          replace: { type: 'boolean' },
          watermark: { type: 'boolean' },
        },
        1,
      );
      const id = required(v, 'title');
      if (!new RegExp(ID_PATTERN).test(id)) throw new UsageError('--title may use letters, digits, . _ - (max 64)');
      const name = typeof v.name === 'string' && v.name !== '' ? v.name : id;
      // HLS by default; --dash alone packages DASH only, --hls --dash both.
      const protocols: ('hls' | 'dash')[] = v.dash === true ? (v.hls === true ? ['hls', 'dash'] : ['dash']) : ['hls'];
      const rotationSec = v.rotate === undefined ? undefined : Number(v.rotate);
      if (rotationSec !== undefined && (v.dash !== true || !Number.isInteger(rotationSec) || rotationSec < 2 || rotationSec % 2 !== 0)) {
        throw new UsageError('--rotate needs --dash and an even number of seconds (2, 4, 10, …)');
      }
      return withServices(config, async (services) => {
        const input = {
          id,
          name,
          file: positionals[0]!,
          protocols,
          replace: v.replace === true,
          watermark: v.watermark === true,
          ...(rotationSec !== undefined ? { rotationSec } : {}),
        };
        const verdict = await packageTitle(services, input, progressBar(`packaging ${id}`));
        if (!verdict.ok) return refuse(verdict.detail);
        const keys = await services.stores.titles.contentKeys(id);
        print({ id, name, protocols: verdict.value.protocols, duration_sec: verdict.value.durationSec, key_ids: keys.map((k) => k.kid) });
        return 0;
      });
    },
  },
  {
    name: 'keys rotate',
    usage: 'keys rotate',
    summary: 'start signing with a new key; old ones stay published until their tokens expire',
    run: async (args, config) => {
      flags(args, {});
      return withServices(config, async ({ accessKeys, playbackKeys, communicationKeys }) => {
        const access = await accessKeys.rotate();
        const playback = await playbackKeys.rotate();
        const entitlement = await communicationKeys.rotate();
        print({
          access_kid: access.kid,
          access_signs_from: new Date(access.signsFrom).toISOString(),
          playback_kid: playback,
          entitlement_kid: entitlement,
          note: 'the access key is in the JWKS now and signs from access_signs_from; running servers pick the new keys up within 30 seconds',
        });
        return 0;
      });
    },
  },
  {
    name: 'keys export',
    usage: 'keys export --title ID --format cpix',
    summary: "print the title's content keys as a DASH-IF CPIX document",
    run: async (args, config) => {
      const v = flags(args, { title: { type: 'string' }, format: { type: 'string' } });
      const titleId = required(v, 'title');
      if (required(v, 'format') !== 'cpix') throw new UsageError('--format must be cpix');
      return withServices(config, async (services) => {
        const verdict = await exportCpix(services, titleId);
        if (!verdict.ok) return refuse(verdict.detail);
        process.stdout.write(verdict.value);
        return 0;
      });
    },
  },
  {
    name: 'keys edge',
    usage: 'keys edge',
    summary: 'print the playback-token secrets, for edge workers that verify tokens (docs/STREAMING.md)',
    run: async (args, config) => {
      flags(args, {});
      return withServices(config, async ({ playbackKeys }) => {
        const keys = await playbackKeys.verifyingSecrets();
        print({ keys: keys.map(({ kid, secret, current }) => ({ kid, secret: Buffer.from(secret).toString('base64url'), current })) });
        return 0;
      });
    },
  },
  {
    name: 'entitlement mint',
    usage: 'entitlement mint --title ID [--ttl S]',
    summary: 'print a signed, single-use entitlement message for the title',
    run: async (args, config) => {
      const v = flags(args, { title: { type: 'string' }, ttl: { type: 'string' } });
      const titleId = required(v, 'title');
      const ttlSec = v.ttl === undefined ? undefined : Number(v.ttl);
      if (ttlSec !== undefined && (!Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > 60)) {
        throw new UsageError('--ttl must be a whole number of seconds from 1 to 60');
      }
      return withServices(config, async ({ proxy, stores, now }) => {
        if ((await stores.titles.get(titleId)) === undefined) return refuse(`title "${titleId}" does not exist (tollgate titles list shows the registered ones)`);
        const verdict = await proxy.mint({
          titleId,
          sid: `cli-${now()}`,
          licenseEndsAt: now() + 3600_000,
          ...(ttlSec !== undefined ? { ttlSec } : {}),
        });
        if (!verdict.ok) return refuse(verdict.detail);
        process.stdout.write(`${verdict.value}\n`);
        return 0;
      });
    },
  },
  ...OPERATOR_COMMANDS,
  ...TITLE_COMMANDS,
  ...TRACE_COMMANDS,
  cdnSign,
];

/** A plan limit flag (`--max-streams`, `--max-devices`): a whole number from 1 to 1000, or absent. */
function limitFlag(v: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const text = v[name];
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--${name} must be a whole number from 1 to 1000`);
  return limit;
}
