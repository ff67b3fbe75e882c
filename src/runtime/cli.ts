// The start of a command (flowcast-agent, flowcast-bridge): its configuration, then its logger.
import { ConfigError, describeIssue, loadConfig, type Config } from '../config/index.js';
import type { Command } from '../config/command-line.js';
import { createLogger, type Logger } from './log.js';

/** The exit code of an invalid configuration (docs/config.md). */
export const EXIT_INVALID_CONFIGURATION = 2;

/** Says on stderr why the configuration is invalid; returns the exit code for it. */
export function invalidConfiguration(command: Command, why: string): number {
  process.stderr.write(`${command}: invalid configuration (see --help):\n${why}\n`);
  return EXIT_INVALID_CONFIGURATION;
}

/**
 * The command's configuration from `env` and its logger, which logs the configuration's warnings
 * first; or, when the configuration is invalid, the exit code (said on stderr, as no logger exists yet).
 */
export function startCommand(command: Command, env: NodeJS.ProcessEnv): { config: Config; log: Logger } | number {
  let config: Config;
  try {
    config = loadConfig(env, command);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return invalidConfiguration(command, error.message);
  }
  const log = createLogger(config.log.level, config.log.pretty);
  for (const warning of config.warnings) log.warn({ variable: warning.variable }, describeIssue(warning));
  return { config, log };
}
