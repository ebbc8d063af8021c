/** `tether demo`: the whole loop on a sample project (what `npm start` runs). */
import { runDemo } from '../demo/run-demo.ts';
import type { Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export const demoCommand: Command = {
  summary: 'run the whole loop on a sample project and wait for your approval',
  usage: `Usage: tether demo [options]\n\nCreates (or reuses) a sample project in <data dir>/demo, makes its task fail until the\ndetector turns the failures into a goal, plans and tests a fix on a branch, and waits\nfor your approval. Tokens are generated and printed unless TETHER_TOKENS is set.\n\nOptions:\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    const stopSignal = io.stopSignal();
    return runDemo(config, {
      out: io.out,
      listen: (tether) => io.listener.listen(tether.app, config.host, config.port),
      stopSignal,
    });
  },
};
