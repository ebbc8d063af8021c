/** `tether detect`: runs every detector now and passes its findings through the gates. */
import { builtInDetectors } from '../../actors/detectors/index.ts';
import { runDetectors } from '../goals/run-detectors.ts';
import type { Command } from './main.ts';
import { openLocalStore } from './open-local-store.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

export const detectCommand: Command = {
  summary: 'run the detectors and the goal gates now',
  usage: `Usage: tether detect [--dry-run] [options]\n\nOptions:\n  --dry-run                  report findings without creating goals\n${settingsHelp()}`,
  options: { ...SETTING_OPTIONS, 'dry-run': { type: 'boolean' } },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    const store = await openLocalStore(config);
    if (!store) {
      io.err('tether detect: a running server holds the embedded store; it runs the detectors on its own schedule.');
      return 1;
    }
    try {
      const runs = await runDetectors(store, builtInDetectors(), { dryRun: flags['dry-run'] === true });
      for (const run of runs) {
        if (run.error) io.out(`${run.detector}: error: ${run.error.message}`);
        for (const { finding, result, error } of run.findings) {
          const outcome = result ? `${result.outcome}${result.goal ? ` → goal ${result.goal.id}` : ''}: ${result.reason}` : (error?.message ?? 'not evaluated');
          io.out(`${run.detector}: ${finding.subject} (confidence ${finding.confidence}): ${outcome}`);
        }
        if (!run.error && run.findings.length === 0) io.out(`${run.detector}: nothing new`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
