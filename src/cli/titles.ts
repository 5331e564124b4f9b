/** `tollgate titles list|set|remove`: what is registered, its access rules, and taking a title down for good. */
import { removeTitle } from '../server/catalog/remove.js';
import { ACCESS_FLAGS, ACCESS_USAGE, accessFlags } from './access-flags.js';
import { type Command, flags, parse, print, refuse, withServices } from './args.js';

export const TITLE_COMMANDS: readonly Command[] = [
  {
    name: 'titles list',
    usage: 'titles list',
    summary: 'list the registered titles with their protocols and key ids',
    run: async (args, config) => {
      flags(args, {});
      return withServices(config, async ({ catalog }) => {
        print({ titles: await catalog.titlesWithKeys() });
        return 0;
      });
    },
  },
  {
    name: 'titles set',
    usage: `titles set ID ${ACCESS_USAGE}`,
    summary: 'change the countries and browser origins a title may be played from',
    run: async (args, config) => {
      const { values, positionals } = parse(args, ACCESS_FLAGS, 1);
      return withServices(config, async ({ catalog }) => {
        const verdict = await catalog.setTitleAccess(positionals[0]!, accessFlags(values));
        if (!verdict.ok) return refuse(verdict.detail);
        print(verdict.value);
        return 0;
      });
    },
  },
  {
    name: 'titles remove',
    usage: 'titles remove ID',
    summary: "remove a title: its record, its content keys and its media folder; its playback sessions end",
    run: async (args, config) => {
      const id = parse(args, {}, 1).positionals[0]!;
      return withServices(config, async (services) => {
        const removed = await removeTitle({ ...services, dataDir: config.dataDir }, id);
        if (!removed.ok) return refuse(removed.detail);
        print({ id, removed: true, ended_sessions: removed.value.endedSessions });
        return 0;
      });
    },
  },
];
