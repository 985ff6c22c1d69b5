/**
 * Benchmark peer: raw Deno (`Deno.listen`, `Deno.connect`,
 * `Deno.listenDatagram`, `Deno.listenTls`/`Deno.startTls`), the fastest
 * code this runtime allows for each workload: one read buffer reused for
 * every read (TCP `read(buf)`, UDP `receive(buf)`), no allocation per call,
 * writes looped until complete, and the same no-delay setting as the
 * library's peer. With `alloc` in the parameters it instead takes a new
 * buffer for every read (`receive()` with no buffer, `read(new
 * Uint8Array(n))`): what a program that keeps every chunk pays.
 *
 *   server <workload> <params-json>         prints "PORT <n>", serves, exits
 *   client <workload> <port> <params-json>  prints {"seconds": …}
 *
 * @module
 */

// The peers run with --no-config (raw Deno must not see the project's
// settings), so the standard library comes by its full specifier.
// deno-lint-ignore no-import-prefix
import { TextLineStream } from "npm:deno-std@1.4.0/streams/text_line_stream.js";
import { heads, response } from "./_http.ts";
import { openAll, readExact, writeAll } from "./_io.ts";
import type { Params } from "./_params.ts";
import process from "node:process";

const [role, workload, ...rest] = Deno.args;

async function echo(conn: Deno.Conn, bufsize: number, alloc = false): Promise<void> {
  let buf = new Uint8Array(bufsize);
  for (;;) {
    if (alloc) buf = new Uint8Array(bufsize);
    const n = await conn.read(buf);
    if (n === null) break;
    await writeAll(conn, buf.subarray(0, n));
  }
  conn.close();
}

let served = 0;
let serveLimit = Infinity;
/** Counts a response; exits once `requests` have been served (for profiling). */
function tally(): void {
  if (++served >= serveLimit) Deno.exit(0);
}

/** One keep-alive HTTP connection: a reused buffer, a response per request head. */
async function httpConn(conn: Deno.Conn, reply: Uint8Array): Promise<void> {
  const buf = new Uint8Array(65536);
  let len = 0;
  try {
    for (;;) {
      const n = await conn.read(len === 0 ? buf : buf.subarray(len));
      if (n === null) break;
      const from = len;
      len += n;
      const [count, used] = heads(buf, from, len);
      for (let k = 0; k < count; k++) {
        await writeAll(conn, reply);
        tally();
      }
      if (used > 0) {
        buf.copyWithin(0, used, len);
        len -= used;
      }
      if (len === buf.length) throw new Error("request head over 64 KiB");
    }
  } catch {
    // The load generator resets connections when it stops.
  } finally {
    conn.close();
  }
}

async function httpServer(p: Params): Promise<void> {
  serveLimit = p.requests ?? Infinity;
  if (p.style === "serve") {
    const body = "x".repeat(p.body!);
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => console.log(`PORT ${port}`),
    }, () => new Response(body, { headers: { "content-type": "text/plain" } }));
    await server.finished;
    return;
  }
  const reply = response(p.body!);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`PORT ${listener.addr.port}`);
  for await (const conn of listener) httpConn(conn, reply);
}

function tlsOptions(p: Params) {
  const read = (name: string) => Deno.readTextFileSync(`${p.certs}/${name}`);
  return { cert: read("server.pem"), key: read("server.key"), ca: read("ca.pem") };
}

/** Deno's fastest TLS client: TCP with no-delay (TlsConn has no setNoDelay), then startTls. */
async function connectTls(port: number, ca: string): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  const conn = await Deno.startTls(tcp, { hostname: "127.0.0.1", caCerts: [ca] });
  await conn.handshake();
  return conn;
}

async function tlsServer(p: Params): Promise<void> {
  const { cert, key } = tlsOptions(p);
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  console.log(`PORT ${listener.addr.port}`);
  if (workload === "tls_rr") {
    const conn = await listener.accept();
    await echo(conn, 65536);
  } else if (workload === "tls_bulk") {
    const conn = await listener.accept();
    const buf = new Uint8Array(65536);
    let got = 0;
    while (got < p.total!) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`got ${got} of ${p.total} bytes`);
      got += n;
    }
    await writeAll(conn, new Uint8Array(1));
    await conn.read(buf).catch(() => null);
    conn.close();
  } else {
    // tls_handshake: the handshake only (size 0), or then a 1-byte echo.
    const buf = new Uint8Array(1);
    for (let i = 0; i < p.count!; i++) {
      const conn = await listener.accept();
      await conn.handshake();
      if (p.size) {
        await readExact(conn, buf);
        await writeAll(conn, buf);
      }
      await conn.read(buf).catch(() => null);
      conn.close();
    }
  }
  listener.close();
}

async function lineServer(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const encoder = new TextEncoder();
  const lines = conn.readable.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TextLineStream(),
  );
  // The readable closes the connection when it ends.
  for await (const line of lines) await writeAll(conn, encoder.encode(line + "\n"));
}

async function server(p: Params): Promise<void> {
  if (workload === "http") return await httpServer(p);
  if (workload.startsWith("tls_")) return await tlsServer(p);
  if (workload === "udp_rr") {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    console.log(`PORT ${(sock.addr as Deno.NetAddr).port}`);
    const buf = new Uint8Array(65536);
    for (let i = 0; i < p.count!; i++) {
      const [data, address] = p.alloc ? await sock.receive() : await sock.receive(buf);
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
      if (p.alloc) buf = new Uint8Array(65536);
      const n = await conn.read(buf);
      if (n === null) break;
      got += n;
    }
    if (got !== p.total) throw new Error(`got ${got} of ${p.total} bytes`);
    await writeAll(conn, new Uint8Array(1));
    conn.close();
  } else if (workload === "tcp_rr") {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    await echo(conn, 65536);
  } else if (workload === "line_rr") {
    await lineServer(await listener.accept());
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
      handlers.push(echo(await listener.accept(), p.bufsize ?? 65536, p.alloc));
    }
    await Promise.all(handlers);
  }
  listener.close();
}

async function tlsClient(port: number, p: Params): Promise<number> {
  const { ca } = tlsOptions(p);
  if (workload === "tls_handshake") {
    const buf = new Uint8Array(1);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      const conn = await connectTls(port, ca);
      if (p.size) {
        await writeAll(conn, buf);
        await readExact(conn, buf);
      }
      conn.close();
    }
    return performance.now() - t0;
  }
  const conn = await connectTls(port, ca);
  let t0: number;
  if (workload === "tls_rr") {
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await writeAll(conn, msg);
      await readExact(conn, buf);
    }
  } else {
    const chunk = new Uint8Array(p.write!);
    t0 = performance.now();
    for (let sent = -(p.warm ?? 0); sent < p.total!; sent += chunk.length) {
      if (sent === 0) t0 = performance.now();
      await writeAll(conn, chunk);
    }
    await readExact(conn, new Uint8Array(1));
  }
  const t = performance.now() - t0;
  conn.close();
  return t;
}

async function lineClient(
  conn: Deno.TcpConn,
  count: number,
  size: number,
  warm = 0,
): Promise<number> {
  conn.setNoDelay(true);
  const line = "x".repeat(size - 1);
  const out = new TextEncoder().encode(line + "\n");
  const lines = conn.readable.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TextLineStream(),
  ).getReader();
  let t0 = performance.now();
  for (let i = -warm; i < count; i++) {
    if (i === 0) t0 = performance.now();
    await writeAll(conn, out);
    const { value } = await lines.read();
    if (value !== line) throw new Error("line_rr: wrong echo");
  }
  const t = performance.now() - t0;
  lines.releaseLock();
  conn.close();
  return t;
}

async function client(port: number, p: Params): Promise<number> {
  if (workload.startsWith("tls_")) return await tlsClient(port, p);
  if (workload === "udp_rr") {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const peer: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(65536);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await sock.send(msg, peer);
      if (p.alloc) await sock.receive();
      else await sock.receive(buf);
    }
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  const address = { hostname: "127.0.0.1", port };
  if (workload === "tcp_bulk") {
    const conn = await Deno.connect(address);
    const chunk = new Uint8Array(p.write!);
    let t0 = performance.now();
    for (let sent = -(p.warm ?? 0); sent < p.total!; sent += chunk.length) {
      if (sent === 0) t0 = performance.now();
      await writeAll(conn, chunk);
    }
    await conn.closeWrite();
    await conn.read(new Uint8Array(1));
    const t = performance.now() - t0;
    conn.close();
    return t;
  }
  if (workload === "line_rr") {
    return lineClient(await Deno.connect(address), p.count!, p.size!, p.warm);
  }
  if (workload === "tcp_rr") {
    const conn = await Deno.connect(address);
    conn.setNoDelay(true);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
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
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      const conn = await Deno.connect(address);
      await writeAll(conn, msg);
      await readExact(conn, buf);
      conn.close();
    }
    return performance.now() - t0;
  }
  // tcp_fanin: open every connection (connect and a first echo), then all
  // run the other echoes at once, then all close.
  const msg = new Uint8Array(p.size!);
  const echo = async (conn: Deno.Conn, times: number) => {
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < times; i++) {
      await writeAll(conn, msg);
      await readExact(conn, buf);
    }
    return conn;
  };
  const t0 = performance.now();
  const conns = await openAll(
    p.clients!,
    p.connecting ?? 256,
    async () => echo(await Deno.connect(address), 1),
  );
  await Promise.all(conns.map((conn) => echo(conn, p.echoes! - 1)));
  for (const conn of conns) conn.close();
  return performance.now() - t0;
}

// CPU time (user + system, every thread) of the whole role: the measure
// that other load on the machine disturbs least.
const cpu0 = process.cpuUsage();
const cpu = () => {
  const { user, system } = process.cpuUsage(cpu0);
  return (user + system) / 1e6;
};
if (role === "server") {
  await server(JSON.parse(rest[0]));
  console.log(`CPU ${cpu()}`);
} else {
  const ms = await client(Number(rest[0]), JSON.parse(rest[1]));
  console.log(JSON.stringify({ seconds: ms / 1000, cpu: cpu() }));
}
