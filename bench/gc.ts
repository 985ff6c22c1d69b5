/**
 * Garbage collection per connection: connect, 64 bytes each way, close,
 * with the library at both ends or raw Deno at both ends, each in a child
 * process under V8's `--trace-gc`. Prints the process's CPU time per
 * connection (client and server together) and, per 1,000 connections, the
 * young-generation collections (scavenges), the full ones (mark-compact)
 * and the time they took.
 *
 * A closed socket should die young, as raw Deno's connections do: few,
 * short scavenges and no full collection. When something keeps sockets
 * alive through scavenges (V8 does so for an arrow function made in a
 * method and stored on its object, for example), scavenges get rare and
 * slow, and full collections appear.
 *
 * ```sh
 * deno run --allow-run --allow-read=. bench/gc.ts [connections]
 * ```
 *
 * @module
 */

import process from "node:process";

const SIZE = 64;
const WARM = 2000;

async function child(impl: string, count: number): Promise<void> {
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(SIZE), sbuf = new Uint8Array(SIZE);
  if (impl === "deno") {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const serve = async () => {
      const conn = await listener.accept();
      for (let got = 0; got < SIZE;) got += (await conn.read(sbuf.subarray(got)))!;
      for (let off = 0; off < SIZE;) off += await conn.write(sbuf.subarray(off));
      conn.close();
    };
    const call = async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      for (let off = 0; off < SIZE;) off += await conn.write(msg.subarray(off));
      for (let got = 0; got < SIZE;) got += (await conn.read(buf.subarray(got)))!;
      conn.close();
    };
    report(await timed(() => Promise.all([call(), serve()]), count));
    listener.close();
    return;
  }
  const { socket } = await import("../mod.ts");
  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  const address = listener.getsockname() as [string, number];
  const serve = async () => {
    const [conn] = await listener.accept();
    for (let got = 0; got < SIZE;) got += await conn.recv_into(sbuf.subarray(got));
    await conn.sendall(sbuf);
    conn.close();
  };
  const call = async () => {
    const sock = socket();
    await sock.connect(address);
    await sock.sendall(msg);
    for (let got = 0; got < SIZE;) got += await sock.recv_into(buf.subarray(got));
    sock.close();
  };
  report(await timed(() => Promise.all([call(), serve()]), count));
  listener.close();
}

/** CPU time per cycle in µs, after an untimed warm-up. */
async function timed(cycle: () => Promise<unknown>, count: number): Promise<number> {
  for (let i = 0; i < WARM; i++) await cycle();
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await cycle();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/** On stderr: V8's trace has stdout. */
function report(cpu: number): void {
  console.error(`CPU ${cpu}`);
}

interface Collections {
  scavenges: number;
  scavengeMs: number;
  full: number;
  fullMs: number;
}

/** Sums `--trace-gc` lines: each pause, plus a full collection's incremental steps. */
function tally(trace: string): Collections {
  const out = { scavenges: 0, scavengeMs: 0, full: 0, fullMs: 0 };
  for (const line of trace.split("\n")) {
    const pause = Number(line.match(/, ([\d.]+) \/ [\d.]+ ms/)?.[1] ?? 0);
    if (line.includes(" Scavenge ")) {
      out.scavenges++;
      out.scavengeMs += pause;
    } else if (line.includes("Mark-Compact")) {
      out.full++;
      out.fullMs += pause + Number(line.match(/\(\+ ([\d.]+) ms in/)?.[1] ?? 0);
    }
  }
  return out;
}

if (Deno.args[0] === "--child") {
  await child(Deno.args[1], Number(Deno.args[2]));
} else {
  const count = Number(Deno.args[0] ?? 20_000);
  // Collections are counted over the whole run, warm-up included.
  const per = 1000 / (count + WARM);
  console.log(
    `connect / 64 B each way / close, ${count} timed after ${WARM} untimed; ` +
      "collections per 1,000 connections:",
  );
  for (const impl of ["deno", "lib"]) {
    const { stdout, stderr, success } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--allow-net=127.0.0.1",
        "--allow-read=.",
        "--v8-flags=--trace-gc",
        new URL(import.meta.url).pathname,
        "--child",
        impl,
        String(count),
      ],
    }).output();
    const report = new TextDecoder().decode(stderr);
    if (!success) throw new Error(`${impl}: the child failed: ${report}`);
    const c = tally(new TextDecoder().decode(stdout));
    const cpu = Number(report.match(/^CPU ([\d.]+)$/m)?.[1]);
    console.log(
      `${impl === "lib" ? "library " : "raw Deno"}  ${cpu.toFixed(1)} µs CPU per connection, ` +
        `${(c.scavenges * per).toFixed(1)} scavenges ` +
        `(${(c.scavengeMs * per).toFixed(2)} ms), ${(c.full * per).toFixed(2)} full ` +
        `(${(c.fullMs * per).toFixed(2)} ms)`,
    );
  }
}
