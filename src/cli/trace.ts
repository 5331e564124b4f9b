/** `tollgate trace LEAK --title ID`: the sessions a leaked copy of a watermarked title most likely comes from. */
import { traceLeak } from '../server/watermark/trace.js';
import { type Command, parse, print, refuse, required, UsageError, withServices } from './args.js';

export const TRACE_COMMANDS: readonly Command[] = [
  {
    name: 'trace',
    usage: 'trace LEAK --title ID [--alpha P]',
    summary:
      "rank a watermarked title's sessions by how well a leaked copy matches their A/B sequence; " +
      'confident: the chance that any innocent session matches this well is below --alpha (default 1e-6)',
    run: async (args, config) => {
      const { values: v, positionals } = parse(args, { title: { type: 'string' }, alpha: { type: 'string' } }, 1);
      const titleId = required(v, 'title');
      const alpha = v.alpha === undefined ? undefined : Number(v.alpha);
      if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new UsageError('--alpha must be a probability between 0 and 1');
      return withServices(config, async (services) => {
        const verdict = await traceLeak(services, positionals[0]!, titleId, alpha);
        if (!verdict.ok) return refuse(verdict.detail);
        print(verdict.value);
        return 0;
      });
    },
  },
];
