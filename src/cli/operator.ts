/**
 * The operator's commands (issue 9): find users with their streams, disable, enable or revoke
 * them, reset their second factor, list streams, grant rentals. Each finds the user by email
 * and makes one service call, the same as the admin API's routes.
 */
import { isValidEmail } from '../core/email.js';
import type { Verdict } from '../core/errors.js';
import type { UserRecord } from '../core/ports.js';
import { grantRental, MAX_RENTAL_HOURS } from '../server/catalog/rentals.js';
import type { Services } from '../server/compose.js';
import { ID_PATTERN } from '../server/http/schemas.js';
import { type Command, flags, print, refuse, required, UsageError, withServices } from './args.js';

function email(values: Record<string, string | boolean | undefined>): string {
  const address = required(values, 'email');
  if (!isValidEmail(address)) throw new UsageError('--email must look like name@domain');
  return address;
}

function hours(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_RENTAL_HOURS) throw new UsageError(`--${name} must be a number of hours above 0, at most ${MAX_RENTAL_HOURS}`);
  return value;
}

/** Runs fn on the user with this email, or refuses when there is none. */
function withUser(config: Parameters<Command['run']>[1], address: string, fn: (services: Services, user: UserRecord) => Promise<number>): Promise<number> {
  return withServices(config, async (services) => {
    const user = await services.stores.users.findByEmail(address);
    return user === undefined ? refuse(`no user with email ${address}`) : fn(services, user);
  });
}

/** `users disable|enable|revoke|mfa-reset`: one operator action on the user found by email, then what it did. */
function userAction<T>(
  name: string,
  summary: string,
  act: (operator: Services['operator'], userId: string) => Promise<Verdict<T>>,
  show: (user: UserRecord, value: T) => object,
): Command {
  return {
    name: `users ${name}`,
    usage: `users ${name} --email E`,
    summary,
    run: async (args, config) =>
      withUser(config, email(flags(args, { email: { type: 'string' } })), async ({ operator }, user) => {
        const verdict = await act(operator, user.id);
        if (!verdict.ok) return refuse(verdict.detail);
        print(show(user, verdict.value));
        return 0;
      }),
  };
}

const done = (more: object) => (user: UserRecord) => ({ user_id: user.id, email: user.email, ...more });

export const OPERATOR_COMMANDS: readonly Command[] = [
  {
    name: 'users list',
    usage: 'users list [--email E]',
    summary: 'list users (or the one with this email) with plan, devices and active streams',
    run: async (args, config) => {
      const v = flags(args, { email: { type: 'string' } });
      const address = v.email === undefined ? undefined : email(v);
      return withServices(config, async ({ operator }) => {
        print({ users: await operator.findUsers(address) });
        return 0;
      });
    },
  },
  userAction('disable', 'disable a user: no logins, refreshes or tokens; every login and stream ends', (operator, id) => operator.updateUser(id, { disabled: true }), (_, view) => view),
  userAction('enable', 'enable a disabled user again (it logs in anew)', (operator, id) => operator.updateUser(id, { disabled: false }), (_, view) => view),
  userAction('revoke', 'end every login and stream of a user (it may log in again)', (operator, id) => operator.revokeUser(id), done({ revoked: true })),
  userAction('mfa-reset', "turn a user's two-factor login off (lost authenticator); every login and stream ends", (operator, id) => operator.resetMfa(id), done({ mfa: false, revoked: true })),
  {
    name: 'sessions list',
    usage: 'sessions list [--email E]',
    summary: "list active streams (the user's with --email)",
    run: async (args, config) => {
      const v = flags(args, { email: { type: 'string' } });
      if (v.email === undefined) {
        return withServices(config, async ({ operator }) => {
          print({ sessions: await operator.listSessions({}) });
          return 0;
        });
      }
      return withUser(config, email(v), async ({ operator }, user) => {
        print({ sessions: await operator.listSessions({ userId: user.id }) });
        return 0;
      });
    },
  },
  {
    name: 'rentals add',
    usage: 'rentals add --email E --title T --hours H [--playback-hours P]',
    summary: 'rent a title to a user: entitled for H hours, and at most P hours from the first start',
    run: async (args, config) => {
      const v = flags(args, { email: { type: 'string' }, title: { type: 'string' }, hours: { type: 'string' }, 'playback-hours': { type: 'string' } });
      const titleId = required(v, 'title');
      if (!new RegExp(ID_PATTERN).test(titleId)) throw new UsageError('--title may use letters, digits, . _ - (max 64)');
      required(v, 'hours');
      const rentalHours = hours(v, 'hours')!;
      const playbackHours = hours(v, 'playback-hours');
      return withUser(config, email(v), async ({ stores, entitlements, now }, user) => {
        const input = { userId: user.id, titleId, hours: rentalHours, ...(playbackHours !== undefined ? { playbackHours } : {}) };
        const verdict = await grantRental(stores, entitlements, input, now());
        if (!verdict.ok) return refuse(verdict.detail);
        print({ email: user.email, ...verdict.value });
        return 0;
      });
    },
  },
];
