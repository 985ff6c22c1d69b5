/**
 * The model-based fuzz of `_fuzz.ts` with the porting receives mixed in:
 * `makefile("rb")` reads (read1, readline, read, then close), `select`
 * followed by a `MSG_DONTWAIT` recv (which must not would-block), and BYOB
 * reads of `sock.readable`, between plain `recv`s on the same socket. Every
 * byte must arrive once, in order. Rerun one seed with
 * `deno test --allow-net=127.0.0.1 tests/porting_fuzz_test.ts -- --seed=N`.
 */

import { assertEquals, assertStrictEquals, connectedPair } from "./_util.ts";
import { addStats, emptyStats, runSequence } from "./_fuzz.ts";

const SEQUENCES = 200;
const FIRST_SEED = 10_001;

Deno.test(`fuzz: ${SEQUENCES} sequences mixing makefile, select and stream reads with recv`, async () => {
  const arg = Deno.args.find((a) => a.startsWith("--seed="));
  const seeds = arg
    ? [Number(arg.slice("--seed=".length))]
    : Array.from({ length: SEQUENCES }, (_, i) => FIRST_SEED + i);
  const total = emptyStats();
  const start = performance.now();
  for (const seed of seeds) addStats(total, await runSequence(seed, { porting: true }));
  assertEquals(total.sequences, seeds.length);
  console.log(
    `${total.sequences} sequences, ${total.ops} ops, ${total.bytesVerified} bytes verified, ` +
      `${total.timeouts} timeouts, ${total.wouldBlock} would-block, ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
});

Deno.test("sendall aborted while its write waits rejects with the signal's reason (fuzz seed 10152)", async () => {
  await using pair = await connectedPair();
  const abort = new AbortController();
  const reason = new Error("changed my mind");
  const sending = pair.client.sendall(new Uint8Array(64 << 20), { signal: abort.signal });
  setTimeout(() => abort.abort(reason), 50);
  let caught: unknown;
  try {
    await sending;
  } catch (e) {
    caught = e;
  }
  assertStrictEquals(caught, reason);
});
