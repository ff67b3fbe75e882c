// The command line of flowcast-agent and flowcast-bridge: configuration is by environment only, so
// the only arguments are --help and --version; anything else is refused (exit 2), never ignored.
import { readFileSync } from 'node:fs';

export type Command = 'flowcast-agent' | 'flowcast-bridge';

export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export const usage = (command: Command) => `Usage: ${command} [--help | --version]\nConfigured by environment variables: ${command} --help lists them.\n`;

/**
 * Handles the arguments: the exit code when they asked for help or the version (0) or were not
 * understood (2, with the usage on stderr); undefined when the command should run.
 */
export function handleArguments(command: Command, argv: string[], help: () => string): number | undefined {
  const unknown = argv.find((argument) => !['--help', '-h', '--version'].includes(argument));
  if (unknown !== undefined) {
    process.stderr.write(`${command}: unknown argument ${JSON.stringify(unknown)}\n${usage(command)}`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help());
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${command} ${VERSION}\n`);
    return 0;
  }
  return undefined;
}
