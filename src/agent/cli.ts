// The flowcast-agent command (bin/flowcast-agent.js runs the compiled form of this file).
import { handleArguments } from '../config/command-line.js';
import { helpText } from '../config/help.js';
import { run } from './main.js';

process.exitCode = handleArguments('flowcast-agent', process.argv.slice(2), () => helpText('flowcast-agent')) ?? (await run(process.env));
