// The flowcast-bridge command (bin/flowcast-bridge.js runs the compiled form of this file).
import { run } from './main.js';

process.exitCode = await run(process.env);
