#!/usr/bin/env node
// The `sophon` command for callers that name this file; the command itself is bin/sophon.cjs (what
// package.json's "bin" installs), which starts faster as CommonJS.
import './sophon.cjs';
