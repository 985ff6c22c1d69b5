/**
 * Benchmark peer: raw Deno (`Deno.listen`, `Deno.connect`,
 * `Deno.listenDatagram`), written as a skilled Deno user would: one reused
 * read buffer per connection (a new one per read where the row reads with
 * `recv`, whose job is to hand out fresh bytes), writes looped until
 * complete, no-delay set for round trips. The limit this runtime allows.
 *
 *   server <workload> <params-json>         prints "PORT <n>", serves, exits
 *   client <workload> <port> <params-json>  prints {"seconds": …}
 *
 * @module
 */

import { readExact, writeAll } from "./_io.ts";
import type { Params } from "./_params.ts";

const [role, workload, ...rest] = Deno.args;

async function echo(conn: Deno.Conn, bufsize: number, fresh = false): Promise<void> {
  let buf = new Uint8Array(bufsize);
  for (;;) {
    // `fresh`: the job of Python's recv(), a new buffer for every read.
    if (fresh) buf = new Uint8Array(bufsize);
    const n = await conn.read(buf);
    if (n === null) break;
    await writeAll(conn, buf.subarray(0, n));
  }
  conn.close();
}

async function server(p: Params): Promise<void> {
  if (workload === "udp_rr") {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    console.log(`PORT ${(sock.addr as Deno.NetAddr).port}`);
    for (let i = 0; i < p.count!; i++) {
      const [data, address] = await sock.receive();
      await sock.send(data, address);
    }
    sock.close();
    return;
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`PORT ${listener.addr.port}`);
  if (workload === "tcp_bulk") {
    const conn = await listener.accept();
    let buf = new Uint8Array(65536);
    let got = 0;
    for (;;) {
      // read "recv": the job of Python's recv(65536), a new buffer per read
      // (what a Deno program that keeps each chunk must do).
      if (p.read === "recv") buf = new Uint8Array(65536);
      const n = await conn.read(buf);
      if (n === null) break;
      got += n;
    }
    if (got !== p.total) throw new Error(`got ${got} of ${p.total} bytes`);
    await writeAll(conn, new Uint8Array(1));
    conn.close();
  } else if (workload === "tcp_rr" || workload === "line_rr") {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    await echo(conn, 65536);
  } else if (workload === "tcp_connect") {
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < p.count!; i++) {
      const conn = await listener.accept();
      await readExact(conn, buf);
      await writeAll(conn, buf);
      conn.close();
    }
  } else if (workload === "tcp_fanin") {
    const handlers: Promise<void>[] = [];
    for (let i = 0; i < p.clients!; i++) {
      handlers.push(echo(await listener.accept(), p.bufsize ?? 65536, p.read === "recv"));
    }
    await Promise.all(handlers);
  }
  listener.close();
}

async function client(port: number, p: Params): Promise<number> {
  if (workload === "udp_rr") {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const peer: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    const msg = new Uint8Array(p.size!);
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
      await sock.send(msg, peer);
      await sock.receive();
    }
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  const address = { hostname: "127.0.0.1", port };
  if (workload === "tcp_bulk") {
    const conn = await Deno.connect(address);
    const chunk = new Uint8Array(p.write!);
    const t0 = performance.now();
    for (let sent = 0; sent < p.total!; sent += chunk.length) await writeAll(conn, chunk);
    await conn.closeWrite();
    await conn.read(new Uint8Array(1));
    const t = performance.now() - t0;
    conn.close();
    return t;
  }
  if (workload === "tcp_rr" || workload === "line_rr") {
    const conn = await Deno.connect(address);
    conn.setNoDelay(true);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
      await writeAll(conn, msg);
      await readExact(conn, buf);
    }
    const t = performance.now() - t0;
    conn.close();
    return t;
  }
  if (workload === "tcp_connect") {
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
      const conn = await Deno.connect(address);
      await writeAll(conn, msg);
      await readExact(conn, buf);
      conn.close();
    }
    return performance.now() - t0;
  }
  // tcp_fanin
  const one = async () => {
    const conn = await Deno.connect(address);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < p.echoes!; i++) {
      await writeAll(conn, msg);
      await readExact(conn, buf);
    }
    conn.close();
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: p.clients! }, one));
  return performance.now() - t0;
}

if (role === "server") {
  await server(JSON.parse(rest[0]));
} else {
  const ms = await client(Number(rest[0]), JSON.parse(rest[1]));
  console.log(JSON.stringify({ seconds: ms / 1000 }));
}
