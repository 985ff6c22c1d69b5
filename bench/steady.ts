/**
 * Steady-state cost against warm-up: runs one workload with the library's
 * and raw Deno's peers at `count` and at three times `count` operations,
 * alternately, and from the difference gives each side's marginal cost per
 * operation (wall time, and CPU time of the server and of the client) and
 * what is left at the short run: the warm-up (V8 compiling the code) and
 * the start-up. A row of `compare.ts` that misses its target at its counts
 * but not at the margin misses on warm-up.
 *
 * ```sh
 * deno run --allow-run --allow-read=bench bench/steady.ts udp_rr '{"count":20000,"size":64}' [--pin] [--rounds=3]
 * ```
 *
 * Workloads whose size is `count`: `udp_rr`, `tcp_rr`, `tcp_connect`,
 * `line_rr`, `tls_rr`, `tls_handshake`.
 *
 * @module
 */

import type { Params } from "./peers/_params.ts";

const positional = Deno.args.filter((a) => !a.startsWith("--"));
const [workload, paramsText = "{}"] = positional;
const pin = Deno.args.includes("--pin") ? ["taskset", "-c", "0"] : [];
const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 3);
const params = JSON.parse(paramsText) as Params;
if (!workload || !(params.count! > 0)) {
  throw new TypeError("usage: steady.ts <workload> '<params with count>' [--pin] [--rounds=N]");
}
const here = (path: string) => new URL(path, import.meta.url).pathname;

interface Run {
  seconds: number;
  serverCpu: number;
  clientCpu: number;
}

async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let nl;
    while ((nl = rest.indexOf("\n")) >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
}

async function run(peer: "lib" | "deno", count: number): Promise<Run> {
  const p = JSON.stringify({ ...params, count });
  const deno = [
    Deno.execPath(),
    "run",
    "--no-config",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    ...(params.certs ? [`--allow-read=${params.certs},${here("..")}`] : []),
    here(`peers/${peer}.ts`),
  ];
  const spawn = (args: string[]) =>
    new Deno.Command([...pin, ...deno][0], {
      args: [...pin, ...deno, ...args].slice(1),
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  const server = spawn(["server", workload, p]);
  let serverCpu = NaN;
  const { promise: port, resolve } = Promise.withResolvers<string>();
  const serving = lines(server.stdout, (line) => {
    if (line.startsWith("PORT ")) resolve(line.slice(5));
    if (line.startsWith("CPU ")) serverCpu = Number(line.slice(4));
  });
  const client = spawn(["client", workload, await port, p]);
  let result = { seconds: NaN, cpu: NaN };
  await lines(client.stdout, (line) => result = JSON.parse(line));
  await Promise.all([client.status, server.status, serving]);
  return { seconds: result.seconds, serverCpu, clientCpu: result.cpu };
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[xs.length >> 1];
const n = params.count!;
const samples: Record<string, Run[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const peer of r % 2 ? ["deno", "lib"] as const : ["lib", "deno"] as const) {
    for (const count of [n, 3 * n]) {
      (samples[`${peer} ${count}`] ??= []).push(await run(peer, count));
    }
  }
}
const pick = (peer: string, count: number, key: keyof Run) =>
  median(samples[`${peer} ${count}`].map((s) => s[key]));
console.log(
  `${workload} ${JSON.stringify(params)}${pin.length ? ", pinned" : ""}, medians of ${rounds}`,
);
console.log("                  per op at the margin (µs)        left at the short run (ms)");
console.log("          wall    server CPU  client CPU      wall    server CPU  client CPU");
const cells: Record<string, number[]> = {};
for (const peer of ["deno", "lib"]) {
  cells[peer] = (["seconds", "serverCpu", "clientCpu"] as const).flatMap((key) => {
    const short = pick(peer, n, key), long = pick(peer, 3 * n, key);
    const perOp = (long - short) / (2 * n) * 1e6;
    return [perOp, (short - perOp * n / 1e6) * 1000];
  });
  const [w, wl, s, sl, c, cl] = cells[peer];
  const f = (v: number, d = 2) => v.toFixed(d).padStart(10);
  console.log(
    `${peer.padEnd(6)}${f(w)}${f(s)}${f(c)}      ${f(wl, 1)}${f(sl, 1)}${f(cl, 1)}`,
  );
}
const [dw, , ds, , dc] = cells.deno, [lw, , ls, , lc] = cells.lib;
console.log(
  `lib / raw Deno at the margin: ${(dw / lw).toFixed(3)} (throughput), CPU ${
    (ls / ds).toFixed(3)
  } server, ${(lc / dc).toFixed(3)} client`,
);
console.log(
  `lib / raw Deno at ${n}: ${
    (pick("deno", n, "seconds") / pick("lib", n, "seconds")).toFixed(3)
  };` +
    ` at ${3 * n}: ${(pick("deno", 3 * n, "seconds") / pick("lib", 3 * n, "seconds")).toFixed(3)}`,
);
