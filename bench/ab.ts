/**
 * Two builds of the library against raw Deno in one process: round trips
 * (blocking, and with settimeout(5)), 64-byte lines through `makefile`
 * (`line_rr`: write + flush + readline at both ends), UDP round trips (reused buffers:
 * `receive(buf)`, `recvfrom_into`), connect/accept cycles (bare, and with
 * 64 B each way: `tcp_connect_echo`), and a bulk read (`tcp_bulk`: 1 MiB
 * writes from raw Deno, `recv_into` of 64 KiB), in interleaved rounds
 * (each round runs raw, A and B in a rotating order), scored by this
 * process's CPU time, so another process's load moves all three alike.
 * Prints each build's median time per round relative to raw Deno in the
 * same round (lower is better).
 *
 * ```sh
 * git worktree add /tmp/before main
 * deno run --unstable-net --allow-net=127.0.0.1 --allow-read --allow-env \
 *   bench/ab.ts /tmp/before/mod.ts ./mod.ts [count] [rounds] [tcp_rr,tcp_rr_timeout,line_rr,udp_rr,tcp_connect,tcp_connect_echo,tcp_bulk]
 * ```
 *
 * @module
 */

import process from "node:process";

type Lib = typeof import("../mod.ts");
const [pathA, pathB] = Deno.args;
if (!pathA || !pathB) throw new Error("usage: bench/ab.ts A/mod.ts B/mod.ts [count] [rounds]");
const toUrl = (p: string) => new URL(p, `file://${Deno.cwd()}/`).href;
const base: Lib = await import(toUrl(pathA));
const next: Lib = await import(toUrl(pathB));
const N = Number(Deno.args[2] ?? 4000);
const ROUNDS = Number(Deno.args[3] ?? 9);
/** Workloads to run (comma-separated names), all when absent. */
const ONLY = Deno.args[4]?.split(",");
const SIZE = 64;
/** This process's CPU time in ms (user + system). */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function rawRR(timeout: boolean): Promise<number> {
  void timeout;
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port });
  const s = await l.accept();
  c.setNoDelay(true);
  s.setNoDelay(true);
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(SIZE), sbuf = new Uint8Array(65536);
  const echo = (async () => {
    for (;;) {
      const n = await s.read(sbuf);
      if (n === null) return;
      let off = 0;
      while (off < n) off += await s.write(sbuf.subarray(off, n));
    }
  })();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    await c.write(msg);
    let got = 0;
    while (got < SIZE) got += (await c.read(buf.subarray(got)))!;
  }
  const t = cpu() - t0;
  c.close();
  await echo.catch(() => {});
  s.close();
  l.close();
  return t;
}

/** A connected pair of library sockets with TCP_NODELAY (and settimeout(5) when `timeout`). */
async function libPair(lib: Lib, timeout: boolean) {
  const l = lib.socket();
  l.bind(["127.0.0.1", 0]);
  l.listen();
  const c = lib.socket();
  await c.connect(l.getsockname() as [string, number]);
  const [s] = await l.accept();
  l.close();
  c.setsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY, 1);
  s.setsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY, 1);
  if (timeout) {
    c.settimeout(5);
    s.settimeout(5);
  }
  return [c, s];
}

async function libRR(lib: Lib, timeout: boolean): Promise<number> {
  const [c, s] = await libPair(lib, timeout);
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(SIZE), sbuf = new Uint8Array(65536);
  const echo = (async () => {
    for (;;) {
      const n = await s.recv_into(sbuf);
      if (n === 0) return;
      await s.sendall(sbuf.subarray(0, n));
    }
  })();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    await c.sendall(msg);
    let got = 0;
    while (got < SIZE) got += await c.recv_into(buf.subarray(got));
  }
  const t = cpu() - t0;
  c.close();
  await echo.catch(() => {});
  s.close();
  return t;
}

/**
 * A 64-byte line through `makefile("rw")` at both ends: `write` + `flush` +
 * `readline` (bench:compare's line_rr; its raw column is raw Deno's 64-byte
 * round trip, so the ratio is what the text files cost on top of the bytes).
 */
async function libLine(lib: Lib): Promise<number> {
  const [c, s] = await libPair(lib, false);
  const line = "x".repeat(SIZE - 1) + "\n";
  const cf = c.makefile("rw"), sf = s.makefile("rw");
  const echo = (async () => {
    for (;;) {
      const got = await sf.readline();
      if (got === "") return;
      await sf.write(got);
      await sf.flush();
    }
  })();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    await cf.write(line);
    await cf.flush();
    if (await cf.readline() !== line) throw new Error("line_rr: wrong echo");
  }
  const t = cpu() - t0;
  await cf.close();
  c.close();
  await echo.catch(() => {});
  await sf.close();
  s.close();
  return t;
}

async function rawConnect(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const M = N / 10;
  const t0 = cpu();
  for (let i = 0; i < M; i++) {
    const [c, s] = await Promise.all([Deno.connect({ hostname: "127.0.0.1", port }), l.accept()]);
    c.close();
    s.close();
  }
  const t = cpu() - t0;
  l.close();
  return t;
}

async function libConnect(lib: Lib): Promise<number> {
  const l = lib.socket();
  l.bind(["127.0.0.1", 0]);
  l.listen();
  const addr = l.getsockname() as [string, number];
  const M = N / 10;
  const t0 = cpu();
  for (let i = 0; i < M; i++) {
    const c = lib.socket();
    const [, [s]] = await Promise.all([c.connect(addr), l.accept()]);
    c.close();
    s.close();
  }
  const t = cpu() - t0;
  l.close();
  return t;
}

/** Connect, 64 B each way, close (bench:compare's tcp_connect). */
async function rawConnectEcho(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const M = N / 10;
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(SIZE), sbuf = new Uint8Array(SIZE);
  const t0 = cpu();
  const server = (async () => {
    for (let i = 0; i < M; i++) {
      const s = await l.accept();
      for (let got = 0; got < SIZE;) got += (await s.read(sbuf.subarray(got)))!;
      for (let off = 0; off < SIZE;) off += await s.write(sbuf.subarray(off));
      s.close();
    }
  })();
  for (let i = 0; i < M; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    for (let off = 0; off < SIZE;) off += await c.write(msg.subarray(off));
    for (let got = 0; got < SIZE;) got += (await c.read(buf.subarray(got)))!;
    c.close();
  }
  await server;
  const t = cpu() - t0;
  l.close();
  return t;
}

async function libConnectEcho(lib: Lib): Promise<number> {
  const l = lib.socket();
  l.bind(["127.0.0.1", 0]);
  l.listen();
  const addr = l.getsockname() as [string, number];
  const M = N / 10;
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(SIZE), sbuf = new Uint8Array(SIZE);
  const t0 = cpu();
  const server = (async () => {
    for (let i = 0; i < M; i++) {
      const [s] = await l.accept();
      for (let got = 0; got < SIZE;) got += await s.recv_into(sbuf.subarray(got));
      await s.sendall(sbuf);
      s.close();
    }
  })();
  for (let i = 0; i < M; i++) {
    const c = lib.socket();
    await c.connect(addr);
    await c.sendall(msg);
    for (let got = 0; got < SIZE;) got += await c.recv_into(buf.subarray(got));
    c.close();
  }
  await server;
  const t = cpu() - t0;
  l.close();
  return t;
}

/** N * 16 KiB (64 MiB at 4,000) in 1 MiB writes from raw Deno, read 64 KiB at a time. */
async function bulk(read: (port: number) => Promise<number>): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const writer = (async () => {
    const c = await l.accept();
    const chunk = new Uint8Array(1 << 20);
    for (let sent = 0; sent < N * 16384;) {
      const n = Math.min(chunk.length, N * 16384 - sent);
      for (let off = 0; off < n;) off += await c.write(chunk.subarray(off, n));
      sent += n;
    }
    c.close();
  })();
  const t = await read(port);
  await writer;
  l.close();
  return t;
}

const rawBulk = () =>
  bulk(async (port) => {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(65536);
    const t0 = cpu();
    while ((await c.read(buf)) !== null);
    const t = cpu() - t0;
    c.close();
    return t;
  });

const libBulk = (lib: Lib) =>
  bulk(async (port) => {
    const c = lib.socket();
    await c.connect(["127.0.0.1", port]);
    const buf = new Uint8Array(65536);
    const t0 = cpu();
    while ((await c.recv_into(buf)) !== 0);
    const t = cpu() - t0;
    c.close();
    return t;
  });

async function rawUdp(): Promise<number> {
  const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(65536), sbuf = new Uint8Array(65536);
  const echo = (async () => {
    for (;;) {
      const [d, from] = await b.receive(sbuf);
      await b.send(d, from);
    }
  })();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    await a.send(msg, b.addr);
    await a.receive(buf);
  }
  const t = cpu() - t0;
  a.close();
  b.close();
  await echo.catch(() => {});
  return t;
}

async function libUdp(lib: Lib): Promise<number> {
  const a = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
  a.bind(["127.0.0.1", 0]);
  const b = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
  b.bind(["127.0.0.1", 0]);
  const addr = b.getsockname();
  const msg = new Uint8Array(SIZE), buf = new Uint8Array(65536), sbuf = new Uint8Array(65536);
  const echo = (async () => {
    for (;;) {
      const [n, from] = await b.recvfrom_into(sbuf);
      await b.sendto(sbuf.subarray(0, n), from);
    }
  })();
  const t0 = cpu();
  for (let i = 0; i < N; i++) {
    await a.sendto(msg, addr);
    await a.recvfrom_into(buf);
  }
  const t = cpu() - t0;
  a.close();
  b.close();
  await echo.catch(() => {});
  return t;
}

const work: Record<string, Record<string, () => Promise<number>>> = {
  tcp_rr: {
    raw: () => rawRR(false),
    base: () => libRR(base, false),
    new: () => libRR(next, false),
  },
  tcp_rr_timeout: {
    raw: () => rawRR(true),
    base: () => libRR(base, true),
    new: () => libRR(next, true),
  },
  line_rr: { raw: () => rawRR(false), base: () => libLine(base), new: () => libLine(next) },
  udp_rr: { raw: rawUdp, base: () => libUdp(base), new: () => libUdp(next) },
  tcp_connect: { raw: rawConnect, base: () => libConnect(base), new: () => libConnect(next) },
  tcp_connect_echo: {
    raw: rawConnectEcho,
    base: () => libConnectEcho(base),
    new: () => libConnectEcho(next),
  },
  tcp_bulk: { raw: rawBulk, base: () => libBulk(base), new: () => libBulk(next) },
};
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, impls] of Object.entries(work)) {
  if (ONLY && !ONLY.includes(name)) continue;
  const times: Record<string, number[]> = { raw: [], base: [], new: [] };
  const order = ["raw", "base", "new"];
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 3; k++) {
      const impl = order[(r + k) % 3];
      times[impl].push(await impls[impl]());
    }
  }
  const raw = med(times.raw);
  // per-round paired ratios (same machine moment)
  const pr = (impl: string) => med(times[impl].map((t, i) => t / times.raw[i]));
  console.log(
    `${name.padEnd(15)} raw ${raw.toFixed(0)}ms  A ${med(times.base).toFixed(0)}ms (x${
      pr("base").toFixed(3)
    })  B ${med(times.new).toFixed(0)}ms (x${
      pr("new").toFixed(3)
    })  (CPU time / raw Deno, lower is better)`,
  );
}
