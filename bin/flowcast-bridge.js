#!/usr/bin/env node
// Runs the compiled bridge (make build): src/bridge/cli.ts.
import '../dist/bridge/cli.js';
