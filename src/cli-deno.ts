/** The `tether` command on Deno: serves through Deno.serve. */
import { main, type Listener } from './cli/main.ts';

declare const Deno: any;

const listener: Listener = {
  listen(app, host, port) {
    return new Promise((resolvePromise) => {
      const server = Deno.serve({ hostname: host, port, onListen: ({ port: bound }: { port: number }) => resolvePromise({ port: bound, close: () => server.shutdown() }) }, app.fetch);
    });
  },
};

const code = await main(Deno.args, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: Deno.env.toObject(),
  listener,
  stopSignal: () =>
    new Promise((resolvePromise) => {
      for (const signal of ['SIGINT', 'SIGTERM']) Deno.addSignalListener(signal, () => resolvePromise(signal));
    }),
});
Deno.exit(code);
