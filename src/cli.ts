/**
 * The `tether` command on Node: serves through @hono/node-server and exits with the
 * command's code. (src/cli-deno.ts is the same for Deno.)
 */
import { serve } from '@hono/node-server';
import { main, type Listener } from './cli/main.ts';

const listener: Listener = {
  listen(app, host, port) {
    return new Promise((resolvePromise) => {
      const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
        resolvePromise({
          port: info.port,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
    });
  },
};

const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  listener,
  stopSignal: () =>
    new Promise((resolvePromise) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolvePromise(signal));
    }),
});
process.exitCode = code;
