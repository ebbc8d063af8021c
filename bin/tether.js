#!/usr/bin/env node
// The installed `tether` command: registers tsx so Node 20 runs the TypeScript sources.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
