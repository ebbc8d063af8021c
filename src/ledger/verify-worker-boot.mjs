// Starts the verification worker on Node, which (before 22.6) cannot load TypeScript by
// itself: tsx's loader does not reach worker threads, so it is registered here first.
// Deno loads verify-worker.ts directly.
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
