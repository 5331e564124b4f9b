/**
 * The `tollgate` command. Each subcommand composes the services from the same configuration
 * as the server (so it works beside a running server on the same database) and makes one
 * service call. Exit codes: 0 done, 1 refused (the message says why), 2 usage, 69 a store is
 * unreachable, 78 bad config.
 */
import { ConfigError, readConfig } from '../server/config.js';
import { StartupError } from '../server/startup-error.js';
import { type Command, UsageError } from './args.js';
import { COMMANDS } from './commands.js';

const USAGE = `tollgate — protect an OTT video service

usage: tollgate <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.usage.padEnd(72)} ${c.summary}`).join('\n')}

Settings come from TOLLGATE_* environment variables (docs/CONFIGURATION.md).
`;

export async function main(argv: readonly string[]): Promise<void> {
  const command = findCommand(argv);
  if (command === undefined) {
    const asked = argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help';
    if (asked) process.stdout.write(USAGE);
    else process.stderr.write(`tollgate: unknown command "${unknownName(argv)}"\n\n${USAGE}`);
    process.exitCode = asked ? 0 : 2;
    return;
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: tollgate ${command.usage}\n\n${command.summary}\n`);
    return;
  }
  try {
    const { config, warnings } = readConfig(process.env);
    for (const warning of warnings) process.stderr.write(`tollgate: warning: ${warning}\n`);
    process.exitCode = await command.run(rest, config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tollgate: ${error.message}\n`);
      process.exitCode = 78;
    } else if (error instanceof StartupError) {
      process.stderr.write(`tollgate ${command.name}: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else if (error instanceof UsageError) {
      process.stderr.write(`tollgate ${command.name}: ${error.message}\nusage: tollgate ${command.usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`tollgate ${command.name}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}

function findCommand(argv: readonly string[]): Command | undefined {
  const two = argv.slice(0, 2).join(' ');
  return COMMANDS.find((c) => c.name === two) ?? COMMANDS.find((c) => c.name === argv[0]);
}

/** The words the user meant as a command: two when the first names a group (`users frobnicate`). */
function unknownName(argv: readonly string[]): string {
  const group = COMMANDS.some((c) => c.name.startsWith(`${argv[0]} `));
  return argv.slice(0, group && argv.length > 1 ? 2 : 1).join(' ');
}
