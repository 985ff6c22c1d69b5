/**
 * Where the short connect benchmark's gap goes: the cost of one
 * connect / send 64 B / receive 64 B / close cycle, in µs, averaged over
 * each block of cycles, for the library and for raw `Deno.connect`, in
 * one process against one raw Deno server. The first blocks carry V8's
 * warm-up (interpreted code, then compiling it); the last ones show the
 * library's steady cost.
 *
 * ```sh
 * taskset -c 0 deno run --allow-net=127.0.0.1 bench/warmup.ts lib
 * taskset -c 0 deno run --allow-net=127.0.0.1 bench/warmup.ts raw
 * ```
 *
 * Each run is a fresh process (warm-up is per process): run `lib` and
 * `raw` alternately a few times. `--cycles=N` and `--block=N` change the
 * defaults (4,000 cycles, blocks of 250).
 *
 * @module
 */

import { socket } from "../mod.ts";

const args = new Map(
  Deno.args.filter((a) => a.startsWith("--")).map((a) => {
    const [key, value = ""] = a.slice(2).split("=");
    return [key, value] as const;
  }),
);
const mode = Deno.args.find((a) => !a.startsWith("--")) ?? "lib";
if (mode !== "lib" && mode !== "raw") throw new TypeError(`mode must be lib or raw, not ${mode}`);
const cycles = Number(args.get("cycles") ?? 4000);
const block = Number(args.get("block") ?? 250);

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const { port } = listener.addr;
const serving = (async () => {
  const buf = new Uint8Array(64);
  for (let i = 0; i < cycles; i++) {
    const conn = await listener.accept();
    for (let got = 0; got < buf.length;) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) throw new Error("client closed early");
      got += n;
    }
    await conn.write(buf);
    conn.close();
  }
  listener.close();
})();

const message = new Uint8Array(64);
const reply = new Uint8Array(64);

async function libCycle(): Promise<void> {
  const sock = socket();
  await sock.connect(["127.0.0.1", port]);
  await sock.sendall(message);
  for (let got = 0; got < reply.length;) {
    const n = await sock.recv_into(got === 0 ? reply : reply.subarray(got));
    if (n === 0) throw new Error("server closed early");
    got += n;
  }
  sock.close();
}

async function rawCycle(): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(message);
  for (let got = 0; got < reply.length;) {
    const n = await conn.read(got === 0 ? reply : reply.subarray(got));
    if (n === null) throw new Error("server closed early");
    got += n;
  }
  conn.close();
}

const cycle = mode === "lib" ? libCycle : rawCycle;
const blocks: number[] = [];
let start = performance.now();
for (let i = 1; i <= cycles; i++) {
  await cycle();
  if (i % block === 0) {
    const now = performance.now();
    blocks.push(Math.round((now - start) * 1000 / block));
    start = now;
  }
}
await serving;
console.log(`${mode} µs per cycle, blocks of ${block}: ${blocks.join(" ")}`);
