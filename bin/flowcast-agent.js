#!/usr/bin/env node
// Runs the compiled agent (make build); see src/agent/main.ts.
import { run } from '../dist/agent/main.js';

process.exitCode = await run(process.argv.slice(2), process.env);
