/**
 * `tether serve`: runs the runtime and its HTTP API until stopped.
 *
 * Without tokens the API is read-only (writes answer 401 saying how to set TETHER_TOKENS),
 * and only on a loopback address: on any other, serve refuses to start, since anyone who
 * can reach it could read everything. `--inspect` streams every actor event to Stately's
 * inspector through @statelyai/inspect's WebSocket inspector (never the Sky inspector,
 * which needs the internet and keeps the process alive).
 */
import type { InspectionEvent } from 'xstate';
import { inspectableEvent, plainInspection } from '../http/inspectable.ts';
import { createTether } from '../runtime/create-tether.ts';
import type { Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

interface Inspection {
  inspect: (event: InspectionEvent) => void;
  stop(): void;
}

/** The WebSocket inspector, with a local relay on `port` unless `url` names one already running. */
async function startInspection(port: number, url: string | undefined): Promise<Inspection & { where: string }> {
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  let relay: { stop(): void } | undefined;
  if (!url) {
    const { createInspectorServer } = await import('@statelyai/inspect/server');
    relay = createInspectorServer({ port, autoOpen: false });
  }
  const inspector = createWebSocketInspector({ url: url ?? `ws://127.0.0.1:${port}`, serialize: inspectableEvent });
  return {
    inspect: plainInspection(inspector.inspect),
    where: url ?? `http://localhost:${port}`,
    stop() {
      inspector.stop();
      relay?.stop();
    },
  };
}

export const serveCommand: Command = {
  summary: 'run Tether and its HTTP API',
  usage: [
    'Usage: tether serve [options]',
    '',
    'Runs the actor system and serves the HTTP API until SIGINT/SIGTERM.',
    'Without TETHER_TOKENS the API is read-only, and serve starts only on a loopback host.',
    '',
    'Options:',
    '  --config FILE              a JSON config file (default: tether.config.json if present)',
    '  --inspect                  stream actor events to Stately\'s inspector (a local relay on --inspect-port)',
    '  --inspect-port PORT        the relay\'s port (default 8080)',
    '  --inspect-url URL          send to this WebSocket relay instead of starting one',
    settingsHelp(),
  ].join('\n'),
  options: { ...SETTING_OPTIONS, inspect: { type: 'boolean' }, 'inspect-port': { type: 'string' }, 'inspect-url': { type: 'string' } },
  async run({ flags, io }) {
    const config = loadConfig(flags, io.env);
    if (config.tokens.length === 0) {
      if (!LOOPBACK.test(config.host)) {
        io.err(
          `tether serve: no tokens are configured and ${config.host} is not a loopback address, so anyone who reaches it could read everything. ` +
            'Set TETHER_TOKENS=name:role:secret,… (roles viewer, agent, approver; secrets of 16+ characters, e.g. `openssl rand -hex 16`), or listen on 127.0.0.1.',
        );
        return 2;
      }
      io.err('tether serve: no tokens are configured, so the API is read-only (writes answer 401). Set TETHER_TOKENS=name:role:secret,… to submit and approve.');
    }
    const wantsInspect = flags.inspect === true || typeof flags['inspect-url'] === 'string';
    const port = Number(flags['inspect-port'] ?? 8080);
    if (wantsInspect && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      io.err(`tether serve: --inspect-port must be a port number, got "${String(flags['inspect-port'])}".`);
      return 2;
    }
    const inspection = wantsInspect ? await startInspection(port, flags['inspect-url'] as string | undefined) : undefined;
    const tether = await createTether({ config, ...(inspection ? { inspect: inspection.inspect } : {}) });
    const server = await io.listener.listen(tether.app, config.host, config.port);
    io.out(`Tether listening on http://${config.host}:${server.port} (store: ${tether.services.store.backend})`);
    if (inspection) io.out(`Inspector: open ${inspection.where} to watch the statecharts live.`);
    const signal = await io.stopSignal();
    io.out(`Stopping (${signal})…`);
    await server.close();
    await tether.stop();
    inspection?.stop();
    return 0;
  },
};
