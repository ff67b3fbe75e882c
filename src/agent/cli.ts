// The flowcast-agent command (bin/flowcast-agent.js runs the compiled form of this file).
import { run } from './main.js';

process.exitCode = await run(process.argv.slice(2), process.env);
