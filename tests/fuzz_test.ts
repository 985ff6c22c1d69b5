/**
 * Model-based fuzzing of a connected pair: 500 seeded sequences of sends,
 * receives (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, recv_into), timeouts that
 * fire, blocking-mode toggles, aborts and half-closes, each checked against
 * a model of the two byte streams (see `_fuzz.ts`). A failure names its
 * seed; rerun one with
 * `deno test --allow-net=127.0.0.1 tests/fuzz_test.ts -- --seed=N`.
 */

import { assertEquals } from "./_util.ts";
import { addStats, emptyStats, runSequence } from "./_fuzz.ts";

const SEQUENCES = 500;
const FIRST_SEED = 1;

function seedArgument(): number | undefined {
  const arg = Deno.args.find((a) => a.startsWith("--seed="));
  return arg === undefined ? undefined : Number(arg.slice("--seed=".length));
}

Deno.test(`fuzz: ${SEQUENCES} random operation sequences keep every byte, once, in order`, async () => {
  const only = seedArgument();
  const seeds = only === undefined
    ? Array.from({ length: SEQUENCES }, (_, i) => FIRST_SEED + i)
    : [only];
  const total = emptyStats();
  const start = performance.now();
  for (const seed of seeds) addStats(total, await runSequence(seed));
  assertEquals(total.sequences, seeds.length);
  console.log(
    `${total.sequences} sequences, ${total.ops} ops, ${total.bytesVerified} bytes verified, ` +
      `${total.timeouts} timeouts, ${total.wouldBlock} would-block, ${total.aborts} aborts, ` +
      `${total.peeks} peeks, ${total.uncertain} uncertain sends, ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
});
