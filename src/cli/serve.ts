/** `tether serve`: runs the runtime and its HTTP API until stopped. */
import { createTether } from '../runtime/create-tether.ts';
import type { Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export const serveCommand: Command = {
  summary: 'run Tether and its HTTP API',
  usage: `Usage: tether serve [options]\n\nRuns the actor system and serves the HTTP API until SIGINT/SIGTERM.\n\nOptions:\n  --config FILE              a JSON config file (default: tether.config.json if present)\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    const tether = await createTether({ config });
    const server = await io.listener.listen(tether.app, config.host, config.port);
    io.out(`Tether listening on http://${config.host}:${server.port} (store: ${tether.services.store.backend})`);
    const signal = await io.stopSignal();
    io.out(`Stopping (${signal})…`);
    await server.close();
    await tether.stop();
    return 0;
  },
};
