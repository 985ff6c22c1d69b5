/**
 * Loopback comparison: this library against the fastest raw Deno code for
 * each workload, Node (`net`/`dgram`/`tls`) and CPython (`socket`, `ssl`,
 * `socketserver`). Every implementation runs as its own server and client
 * processes (bench/peers/); runs are interleaved (each round runs every
 * implementation once, in a rotating order, the library right beside raw
 * Deno) and the tables show medians with each figure's ratio to raw Deno:
 * the median of the rounds' own ratios. Rows with a target run the library
 * and raw Deno for more rounds (`--target-rounds`, 7). Every client first
 * does untimed warm-up work on the same connection or flow.
 *
 * ```sh
 * deno task bench:compare                       # full run
 * deno task bench:compare --quick               # smaller counts, one round
 * deno task bench:compare --only=tcp_rr,udp --impls=lib,deno --rounds=5
 * ```
 *
 * Options: `--only=a,b` keeps the rows whose id contains one of the words;
 * `--impls=a,b` keeps those columns (`lib`, `deno`, `deno_alloc`, `node`,
 * `python`, `lib_loop`, …); `--rounds=N` (3); `--target-rounds=N` (7);
 * `--timeout=S` per process;
 * `--out=PREFIX` for the written files.
 *
 * Sections: the target rows (bulk, round trips, datagrams, connects,
 * fan-in time and memory; unpinned and pinned to one CPU with `taskset`),
 * fan-in at 100, 1,000 and 10,000 concurrent connections (the open-file
 * limit raised with `prlimit` where needed), makefile line round trips, a
 * keep-alive HTTP/1.1 server under `wrk`, `ab -k` and `loadgen.ts`, and TLS.
 *
 * Writes `PREFIX.json` (every sample), `PREFIX.md` (the tables),
 * `PREFIX-fanin.svg` (cost per connection against connections) and
 * `PREFIX-ratios.svg` (library / raw Deno for every target row), PREFIX
 * being `bench/results/compare-<time>`.
 *
 * Permissions: `--allow-run=deno,node,python3,taskset,prlimit,wrk,ab`
 * `--allow-read=tests/certs` and `--allow-write=bench/results` (peers run
 * with `--allow-net=127.0.0.1` only; TLS peers also read `tests/certs`).
 *
 * @module
 */

import type { Params } from "./peers/_params.ts";
import { type RatioBar, ratioChart, scaleChart, type Series } from "./_svg.ts";

const MiB = 1 << 20;

// ---- command line ---------------------------------------------------------

const args = new Map<string, string>();
for (const arg of Deno.args) {
  const [key, value = "true"] = arg.replace(/^--/, "").split("=");
  args.set(key, value);
}
const quick = args.has("quick");
const rounds = Number(args.get("rounds") ?? (quick ? 1 : 3));
/**
 * Rounds of the target rows: the library and raw Deno run this many times
 * (the other columns `rounds` times), so that the ratio, the median of the
 * rounds' own ratios, is steady enough to hold against a target.
 */
const targetRounds = Math.max(rounds, Number(args.get("target-rounds") ?? (quick ? 1 : 7)));
const only = args.get("only")?.split(",");
const onlyImpls = args.get("impls")?.split(",");
const perRunTimeout = Number(args.get("timeout") ?? (quick ? 60 : 120)) * 1000;

// ---- columns: who serves and who connects ----------------------------------

type Peer = "lib" | "deno" | "node" | "python";

/** One implementation of a workload: a peer program and the parameters it adds. */
interface Column {
  label: string;
  peer: Peer;
  params?: Partial<Params>;
}

const COLUMNS: Record<string, Column> = {
  lib: { label: "@seed/socket", peer: "lib" },
  deno: { label: "raw Deno", peer: "deno" },
  deno_alloc: { label: "raw Deno, new buffer per read", peer: "deno", params: { alloc: true } },
  node: { label: "Node", peer: "node" },
  python: { label: "CPython", peer: "python" },
  lib_loop: {
    label: "@seed/socket accept loop, recv_into",
    peer: "lib",
    params: { style: "loop" },
  },
  lib_makefile: {
    label: "@seed/socket makefile + readline",
    peer: "lib",
    params: { style: "makefile" },
  },
  lib_socketserver: {
    label: "@seed/socket socketserver",
    peer: "lib",
    params: { style: "socketserver" },
  },
  lib_accepted: {
    label: "@seed/socket, server wraps accepted sockets",
    peer: "lib",
    params: { style: "accepted" },
  },
  deno_loop: { label: "raw Deno", peer: "deno", params: { style: "loop" } },
  deno_serve: { label: "Deno.serve (for reference)", peer: "deno", params: { style: "serve" } },
  python_socketserver: {
    label: "CPython socketserver",
    peer: "python",
    params: { style: "socketserver" },
  },
};
/** Each section's baseline column (the denominator of every ratio). */
const BASELINE = new Set(["deno", "deno_loop"]);

// ---- rows -----------------------------------------------------------------------

type Section = "targets" | "scale" | "line" | "http" | "tls";
const SECTION_TITLE: Record<Section, string> = {
  targets: "Target rows: the library against the fastest raw Deno",
  scale: "Fan-in scale: concurrent connections",
  line: "makefile().readline() line round trips",
  http: "Keep-alive HTTP/1.1 server, 1 KiB body, 20 connections",
  tls: "TLS",
};

/** What the client side reports. */
interface ClientResult {
  seconds: number;
  /** CPU seconds (user + system) the client used. */
  cpu?: number;
  requests?: number;
  /** Requests per second as the load generator itself reports it. */
  rate?: number;
}

/** One line of a table: a workload, its parameters and how to score it. */
interface Row {
  id: string;
  section: Section;
  title: string;
  workload: string;
  params: Params;
  columns: string[];
  pinned?: boolean;
  /** Also measure the server's peak memory, under this title. */
  memoryTitle?: string;
  /** Show only the memory figure (the time of a run that serves nobody means nothing). */
  memoryOnly?: boolean;
  unit: string;
  score: (r: ClientResult) => number;
  lowerIsBetter?: boolean;
  /** What drives the server: the same peer as client (default), or a load generator. */
  client?: "peer" | "wrk" | "ab" | "loadgen";
  /** Open files each process needs. */
  fds?: number;
  /** The library/raw Deno ratio the row must reach (targets section). */
  target?: number;
  /** The library/raw Deno ratio the memory figure must stay under. */
  memoryTarget?: number;
  /** Targets on other columns, or against another column than raw Deno. */
  otherTargets?: { name: string; column: string; target: number; base?: string }[];
  /** The row's name in the targets table and chart (pinned and unpinned share it). */
  group?: string;
}

const bulkTotal = quick ? 64 * MiB : 2048 * MiB;
const rrCount = quick ? 4000 : 20000;
const connectCount = quick ? 400 : 5000;
/**
 * Untimed work each client does first, on the same connection or flow
 * (round trips, connections, bytes), so that a row measures the steady
 * state and not V8 compiling the code under test.
 */
const warm = {
  rr: quick ? 500 : 2000,
  connect: quick ? 100 : 500,
  bulk: quick ? 16 * MiB : 128 * MiB,
};
const echoes = quick ? 3 : 5;
const connecting = 256;
const scaleClients = [100, 1000, 10000];
const lineCount = quick ? 2000 : 10000;
const httpRequests = quick ? 5000 : 30000;
const wrkSeconds = quick ? 1 : 3;
const tlsRrCount = quick ? 2000 : 10000;
const tlsBulkTotal = quick ? 32 * MiB : 256 * MiB;
const tlsHandshakes = quick ? 100 : 200;
const tlsConnectRr = quick ? 20 : 50;

const SOCKET_COLUMNS = ["lib", "deno", "node", "python"];

function buildRows(): Row[] {
  const out: Row[] = [];
  const rr = (count: number) => (r: ClientResult) => count / r.seconds;
  for (const pinned of [false, true]) {
    const where = pinned ? ", pinned" : "";
    const id = (base: string) => `${base}${pinned ? "_pinned" : ""}`;
    // Bulk: recv_into reuses one buffer on both sides (the target); recv(65536)
    // must hand out fresh bytes per call, so the "new buffer per read" raw
    // Deno column shows what that job costs Deno itself.
    for (const [write, wname] of [[64 << 10, "64 KiB"], [MiB, "1 MiB"]] as const) {
      for (const read of ["recv_into", "recv"] as const) {
        if (pinned && read === "recv") continue;
        const base = `tcp_bulk_${write === MiB ? "1m" : "64k"}${read === "recv" ? "_recv" : ""}`;
        out.push({
          id: id(base),
          group: `tcp_bulk ${wname} writes, ${read === "recv" ? "recv(65536)" : "recv_into"}`,
          section: "targets",
          title: `tcp_bulk ${wname} writes, ${
            read === "recv" ? "recv(65536)" : "recv_into"
          }${where}`,
          workload: "tcp_bulk",
          params: { total: bulkTotal, write, read, warm: warm.bulk },
          columns: read === "recv"
            ? ["lib", "deno", "deno_alloc", "node", "python"]
            : SOCKET_COLUMNS,
          pinned,
          unit: "MB/s",
          score: (r) => bulkTotal / r.seconds / 1e6,
          target: read === "recv_into" ? 0.97 : undefined,
        });
      }
    }
    out.push({
      id: id("tcp_rr"),
      group: "tcp_rr",
      section: "targets",
      title: `tcp_rr 64 B${where}`,
      workload: "tcp_rr",
      params: { count: rrCount, size: 64, timeout: null, warm: warm.rr },
      columns: SOCKET_COLUMNS,
      pinned,
      unit: "round trips/s",
      score: rr(rrCount),
      target: 0.97,
    });
    out.push({
      id: id("tcp_rr_timeout"),
      group: "tcp_rr settimeout(5)",
      section: "targets",
      title: `tcp_rr 64 B, settimeout(5)${where}`,
      workload: "tcp_rr",
      params: { count: rrCount, size: 64, timeout: 5, warm: warm.rr },
      columns: SOCKET_COLUMNS,
      pinned,
      unit: "round trips/s",
      score: rr(rrCount),
      target: 0.93,
    });
    out.push({
      id: id("udp_rr"),
      group: "udp_rr",
      section: "targets",
      title: `udp_rr 64 B, recvfrom_into / receive(buf)${where}`,
      workload: "udp_rr",
      params: { count: rrCount, size: 64, warm: warm.rr },
      columns: ["lib", "deno", "deno_alloc", "node", "python"],
      pinned,
      unit: "round trips/s",
      score: rr(rrCount),
      target: 0.95,
    });
    out.push({
      id: id("tcp_connect"),
      group: "tcp_connect",
      section: "targets",
      title: `tcp_connect${where}`,
      workload: "tcp_connect",
      params: { count: connectCount, size: 64, warm: warm.connect },
      columns: SOCKET_COLUMNS,
      pinned,
      unit: "connections/s",
      score: (r) => connectCount / r.seconds,
      target: 0.95,
    });
    out.push({
      id: id("tcp_fanin_1000"),
      group: "tcp_fanin 1,000 connections",
      section: "targets",
      title: `tcp_fanin 1,000×${echoes}×1 KiB, recv_into(64 KiB)${where}`,
      memoryTitle: `tcp_fanin 1,000 server peak memory${where}`,
      workload: "tcp_fanin",
      params: { clients: 1000, echoes, size: 1024, read: "recv_into", bufsize: 65536, connecting },
      columns: SOCKET_COLUMNS,
      pinned,
      unit: "s",
      score: (r) => r.seconds,
      lowerIsBetter: true,
      fds: 1000 + 64,
      target: 1.02,
      memoryTarget: 1.05,
    });
  }
  // The scale section: the idle footprint (subtracted from each peak to give
  // memory per connection), then 100 and 10,000 (1,000 is the target row).
  out.push({
    id: "tcp_fanin_idle",
    section: "scale",
    title: "tcp_fanin server at rest, no connection",
    memoryTitle: "tcp_fanin server peak memory at rest, no connection",
    memoryOnly: true,
    workload: "tcp_fanin",
    params: { clients: 0, echoes, size: 1024, read: "recv_into", bufsize: 65536, connecting },
    columns: SOCKET_COLUMNS,
    unit: "s",
    score: (r) => r.seconds,
    lowerIsBetter: true,
  });
  for (const clients of scaleClients.filter((n) => n !== 1000)) {
    const n = clients.toLocaleString("en-US");
    out.push({
      id: `tcp_fanin_${clients}`,
      section: "scale",
      title: `tcp_fanin ${n}×${echoes}×1 KiB, recv_into(64 KiB)`,
      memoryTitle: `tcp_fanin ${n} server peak memory`,
      workload: "tcp_fanin",
      params: { clients, echoes, size: 1024, read: "recv_into", bufsize: 65536, connecting },
      columns: SOCKET_COLUMNS,
      unit: "s",
      score: (r) => r.seconds,
      lowerIsBetter: true,
      fds: clients + 64,
    });
  }
  for (const pinned of [false, true]) {
    out.push({
      // makefile("rw") + readline on both ends for the library and CPython;
      // raw Deno reads lines with TextDecoderStream + TextLineStream.
      id: `line_rr${pinned ? "_pinned" : ""}`,
      section: "line",
      title: `line_rr ${lineCount.toLocaleString("en-US")} × 64 B lines${pinned ? ", pinned" : ""}`,
      workload: "line_rr",
      params: { count: lineCount, size: 64, warm: warm.rr },
      columns: ["lib", "deno", "python"],
      pinned,
      unit: "round trips/s",
      score: rr(lineCount),
      otherTargets: [{
        name: "line_rr: library / CPython",
        column: "lib",
        base: "python",
        target: 1,
      }],
    });
  }
  const httpColumns = [
    "lib_loop",
    "lib_makefile",
    "lib_socketserver",
    "deno_loop",
    "deno_serve",
    "python_socketserver",
  ];
  for (
    const [client, how, pinned] of [false, true].flatMap((pinned) =>
      [
        ["wrk", `wrk -t1 -c20 -d${wrkSeconds}s`],
        ["ab", `ab -k -c 20 -n ${httpRequests}`],
        ["loadgen", `bench/loadgen.ts, 20 connections, ${httpRequests} requests`],
      ].map(([client, how]) => [client, how, pinned] as const)
    )
  ) {
    out.push({
      // Pinned, the server and the load generator share one CPU: the rate
      // then follows the CPU cost per request, steadier on a busy machine.
      id: `http_${client}${pinned ? "_pinned" : ""}`,
      section: "http",
      title: `http ${how}${pinned ? ", pinned" : ""}`,
      workload: "http",
      params: { body: 1024 },
      columns: httpColumns,
      client: client as Row["client"],
      pinned,
      otherTargets: [
        { name: `http ${client}: accept loop`, column: "lib_loop", target: 0.97 },
        { name: `http ${client}: makefile + readline`, column: "lib_makefile", target: 0.9 },
        { name: `http ${client}: socketserver`, column: "lib_socketserver", target: 0.9 },
      ],
      unit: "requests/s",
      score: (r) => r.rate ?? r.requests! / r.seconds,
    });
  }
  const tlsColumns = ["lib", "deno", "node", "python", "lib_accepted"];
  for (const pinned of [false, true]) {
    const where = pinned ? ", pinned" : "";
    const id = (base: string) => `${base}${pinned ? "_pinned" : ""}`;
    out.push({
      id: id("tls_rr"),
      group: "tls_rr",
      section: "tls",
      title: `tls_rr ${tlsRrCount.toLocaleString("en-US")} × 1 B${where}`,
      workload: "tls_rr",
      params: { count: tlsRrCount, size: 1, warm: warm.rr },
      columns: tlsColumns,
      pinned,
      unit: "round trips/s",
      score: rr(tlsRrCount),
      target: 0.93,
    });
    out.push({
      id: id("tls_bulk"),
      group: "tls_bulk",
      section: "tls",
      title: `tls_bulk ${tlsBulkTotal / MiB} MiB in 64 KiB writes${where}`,
      workload: "tls_bulk",
      params: { total: tlsBulkTotal, write: 64 << 10 },
      columns: tlsColumns,
      pinned,
      unit: "MB/s",
      score: (r) => tlsBulkTotal / r.seconds / 1e6,
      target: 0.95,
    });
  }
  out.push({
    id: "tls_handshake",
    section: "tls",
    title: `tls_handshake ${tlsHandshakes} × connect, handshake, close`,
    workload: "tls_handshake",
    params: { count: tlsHandshakes, size: 0 },
    columns: ["lib", "lib_accepted", "deno", "node", "python"],
    unit: "connections/s",
    score: (r) => tlsHandshakes / r.seconds,
  });
  // The same with one byte each way before the close: Deno.listenTls gives
  // no way to set TCP_NODELAY, and its first small reply waits for the ACK
  // of the session tickets (Nagle against delayed ACK, ~40 ms).
  out.push({
    id: "tls_connect_rr",
    section: "tls",
    title: `tls_connect_rr ${tlsConnectRr} × connect, handshake, 1 B echo, close`,
    workload: "tls_handshake",
    params: { count: tlsConnectRr, size: 1 },
    columns: ["lib", "lib_accepted", "deno", "node", "python"],
    unit: "connections/s",
    score: (r) => tlsConnectRr / r.seconds,
  });

  let rows = out.filter((row) => !only || only.some((o) => row.id.includes(o)));
  // Memory per connection needs the idle footprint.
  if (
    rows.some((r) => r.workload === "tcp_fanin") && !rows.some((r) => r.id === "tcp_fanin_idle")
  ) {
    rows.unshift(out.find((r) => r.id === "tcp_fanin_idle")!);
  }
  if (onlyImpls) {
    rows = rows.map((r) => ({ ...r, columns: r.columns.filter((c) => onlyImpls.includes(c)) }))
      .filter((r) => r.columns.length > 0);
  }
  return rows;
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

/** Runs a command to completion; null when it cannot be started. */
async function output(cmd: string[]): Promise<{ code: number; text: string } | null> {
  try {
    const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdin: "null" }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, text: (decode(out.stdout) + decode(out.stderr)).trim() };
  } catch {
    return null;
  }
}

const notes: string[] = [];
function note(text: string): void {
  notes.push(text);
  console.error(`note: ${text}`);
}

/**
 * The directory of the test PKI (`tests/certs`: a CA, and a server certificate
 * for localhost/127.0.0.1/::1 as `server.pem`/`server.key`), or why there is none.
 */
async function findCerts(): Promise<string | { skip: string }> {
  const dir = here("../tests/certs");
  for (const name of ["ca.pem", "server.pem", "server.key"]) {
    try {
      await Deno.stat(`${dir}/${name}`);
    } catch (e) {
      return { skip: `${dir}/${name} cannot be read (${(e as Error).message})` };
    }
  }
  return dir;
}

/** Open-file limits and how to run a process with more. */
interface Fds {
  soft: number;
  hard: number;
  prlimit: boolean;
}
async function fdLimits(): Promise<Fds> {
  const out = await output(["prlimit", "--nofile", "--noheadings", "--output=SOFT,HARD"]);
  if (out && out.code === 0) {
    const [soft, hard] = out.text.split(/\s+/).map((v) => v === "unlimited" ? Infinity : Number(v));
    return { soft, hard, prlimit: true };
  }
  return { soft: NaN, hard: NaN, prlimit: false };
}

/** The wrapper that gives a process `need` open files, noting what could not be done. */
const fdNotes = new Set<string>();
async function raiseFds(fds: Fds, need: number): Promise<string[]> {
  if (fds.soft >= need) return [];
  if (!fds.prlimit) {
    const text = `prlimit is not available: the open-file limit could not be read or raised, ` +
      `and rows that need ${need} open files run with the inherited one`;
    if (!fdNotes.has(text)) fdNotes.add(text), note(text);
    return [];
  }
  const want = Math.max(need, Math.min(fds.hard, 1 << 20));
  if (fds.hard >= need) return ["prlimit", `--nofile=${want}:${fds.hard}`, "--"];
  // Above the hard limit: only a privileged process may raise it.
  const probe = await output(["prlimit", `--nofile=${need}:${need}`, "--", "true"]);
  if (probe?.code === 0) return ["prlimit", `--nofile=${need}:${need}`, "--"];
  const text = `the open-file limit (hard ${fds.hard}) is below ${need} and cannot be raised ` +
    `here: rows that need it may fail`;
  if (!fdNotes.has(text)) fdNotes.add(text), note(text);
  return [];
}

function peerCommand(peer: Peer, row: Row, certs: string | null): string[] {
  const deno = (file: string) => [
    DENO,
    "run",
    "--no-config",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    // TLS: the certificates, and for the library the project (ssl.ts is
    // imported at run time, so that the row can say when it is missing).
    ...(certs && row.section === "tls"
      ? [`--allow-read=${certs}${peer === "lib" ? `,${here("..")}` : ""}`]
      : []),
    here(file),
  ];
  switch (peer) {
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
    env: { NO_COLOR: "1" },
  }).spawn();
}

class Skip extends Error {}

/** Collects a child's stdout lines; resolves `port` at "PORT n", rejects with Skip at "SKIP …". */
function watch(child: Deno.ChildProcess) {
  const lines: string[] = [];
  let onPort!: (port: number) => void;
  let onSkip!: (e: Skip) => void;
  const port = new Promise<number>((resolve, reject) => {
    onPort = resolve;
    onSkip = reject;
  });
  port.catch(() => {});
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
        if (line.startsWith("SKIP ")) onSkip(new Skip(line.slice(5)));
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

interface Sample {
  value: number | null;
  memoryMiB?: number | null;
  /** CPU seconds of server and client together (null where a peer does not report it). */
  cpu?: number | null;
  error?: string;
  skipped?: string;
}

/** The client command for a row: the peer itself or a load generator. */
function clientCommand(row: Row, peer: string[], port: number, params: string): string[] {
  const url = `http://127.0.0.1:${port}/`;
  switch (row.client ?? "peer") {
    case "wrk":
      return ["wrk", "-t1", "-c20", `-d${wrkSeconds}s`, url];
    case "ab":
      return ["ab", "-k", "-q", "-c", "20", "-n", String(httpRequests), url];
    case "loadgen":
      return [
        DENO,
        "run",
        "--no-config",
        "--allow-net=127.0.0.1",
        here("loadgen.ts"),
        String(port),
        "20",
        String(httpRequests),
      ];
    default:
      return [...peer, "client", row.workload, String(port), params];
  }
}

/** Reads the client's result from its output. */
function parseClient(row: Row, lines: string[]): ClientResult {
  const text = lines.join("\n");
  if (row.client === "wrk") {
    const rate = text.match(/Requests\/sec:\s+([\d.]+)/);
    if (!rate) throw new Error(`no rate in wrk's output: ${text.slice(-200)}`);
    const errors = text.match(/Socket errors:.*|Non-2xx or 3xx responses: \d+/g);
    if (errors) throw new Error(`wrk: ${errors.join("; ")}`);
    return { seconds: wrkSeconds, rate: Number(rate[1]) };
  }
  if (row.client === "ab") {
    const rate = text.match(/Requests per second:\s+([\d.]+)/);
    const failed = Number(text.match(/Failed requests:\s+(\d+)/)?.[1] ?? NaN);
    const kept = Number(text.match(/Keep-Alive requests:\s+(\d+)/)?.[1] ?? NaN);
    if (!rate) throw new Error(`no rate in ab's output: ${text.slice(-200)}`);
    if (failed !== 0) throw new Error(`ab: ${failed} failed requests`);
    if (kept !== httpRequests) throw new Error(`ab: ${kept} keep-alive requests`);
    return { seconds: httpRequests / Number(rate[1]), rate: Number(rate[1]) };
  }
  return JSON.parse(lines.at(-1)!) as ClientResult;
}

interface Env {
  certs: string | { skip: string } | null;
  fds: Fds;
  tools: Record<string, string | null>;
}

/**
 * The server's parameters: the client's warm-up is work the server serves
 * too (more round trips, connections or bytes), untimed by the client.
 */
function serverParams(p: Params): string {
  if (!p.warm) return JSON.stringify(p);
  const more = p.total !== undefined ? { total: p.total + p.warm } : { count: p.count! + p.warm };
  return JSON.stringify({ ...p, ...more, warm: 0 });
}

async function runOnce(column: Column, row: Row, env: Env): Promise<Sample> {
  if (row.client && row.client !== "peer" && row.client !== "loadgen" && env.tools[row.client]) {
    return { value: null, skipped: env.tools[row.client]! };
  }
  if (row.section === "tls" && typeof env.certs !== "string") {
    return { value: null, skipped: env.certs?.skip ?? "no certificates" };
  }
  const certs = typeof env.certs === "string" ? env.certs : null;
  const p: Params = { ...row.params, ...column.params, ...(certs ? { certs } : {}) };
  const fd = row.fds ? await raiseFds(env.fds, row.fds) : [];
  const pin = row.pinned ? ["taskset", "-c", "0"] : [];
  const mem = row.memoryTitle ? ["python3", here("peers/maxrss.py")] : [];
  const params = JSON.stringify(p);
  const peer = peerCommand(column.peer, row, certs);
  const server = spawn([...fd, ...pin, ...mem, ...peer, "server", row.workload, serverParams(p)]);
  const srv = watch(server);
  const endless = row.workload === "http";
  let client: Deno.ChildProcess | undefined;
  try {
    const port = await within(
      Promise.race([srv.port, srv.done.then(() => Promise.reject(new Error("server exited")))]),
      perRunTimeout,
      "server start",
    );
    client = spawn([...fd, ...pin, ...clientCommand(row, peer, port, params)]);
    const cli = watch(client);
    const [status] = await within(Promise.all([client.status, cli.done]), perRunTimeout, "client");
    if (!status.success) {
      throw new Error(
        `client failed: ${(await cli.stderr).trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
    const result = parseClient(row, cli.lines);
    if (endless) kill(server);
    const serverStatus = await within(server.status, 20_000, "server exit");
    await srv.done;
    if (!endless && !serverStatus.success) {
      throw new Error(
        `server failed: ${(await srv.stderr).trim().split("\n").slice(0, 3).join(" | ")}`,
      );
    }
    const serverCpu = srv.lines.find((l) => l.startsWith("CPU "));
    const sample: Sample = {
      value: row.score(result),
      cpu: serverCpu && result.cpu !== undefined ? Number(serverCpu.slice(4)) + result.cpu : null,
    };
    if (row.memoryTitle) {
      const line = srv.lines.find((l) => l.startsWith("MAXRSS "));
      sample.memoryMiB = line ? Number(line.slice(7)) / 1024 : null;
    }
    return sample;
  } catch (e) {
    if (client) kill(client);
    kill(server);
    await server.status;
    await client?.status;
    if (e instanceof Skip) return { value: null, skipped: e.message };
    const detail = (await srv.stderr).trim().split("\n").slice(0, 3).join(" | ");
    const message = (e as Error).message;
    return {
      value: null,
      error: message.startsWith("server failed") || !detail ? message : `${message} (${detail})`,
    };
  } finally {
    await Promise.allSettled([srv.stderr, srv.done]);
  }
}

// ---- statistics and output ------------------------------------------------------

/** The median over rounds of `column`'s value over `base`'s in the same round. */
function pairedRatio(
  perRound: Record<string, (number | null)[]>,
  column: string,
  base: string,
): number | null {
  const ratios: number[] = [];
  const xs = perRound[column] ?? [], bs = perRound[base] ?? [];
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k], b = bs[k];
    if (x != null && b) ratios.push(x / b);
  }
  return median(ratios);
}

function median(values: (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

function fmt(value: number | null, unit: string): string {
  if (value === null) return "—";
  if (unit === "s") return value.toFixed(3);
  if (unit === "MiB" || unit === "KiB") return value.toFixed(1);
  if (unit === "µs") return value.toFixed(1);
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

async function version(cmd: string[]): Promise<string> {
  const out = await output(cmd);
  return out ? out.text.split("\n")[0] : "unavailable";
}

/** Whether a load generator can run: null if so, else why not. */
async function tool(cmd: string[], name: string): Promise<string | null> {
  const out = await output(cmd);
  return out ? null : `${name} is not installed (or not in --allow-run): row skipped`;
}

const table = buildRows();
const started = new Date();
const env: Env = {
  certs: table.some((r) => r.section === "tls") ? await findCerts() : null,
  fds: await fdLimits(),
  tools: {
    wrk: table.some((r) => r.client === "wrk") ? await tool(["wrk", "-v"], "wrk") : null,
    ab: table.some((r) => r.client === "ab")
      ? await tool(["ab", "-V"], "ab (apache2-utils)")
      : null,
  },
};
for (const why of Object.values(env.tools)) if (why) note(why);
if (env.certs && typeof env.certs !== "string") note(`TLS rows skipped: ${env.certs.skip}`);
const pinnable = table.some((r) => r.pinned)
  ? (await output(["taskset", "-c", "0", "true"]))?.code === 0
  : true;
if (!pinnable) {
  note("taskset is not available (or not in --allow-run): the pinned rows were left out");
  table.splice(0, table.length, ...table.filter((r) => !r.pinned));
}
/**
 * The columns a round runs, in order. Every column runs in the first
 * `rounds` rounds, rotating who goes first; a row with a target then runs
 * only the library's columns and raw Deno's, up to `targetRounds`. Each
 * library column runs right beside raw Deno, alternating which goes first,
 * so that the round's own ratio sees the machine in one state.
 */
function roundOrder(row: Row, round: number): string[] {
  const targeted = row.target !== undefined || row.otherTargets !== undefined ||
    row.memoryTarget !== undefined;
  if (round >= rounds && !targeted) return [];
  const base = row.columns.find((c) => BASELINE.has(c));
  const paired = (c: string) => c.startsWith("lib") && c !== "lib_accepted";
  const libs = row.columns.filter(paired);
  const named = new Set(row.otherTargets?.map((t) => t.base).filter((b) => b !== undefined));
  const others = round < rounds
    ? row.columns.filter((c) => c !== base && !paired(c))
    : row.columns.filter((c) => named.has(c));
  const order: string[] = [];
  libs.forEach((lib, k) => {
    if (base === undefined) order.push(lib);
    else if (k > 0) order.push(lib);
    else order.push(...(round % 2 ? [base, lib] : [lib, base]));
  });
  if (base !== undefined && libs.length === 0) order.push(base);
  const turn = others.length ? round % others.length : 0;
  return [...order, ...others.slice(turn), ...others.slice(0, turn)];
}

const rowRounds = (row: Row) =>
  row.target !== undefined || row.otherTargets !== undefined || row.memoryTarget !== undefined
    ? targetRounds
    : rounds;
const runs = table.reduce(
  (n, r) =>
    n + Array.from({ length: rowRounds(r) }, (_, k) => roundOrder(r, k).length)
      .reduce((a, b) => a + b, 0),
  0,
);
console.error(`${quick ? "quick" : "full"} run: ${table.length} rows, ${runs} runs`);

/** Every sample, by row and column, at the index of its round (holes where a column sat out). */
const results: Record<string, Record<string, Sample[]>> = {};
for (const row of table) {
  const rowStarted = performance.now();
  results[row.id] = Object.fromEntries(row.columns.map((c) => [c, []]));
  for (let round = 0; round < rowRounds(row); round++) {
    for (const id of roundOrder(row, round)) {
      const done = results[row.id][id];
      const skipped = done.find((s) => s?.skipped);
      const sample = skipped ? skipped : await runOnce(COLUMNS[id], row, env);
      done[round] = sample;
      const shown = sample.skipped
        ? `skipped: ${sample.skipped}`
        : sample.value === null
        ? `fail: ${sample.error}`
        : `${fmt(sample.value, row.unit)}${
          sample.memoryMiB != null ? `, ${sample.memoryMiB.toFixed(1)} MiB` : ""
        }`;
      console.error(`  ${row.id} round ${round + 1} ${id}: ${shown}`);
    }
  }
  console.error(`  ${row.id}: ${((performance.now() - rowStarted) / 1000).toFixed(1)} s`);
}

interface Figure {
  row: string;
  section: Section;
  title: string;
  unit: string;
  lowerIsBetter: boolean;
  median: Record<string, number | null>;
  /**
   * To the baseline: the median of the rounds' own ratios (each round's
   * sample over the baseline's in that round), which a slow drift of the
   * machine moves less than a ratio of medians.
   */
  ratio: Record<string, number | null>;
  /** Each round's value per column (null where it sat out or failed). */
  rounds: Record<string, (number | null)[]>;
  skipped: Record<string, string>;
  /** CPU seconds of both processes: only in the JSON and the targets table. */
  cpu?: boolean;
}
const figures: Figure[] = [];
for (const row of table) {
  const kinds: [string, string, (s: Sample) => number | null | undefined][] = row.memoryOnly
    ? []
    : [[row.title, row.unit, (s) => s.value]];
  if (row.memoryTitle) kinds.push([row.memoryTitle, "MiB", (s) => s.memoryMiB]);
  if (!row.memoryOnly) kinds.push([`${row.title}: CPU`, "CPU s", (s) => s.cpu]);
  const base = row.columns.find((c) => BASELINE.has(c));
  for (const [title, unit, pick] of kinds) {
    const med: Record<string, number | null> = {};
    const perRound: Record<string, (number | null)[]> = {};
    const skipped: Record<string, string> = {};
    for (const c of row.columns) {
      med[c] = median(results[row.id][c].map(pick));
      perRound[c] = Array.from(results[row.id][c], (s) => (s ? pick(s) : null) ?? null);
      const skip = results[row.id][c].find((s) => s?.skipped)?.skipped;
      if (skip) skipped[c] = skip;
    }
    const ratio: Record<string, number | null> = {};
    for (const c of row.columns) ratio[c] = base ? pairedRatio(perRound, c, base) : null;
    figures.push({
      row: row.id,
      section: row.section,
      title,
      unit,
      lowerIsBetter: row.lowerIsBetter || unit === "MiB" || unit === "CPU s",
      median: med,
      ratio,
      rounds: perRound,
      skipped,
      ...(unit === "CPU s" ? { cpu: true } : {}),
    });
  }
}

/** A Markdown table of the figures of one section. */
function sectionTable(section: Section): string | null {
  const fs = figures.filter((f) => f.section === section && !f.cpu);
  if (fs.length === 0) return null;
  const used = new Set(table.filter((r) => r.section === section).flatMap((r) => r.columns));
  const cols = Object.keys(COLUMNS).filter((c) => used.has(c));
  const lines = [
    `| workload | unit | ${cols.map((c) => COLUMNS[c].label).join(" | ")} |`,
    `|---|---|${cols.map(() => "---:").join("|")}|`,
  ];
  for (const f of fs) {
    const cells = cols.map((c) => {
      if (!(c in f.median)) return "";
      if (f.skipped[c]) return "skipped";
      const v = fmt(f.median[c], f.unit);
      const r = f.ratio[c];
      return BASELINE.has(c) || r === null ? v : `${v} (${r.toFixed(2)}×)`;
    });
    const unit = f.lowerIsBetter ? `${f.unit} (lower is better)` : f.unit;
    lines.push(`| ${f.title} | ${unit} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** library / raw Deno per target row, unpinned and pinned. */
interface TargetLine {
  name: string;
  target: number;
  lowerIsBetter: boolean;
  unpinned: number | null;
  pinned: number | null;
  /** Whether the line has a pinned row at all. */
  hasPinned?: boolean;
  /** library / raw Deno CPU seconds (both processes), where this line has its own runs. */
  cpuUnpinned?: number | null;
  cpuPinned?: number | null;
}
const targets: TargetLine[] = [];
for (const row of table) {
  const specs: {
    name: string;
    column: string;
    target: number;
    title: string;
    lowerIsBetter: boolean;
    base?: string;
  }[] = [];
  if (row.target !== undefined) {
    specs.push({
      name: row.group!,
      column: "lib",
      target: row.target,
      title: row.title,
      lowerIsBetter: row.lowerIsBetter ?? false,
    });
  }
  if (row.memoryTarget !== undefined) {
    specs.push({
      name: `${row.group} memory`,
      column: "lib",
      target: row.memoryTarget,
      title: row.memoryTitle!,
      lowerIsBetter: true,
    });
  }
  for (const t of row.otherTargets ?? []) {
    specs.push({ ...t, title: row.title, lowerIsBetter: false });
  }
  for (const spec of specs) {
    const figure = figures.find((f) => f.row === row.id && f.title === spec.title);
    const cpuFigure = figures.find((f) => f.row === row.id && f.cpu);
    const ratioOf = (f: Figure | undefined) => {
      if (!f) return null;
      if (!spec.base) return f.ratio[spec.column] ?? null;
      return pairedRatio(f.rounds, spec.column, spec.base);
    };
    let line = targets.find((t) => t.name === spec.name);
    if (!line) {
      line = {
        name: spec.name,
        target: spec.target,
        lowerIsBetter: spec.lowerIsBetter,
        unpinned: null,
        pinned: null,
      };
      targets.push(line);
    }
    line[row.pinned ? "pinned" : "unpinned"] = ratioOf(figure);
    if (row.pinned) line.hasPinned = true;
    if (spec.title === row.title && (row.section === "targets" || row.section === "tls")) {
      line[row.pinned ? "cpuPinned" : "cpuUnpinned"] = ratioOf(cpuFigure);
    }
  }
}
const cpuCell = (v: number | null | undefined) => v == null ? "—" : v.toFixed(3);
const met = (t: TargetLine, v: number | null) =>
  v === null
    ? "—"
    : `${v.toFixed(3)} ${(t.lowerIsBetter ? v <= t.target : v >= t.target) ? "✓" : "✗"}`;
const targetTable = targets.length
  ? [
    "| workload | target (library / raw Deno unless named) | unpinned | pinned to one CPU | CPU time, unpinned | CPU time, pinned |",
    "|---|---|---:|---:|---:|---:|",
    ...targets.map((t) =>
      `| ${t.name} | ${t.lowerIsBetter ? "≤" : "≥"} ${t.target} | ${met(t, t.unpinned)} | ${
        met(t, t.pinned)
      } | ${
        t.name.endsWith("memory") ? " |" : `${cpuCell(t.cpuUnpinned)} | ${cpuCell(t.cpuPinned)}`
      } |`
    ),
  ].join("\n")
  : null;

// Fan-in per connection: time / N, (peak - idle) / N.
const scaleCols = SOCKET_COLUMNS.filter((c) => !onlyImpls || onlyImpls.includes(c));
const fanin = (n: number) => figures.filter((f) => f.row === `tcp_fanin_${n}`);
const idle = figures.find((f) => f.row === "tcp_fanin_idle" && f.unit === "MiB");
const scaleRows = scaleClients.filter((n) => fanin(n).length > 0);
const perConn = (n: number, c: string, unit: string): number | null => {
  const f = fanin(n).find((f) => f.unit === unit);
  const v = f?.median[c];
  if (v == null) return null;
  if (unit === "s") return v / n * 1e6;
  const rest = idle?.median[c];
  return rest == null ? null : (v - rest) * 1024 / n;
};
const scaleTable = scaleRows.length
  ? [
    `| connections | ${
      scaleCols.map((c) => `${COLUMNS[c].label} µs / conn | ${COLUMNS[c].label} KiB / conn`).join(
        " | ",
      )
    } |`,
    `|---:|${scaleCols.map(() => "---:|---:").join("|")}|`,
    ...scaleRows.map((n) =>
      `| ${n.toLocaleString("en-US")} | ${
        scaleCols.map((c) =>
          `${fmt(perConn(n, c, "s"), "µs")} | ${fmt(perConn(n, c, "MiB"), "KiB")}`
        )
          .join(" | ")
      } |`
    ),
  ].join("\n")
  : null;

const failures = Object.entries(results).flatMap(([row, byColumn]) =>
  Object.entries(byColumn).flatMap(([c, samples]) =>
    samples.filter((s) => s.error).map((s) => `${row} ${c}: ${s.error}`)
  )
);
const skips = [
  ...new Set(
    Object.entries(results).flatMap(([row, byColumn]) =>
      Object.entries(byColumn).flatMap(([c, samples]) =>
        samples.filter((s) => s.skipped).slice(0, 1).map((s) => `${row} ${c}: ${s.skipped}`)
      )
    ),
  ),
];

const machine = {
  os: Deno.build.target,
  cpus: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  node: await version(["node", "--version"]),
  python: await version(["python3", "--version"]),
  wrk: env.tools.wrk ?? await version(["wrk", "-v"]),
  ab: env.tools.ab ?? await version(["ab", "-V"]),
  openFiles: { soft: env.fds.soft, hard: env.fds.hard, prlimit: env.fds.prlimit },
  pinned: pinnable ? "taskset -c 0" : "not available",
};
const command = `deno task bench:compare ${Deno.args.join(" ")}`.trim();
const finished = new Date();
const md: string[] = [
  `# bench:compare ${started.toISOString()}`,
  "",
  `\`${command}\`: ${rounds} round(s), ${
    Math.round((finished.getTime() - started.getTime()) / 1000)
  } s. Deno ${machine.deno}, Node ${machine.node}, ${machine.python}, ${machine.cpus} CPUs. ` +
  "Each cell is the median of the rounds and, in brackets, its ratio to raw Deno: the median of the rounds' own ratios (each round runs the library right beside raw Deno). " +
  `Rows with a target run the library and raw Deno in ${targetRounds} rounds. ` +
  "Every client first does untimed warm-up work on the same connection or flow (round trips, connections, bytes).",
];
if (targetTable) md.push("", `## Targets: library / raw Deno`, "", targetTable);
for (const section of Object.keys(SECTION_TITLE) as Section[]) {
  const t = sectionTable(section);
  if (t) md.push("", `## ${SECTION_TITLE[section]}`, "", t);
  if (section === "scale" && scaleTable) {
    md.push(
      "",
      "Per connection: time / connections, and (peak − the same server's peak at rest) / connections.",
      "",
      scaleTable,
    );
  }
}
if (notes.length) md.push("", "## Notes", "", ...notes.map((n) => `- ${n}`));
if (skips.length) md.push("", "## Skipped", "", ...skips.map((s) => `- ${s}`));
if (failures.length) md.push("", "## Failed runs", "", ...failures.map((f) => `- ${f}`));
const markdown = md.join("\n") + "\n";
console.log(markdown);

const prefix = args.get("out") ??
  here(`results/compare-${started.toISOString().replace(/[:.]/g, "-")}`);
await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
const written = [`${prefix}.json`, `${prefix}.md`];
await Deno.writeTextFile(
  `${prefix}.json`,
  JSON.stringify(
    {
      started: started.toISOString(),
      finished: finished.toISOString(),
      command,
      quick,
      rounds,
      targetRounds,
      machine,
      notes,
      params: Object.fromEntries(
        table.map((r) => [r.id, { ...r.params, pinned: !!r.pinned, client: r.client ?? "peer" }]),
      ),
      targets,
      figures,
      samples: results,
    },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(`${prefix}.md`, markdown);
if (scaleRows.length) {
  const series = (unit: string): Series[] =>
    scaleCols.map((c) => ({
      label: COLUMNS[c].label,
      points: scaleRows.map((n) => [n, perConn(n, c, unit)] as [number, number | null]),
    }));
  await Deno.writeTextFile(
    `${prefix}-fanin.svg`,
    scaleChart(
      `tcp_fanin: cost per connection (${echoes} × 1 KiB echoes each)`,
      { title: "time per connection (µs)", series: series("s") },
      { title: "server memory per connection (KiB, peak − at rest)", series: series("MiB") },
      scaleRows,
      `${command} · ${
        started.toISOString().slice(0, 16)
      } · Deno ${machine.deno}, ${machine.cpus} CPUs`,
    ),
  );
  written.push(`${prefix}-fanin.svg`);
}
if (targets.length) {
  const bars: RatioBar[] = targets.map((t) => ({
    label: t.name,
    unpinned: t.unpinned,
    pinned: t.hasPinned ? t.pinned : undefined,
    target: t.target,
    lowerIsBetter: t.lowerIsBetter,
  }));
  await Deno.writeTextFile(
    `${prefix}-ratios.svg`,
    ratioChart(
      "@seed/socket / raw Deno, same run (1.00 = as fast as raw Deno)",
      bars,
      `${command} · ${
        started.toISOString().slice(0, 16)
      } · medians of ${rounds} round(s), ${targetRounds} for targets`,
    ),
  );
  written.push(`${prefix}-ratios.svg`);
}
if (failures.length) console.error(`\n${failures.length} failed runs:\n${failures.join("\n")}`);
console.error(`\nwritten: ${written.join(", ")}`);
