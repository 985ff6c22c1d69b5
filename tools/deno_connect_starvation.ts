/**
 * A reproduction, in bare Deno (no library), of what `deno task soak`
 * showed: while enough connections are busy echoing, a new `Deno.connect`
 * to the same idle-ish listener does not resolve until the load stops,
 * although the kernel completes the handshake at once (no SYN
 * retransmission, no listen overflow in /proc/net/netstat).
 *
 *     deno run --allow-net=127.0.0.1 tools/deno_connect_starvation.ts 200 10
 *
 * prints the probe's connect latencies with PAIRS busy echo pairs for
 * SECONDS seconds. On a 2-core machine with Deno 2.9.6: 0 or 50 pairs,
 * connects take well under 10 ms; 200 pairs, the one probe connect that
 * completes takes about 9 s (it resolves when the busy pairs stop).
 *
 * @module
 */

const PAIRS = Number(Deno.args[0] ?? 200);
const SECONDS = Number(Deno.args[1] ?? 10);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;

async function echo(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (let off = 0; off < n;) off += await conn.write(buffer.subarray(off, n));
    }
  } catch {
    // The peer went away.
  }
  conn.close();
}
const accepting = (async () => {
  for await (const conn of listener) void echo(conn);
})();

const start = performance.now();
const running = () => performance.now() - start < SECONDS * 1000;
const busy = Array.from({ length: PAIRS }, async () => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(16384);
  const back = new Uint8Array(16384);
  while (running()) {
    for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
    for (let got = 0; got < back.length;) {
      const n = await conn.read(back.subarray(got));
      if (n === null) return;
      got += n;
    }
  }
  conn.close();
});

await new Promise((r) => setTimeout(r, 1000));
const latencies: number[] = [];
while (running()) {
  const before = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  latencies.push(performance.now() - before);
  conn.close();
  await new Promise((r) => setTimeout(r, 50));
}
await Promise.all(busy);
listener.close();
await accepting.catch(() => {});
latencies.sort((a, b) => a - b);
console.log(
  `${PAIRS} busy pairs: ${latencies.length} probe connects, median ${
    latencies[latencies.length >> 1].toFixed(1)
  } ms, slowest ${latencies.at(-1)!.toFixed(1)} ms`,
);
