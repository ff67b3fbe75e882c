#!/usr/bin/env node
// Runs the compiled agent (make build): src/agent/cli.ts.
import '../dist/agent/cli.js';
