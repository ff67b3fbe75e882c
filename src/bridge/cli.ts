// The flowcast-bridge command (bin/flowcast-bridge.js runs the compiled form of this file).
import { handleArguments } from '../config/command-line.js';
import { helpText } from '../config/help.js';
import { run } from './main.js';

process.exitCode = handleArguments('flowcast-bridge', process.argv.slice(2), () => helpText('flowcast-bridge')) ?? (await run(process.env));
