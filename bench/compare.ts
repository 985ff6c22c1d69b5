/**
 * Loopback comparison: this library against raw Deno, Node (`net`/`dgram`)
 * and CPython (`socket`). Every implementation runs as its own server and
 * client processes (bench/peers/); runs are interleaved (each round runs
 * every implementation once, in a rotating order) and the table shows
 * medians with each figure's ratio to raw Deno.
 *
 * ```sh
 * deno task bench:compare            # full run (a few minutes)
 * deno task bench:compare --quick    # under 90 seconds, smaller counts
 * deno task bench:compare --only=tcp_rr,udp --impls=lib,deno --rounds=5
 * ```
 *
 * Permissions: `--allow-run=deno,node,python3,taskset` (peers run with
 * `--allow-net=127.0.0.1` only) and `--allow-write=bench/results` for the
 * JSON results.
 *
 * @module
 */

import type { Params } from "./peers/_params.ts";

const MiB = 1 << 20;
const IMPLS = ["lib", "deno", "node", "python"] as const;
type Impl = typeof IMPLS[number];
const LABEL: Record<Impl, string> = {
  lib: "@seed/socket",
  deno: "raw Deno",
  node: "Node net/dgram",
  python: "CPython socket",
};

/** One line of the table: a workload, its parameters and how to score it. */
interface Row {
  id: string;
  title: string;
  workload: string;
  params: Params;
  pinned?: boolean;
  /** Also measure the server's peak memory (tcp_fanin), under this title. */
  memory?: boolean;
  memoryTitle?: string;
  unit: string;
  /** The figure from the client's elapsed seconds. */
  score: (seconds: number) => number;
  lowerIsBetter?: boolean;
}

interface Sample {
  value: number | null;
  memoryMiB?: number | null;
  error?: string;
}

// ---- command line ---------------------------------------------------------

const args = new Map<string, string>();
for (const arg of Deno.args) {
  const [key, value = "true"] = arg.replace(/^--/, "").split("=");
  args.set(key, value);
}
const quick = args.has("quick");
const rounds = Number(args.get("rounds") ?? 3);
const only = args.get("only")?.split(",");
const impls = (args.get("impls")?.split(",") ?? [...IMPLS]) as Impl[];
const perRunTimeout = Number(args.get("timeout") ?? (quick ? 30 : 120)) * 1000;

const bulkTotal = quick ? 64 * MiB : 512 * MiB;
const rrCount = quick ? 4000 : 20000;
const connectCount = quick ? 400 : 2000;
const fanin = { clients: 500, echoes: quick ? 10 : 20, size: 1024 };
const lineCount = 10000;

function rows(): Row[] {
  const out: Row[] = [];
  // Each row gives raw Deno the same job: recv(65536) hands out fresh bytes
  // per call, so raw Deno reads into a new 64 KiB buffer per read there;
  // recv_into reuses one buffer on both sides.
  for (const [write, wname] of [[64 << 10, "64 KiB"], [MiB, "1 MiB"]] as const) {
    for (const read of ["recv", "recv_into"] as const) {
      out.push({
        id: `tcp_bulk_${write === MiB ? "1m" : "64k"}_${read}`,
        title: `tcp_bulk ${wname} writes, ${read === "recv" ? "recv(65536)" : "recv_into"}`,
        workload: "tcp_bulk",
        params: { total: bulkTotal, write, read },
        unit: "MB/s",
        score: (s) => bulkTotal / s / 1e6,
      });
    }
  }
  for (const pinned of [false, true]) {
    const where = pinned ? ", pinned" : "";
    const rr = (s: number) => rrCount / s;
    out.push({
      id: `tcp_rr${pinned ? "_pinned" : ""}`,
      title: `tcp_rr${where}`,
      workload: "tcp_rr",
      params: { count: rrCount, size: 64, timeout: null },
      pinned,
      unit: "round trips/s",
      score: rr,
    });
    out.push({
      id: `tcp_rr_timeout${pinned ? "_pinned" : ""}`,
      title: `tcp_rr settimeout(5)${where}`,
      workload: "tcp_rr",
      params: { count: rrCount, size: 64, timeout: 5 },
      pinned,
      unit: "round trips/s",
      score: rr,
    });
    out.push({
      id: `udp_rr${pinned ? "_pinned" : ""}`,
      title: `udp_rr${where}`,
      workload: "udp_rr",
      params: { count: rrCount, size: 64 },
      pinned,
      unit: "round trips/s",
      score: rr,
    });
    out.push({
      id: `tcp_connect${pinned ? "_pinned" : ""}`,
      title: `tcp_connect${where}`,
      workload: "tcp_connect",
      params: { count: connectCount, size: 64 },
      pinned,
      unit: "connections/s",
      score: (s) => connectCount / s,
    });
  }
  out.push({
    // makefile("rw").readline() on both ends for @seed/socket and CPython;
    // raw Deno and Node have no makefile: they echo and read 64-byte messages.
    id: "line_rr",
    title: `line_rr ${lineCount} × makefile readline (raw: plain echo)`,
    workload: "line_rr",
    params: { count: lineCount, size: 64 },
    unit: "round trips/s",
    score: (s) => lineCount / s,
  });
  // recv_into with one buffer per connection (raw Deno reuses one too);
  // recv(65536) is the Python idiom, a new bytes object per call (raw Deno
  // then takes a new buffer per read); 4 KiB reads show what a smaller
  // buffer saves.
  for (
    const [read, bufsize, suffix] of [
      ["recv_into", 65536, ""],
      ["recv", 65536, "_recv"],
      ["recv_into", 4096, "_4k"],
    ] as const
  ) {
    const how = read === "recv" ? `recv(${bufsize})` : `recv_into(${bufsize >> 10} KiB)`;
    out.push({
      id: `tcp_fanin${suffix}`,
      title: `tcp_fanin ${fanin.clients}×${fanin.echoes}×1 KiB, ${how}`,
      memoryTitle: `tcp_fanin server peak memory, ${how}`,
      workload: "tcp_fanin",
      params: { ...fanin, read, bufsize },
      memory: true,
      unit: "s",
      score: (s) => s,
      lowerIsBetter: true,
    });
  }
  return out.filter((row) => !only || only.some((o) => row.id.includes(o)));
}

// ---- processes --------------------------------------------------------------

const here = (path: string) => new URL(path, import.meta.url).pathname;

async function denoBin(): Promise<string> {
  // Deno.execPath() is the running binary (also under `npx deno`); fall back
  // to "deno" on PATH when only that name is allowed.
  const exec = Deno.execPath();
  const state = (await Deno.permissions.query({ name: "run", command: exec })).state;
  return state === "granted" ? exec : "deno";
}
const DENO = await denoBin();

function peerCommand(impl: Impl): string[] {
  const deno = (file: string) => [
    DENO,
    "run",
    "--no-config",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    here(file),
  ];
  switch (impl) {
    case "lib":
      return deno("peers/lib.ts");
    case "deno":
      return deno("peers/deno.ts");
    case "node":
      return ["node", here("peers/node.mjs")];
    case "python":
      return ["python3", here("peers/python.py")];
  }
}

function spawn(cmd: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a child's stdout lines; resolves `port` at the "PORT n" line. */
function watch(child: Deno.ChildProcess) {
  const lines: string[] = [];
  let onPort!: (port: number) => void;
  const port = new Promise<number>((resolve) => onPort = resolve);
  const done = (async () => {
    let rest = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += text;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        lines.push(line);
        if (line.startsWith("PORT ")) onPort(Number(line.slice(5)));
      }
    }
    if (rest) lines.push(rest);
  })();
  const stderr = new Response(child.stderr).text();
  return { lines, port, done, stderr };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
}

async function runOnce(impl: Impl, row: Row): Promise<Sample> {
  const pin = row.pinned ? ["taskset", "-c", "0"] : [];
  const mem = row.memory ? ["python3", here("peers/maxrss.py")] : [];
  const params = JSON.stringify(row.params);
  const server = spawn([...pin, ...mem, ...peerCommand(impl), "server", row.workload, params]);
  const srv = watch(server);
  let client: Deno.ChildProcess | undefined;
  try {
    const port = await within(
      Promise.race([srv.port, srv.done.then(() => Promise.reject(new Error("server exited")))]),
      perRunTimeout,
      "server start",
    );
    client = spawn([...pin, ...peerCommand(impl), "client", row.workload, String(port), params]);
    const cli = watch(client);
    const [status] = await within(
      Promise.all([client.status, cli.done]),
      perRunTimeout,
      "client",
    );
    if (!status.success) throw new Error(`client failed: ${(await cli.stderr).trim()}`);
    const result = JSON.parse(cli.lines.at(-1)!) as { seconds: number };
    const serverStatus = await within(server.status, 20_000, "server exit");
    await srv.done;
    if (!serverStatus.success) throw new Error(`server failed: ${(await srv.stderr).trim()}`);
    const sample: Sample = { value: row.score(result.seconds) };
    if (row.memory) {
      const line = srv.lines.find((l) => l.startsWith("MAXRSS "));
      sample.memoryMiB = line ? Number(line.slice(7)) / 1024 : null;
    }
    return sample;
  } catch (e) {
    if (client) kill(client);
    kill(server);
    await server.status;
    await client?.status;
    const detail = (await srv.stderr).trim().split("\n").slice(0, 3).join(" | ");
    return { value: null, error: `${(e as Error).message}${detail ? ` (${detail})` : ""}` };
  } finally {
    await Promise.allSettled([srv.stderr, srv.done]);
  }
}

// ---- statistics and output ------------------------------------------------------

function median(values: (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

function fmt(value: number | null, unit: string): string {
  if (value === null) return "fail";
  if (unit === "s") return value.toFixed(3);
  if (unit === "MiB") return value.toFixed(1);
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

async function version(cmd: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd[0], { args: cmd.slice(1) }).output();
    return new TextDecoder().decode(out.stdout).trim() ||
      new TextDecoder().decode(out.stderr).trim();
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}

const table = rows();
const started = new Date();
const results: Record<string, Record<string, Sample[]>> = {};
console.error(
  `${
    quick ? "quick" : "full"
  } run: ${table.length} rows × ${impls.length} implementations × ${rounds} rounds`,
);
for (const row of table) {
  results[row.id] = Object.fromEntries(impls.map((i) => [i, []]));
  for (let round = 0; round < rounds; round++) {
    // Interleaved: every implementation once per round, rotating who goes first.
    for (let k = 0; k < impls.length; k++) {
      const impl = impls[(k + round) % impls.length];
      const sample = await runOnce(impl, row);
      results[row.id][impl].push(sample);
      const shown = sample.value === null ? `fail: ${sample.error}` : fmt(sample.value, row.unit);
      console.error(`  ${row.id} round ${round + 1} ${impl}: ${shown}`);
    }
  }
}

interface Figure {
  row: string;
  title: string;
  unit: string;
  lowerIsBetter: boolean;
  median: Record<string, number | null>;
  ratio: Record<string, number | null>;
}
const figures: Figure[] = [];
for (const row of table) {
  const kinds: [string, string, (s: Sample) => number | null | undefined][] = [
    [row.title, row.unit, (s) => s.value],
  ];
  if (row.memory) {
    kinds.push([row.memoryTitle ?? "server peak memory", "MiB", (s) => s.memoryMiB]);
  }
  for (const [title, unit, pick] of kinds) {
    const med: Record<string, number | null> = {};
    for (const impl of impls) med[impl] = median(results[row.id][impl].map(pick));
    const base = med.deno;
    const ratio: Record<string, number | null> = {};
    for (const impl of impls) {
      ratio[impl] = base && med[impl] !== null ? med[impl]! / base : null;
    }
    figures.push({
      row: row.id,
      title,
      unit,
      lowerIsBetter: row.lowerIsBetter ?? false,
      median: med,
      ratio,
    });
  }
}

const header = `| workload | unit | ${impls.map((i) => LABEL[i]).join(" | ")} |`;
const lines = [header, `|---|---|${impls.map(() => "---:").join("|")}|`];
for (const f of figures) {
  const cells = impls.map((impl) => {
    const v = fmt(f.median[impl], f.unit);
    const r = f.ratio[impl];
    return impl === "deno" || r === null ? v : `${v} (${r.toFixed(2)}×)`;
  });
  const unit = f.lowerIsBetter ? `${f.unit} (lower is better)` : f.unit;
  lines.push(`| ${f.title} | ${unit} | ${cells.join(" | ")} |`);
}
console.log(lines.join("\n"));

const failures = Object.entries(results).flatMap(([row, byImpl]) =>
  Object.entries(byImpl).flatMap(([impl, samples]) =>
    samples.filter((s) => s.error).map((s) => `${row} ${impl}: ${s.error}`)
  )
);
if (failures.length) console.error(`\n${failures.length} failed runs:\n${failures.join("\n")}`);

const report = {
  started: started.toISOString(),
  finished: new Date().toISOString(),
  command: `deno task bench:compare ${Deno.args.join(" ")}`.trim(),
  quick,
  rounds,
  machine: {
    os: Deno.build.target,
    cpus: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    node: await version(["node", "--version"]),
    python: await version(["python3", "--version"]),
  },
  params: Object.fromEntries(table.map((r) => [r.id, { ...r.params, pinned: !!r.pinned }])),
  figures,
  samples: results,
  table: lines.join("\n"),
};
const out = args.get("out") ??
  here(`results/compare-${started.toISOString().replace(/[:.]/g, "-")}.json`);
await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(out, JSON.stringify(report, null, 2) + "\n");
console.error(`\nresults written to ${out}`);
