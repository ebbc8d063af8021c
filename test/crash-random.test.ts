/**
 * Random kills (issue 9): each round starts the server, sets modifications going (some
 * submitted, some approved), and SIGKILLs it at a random moment; after a restart every
 * acknowledged modification is driven to its end and all invariants are checked. The
 * rounds are few (CI's time) and the seed is printed (TETHER_FAULT_SEED replays it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWorld, prng, type BackendName, type World } from './support/fault-harness.ts';
import { checkInvariants } from './support/invariants.ts';
import { approve, finish, stateOf, submit } from './support/fault-workload.ts';
import { postgresUrl } from './support/stores.ts';

const ROUNDS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of [{ name: 'embedded' as BackendName, enabled: true }, { name: 'postgres' as BackendName, enabled: postgresUrl !== undefined }]) {
  describe.runIf(backend.enabled)(`random SIGKILLs on the ${backend.name} store`, () => {
    let world: World | undefined;
    afterAll(async () => world?.dispose());

    it(`keeps every invariant through ${ROUNDS} rounds of work cut at random moments`, { timeout: 600_000 }, async () => {
      const seed = Number(process.env.TETHER_FAULT_SEED) || Math.floor(Math.random() * 2 ** 31);
      const random = prng(seed);
      world = await createWorld(backend.name);
      const w = world;
      let checks = 0;
      const violations: string[] = [];
      const pending = new Set<string>();
      for (let round = 0; round < ROUNDS; round++) {
        const server = await w.start();
        const killAt = 300 + Math.floor(random() * 4000);
        const work = (async () => {
          // Approve whatever earlier rounds left tested, then submit new changes.
          for (const id of pending) if ((await stateOf(server, id)) === 'tested') await approve(server, id);
          for (let i = 0; i < 3; i++) {
            pending.add(await submit(server, `round-${round}`));
            await sleep(Math.floor(random() * 600));
          }
          for (;;) {
            for (const id of pending) if ((await stateOf(server, id)) === 'tested') await approve(server, id);
            await sleep(100);
          }
        })().catch(() => undefined);
        await sleep(killAt);
        await w.kill();
        await work;
        // Recover: finish everything acknowledged so far, then check.
        await w.start();
        for (const id of w.acked.modifications.keys()) await finish(w, id);
        pending.clear();
        await w.stop();
        const report = await checkInvariants(w);
        checks += report.checks;
        violations.push(...report.violations.map((v) => `round ${round} (kill at ${killAt} ms): ${v}`));
      }
      console.log(`[crash-random ${backend.name}] seed=${seed} kills=${w.kills} checks=${checks} violations=${violations.length}`);
      expect(violations).toEqual([]);
    });
  });
}
