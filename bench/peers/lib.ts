/**
 * Benchmark peer: this library (`@seed/socket`), written as a Python
 * programmer would port a `socket` script (reads into one reused buffer
 * with `recv_into`/`recvfrom_into` where the row says so, as the fast
 * Python idiom).
 *
 *   server <workload> <params-json>         prints "PORT <n>", serves, exits
 *   client <workload> <port> <params-json>  prints {"seconds": …}
 *
 * The TLS workloads load `../../ssl.ts` at run time; while it does not exist
 * the peer prints "SKIP <why>" and exits with status 3.
 *
 * @module
 */

import {
  AF_INET,
  IPPROTO_TCP,
  SHUT_WR,
  SOCK_DGRAM,
  type Socket,
  socket,
  StreamRequestHandler,
  TCP_NODELAY,
  TCPServer,
} from "../../mod.ts";
import { heads, response } from "./_http.ts";
import { openAll, recvExact } from "./_io.ts";
import type { Params } from "./_params.ts";
import process from "node:process";

const datagram = () => socket(AF_INET, SOCK_DGRAM);

const [role, workload, ...rest] = Deno.args;

function listening(): Socket {
  const srv = socket();
  srv.bind(["127.0.0.1", 0]);
  srv.listen(4096);
  console.log(`PORT ${(srv.getsockname() as [string, number])[1]}`);
  return srv;
}

async function echo(conn: Socket, p: Params): Promise<void> {
  if (p.read === "recv") {
    for (;;) {
      const data = await conn.recv(p.bufsize ?? 65536);
      if (data.length === 0) break;
      await conn.sendall(data);
    }
  } else {
    const buf = new Uint8Array(p.bufsize ?? 65536);
    for (;;) {
      const n = await conn.recv_into(buf);
      if (n === 0) break;
      await conn.sendall(buf.subarray(0, n));
    }
  }
  conn.close();
}

// ---- HTTP: the same keep-alive server written three ways --------------------

let served = 0;
let serveLimit = Infinity;
/** Counts a response; exits once `requests` have been served (for profiling). */
function tally(): void {
  if (++served >= serveLimit) Deno.exit(0);
}

/** An accept loop, `recv_into` one buffer per connection. */
async function httpLoopConn(conn: Socket, reply: Uint8Array): Promise<void> {
  const buf = new Uint8Array(65536);
  let len = 0;
  try {
    for (;;) {
      const n = len === 0
        ? await conn.recv_into(buf)
        : await conn.recv_into(buf.subarray(len), buf.length - len);
      if (n === 0) break;
      const from = len;
      len += n;
      const [count, used] = heads(buf, from, len);
      for (let k = 0; k < count; k++) {
        await conn.sendall(reply);
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

/** `makefile("rb")` and `readline()` up to the blank line, `sendall` the reply. */
async function httpMakefileConn(conn: Socket, reply: Uint8Array): Promise<void> {
  const rfile = conn.makefile("rb");
  try {
    for (;;) {
      let line: Uint8Array;
      while ((line = await rfile.readline()).length > 2);
      if (line.length === 0) break;
      await conn.sendall(reply);
      tally();
    }
  } catch {
    // The load generator resets connections when it stops.
  } finally {
    await rfile.close();
    conn.close();
  }
}

async function httpServer(p: Params): Promise<void> {
  const reply = response(p.body!);
  serveLimit = p.requests ?? Infinity;
  if (p.style === "socketserver") {
    class Handler extends StreamRequestHandler {
      override async handle() {
        for (;;) {
          let line: Uint8Array;
          while ((line = await this.rfile.readline()).length > 2);
          if (line.length === 0) return;
          await this.wfile.write(reply);
          tally();
        }
      }
    }
    class Server extends TCPServer {
      static override request_queue_size = 128;
      static override allow_reuse_address = true;
      // The load generator resets connections when it stops: not worth a trace.
      override handle_error(): void {}
    }
    const server = new Server(["127.0.0.1", 0], Handler);
    console.log(`PORT ${(server.server_address as [string, number])[1]}`);
    await server.serve_forever();
    return;
  }
  const srv = listening();
  const handle = p.style === "makefile" ? httpMakefileConn : httpLoopConn;
  for (;;) {
    const [conn] = await srv.accept();
    handle(conn, reply);
  }
}

// ---- TLS: through @seed/socket/ssl once it exists ---------------------------

/** The part of `@seed/socket/ssl` (API.md) these workloads use. */
interface SslModule {
  PROTOCOL_TLS_SERVER: number;
  Purpose: { SERVER_AUTH: unknown };
  SSLContext: new (protocol: number) => {
    load_cert_chain(certfile: string, keyfile?: string): unknown;
    wrap_socket(sock: Socket, options?: Record<string, unknown>): Promise<Socket>;
  };
  create_default_context(purpose?: unknown, options?: { cafile?: string }): {
    wrap_socket(sock: Socket, options?: Record<string, unknown>): Promise<Socket>;
  };
}

async function loadSsl(): Promise<SslModule> {
  const url = new URL("../../ssl.ts", import.meta.url);
  try {
    return await import(url.href) as SslModule;
  } catch (e) {
    console.log(`SKIP @seed/socket/ssl not available (${(e as Error).message.split("\n")[0]})`);
    Deno.exit(3);
  }
}

async function tlsServer(p: Params): Promise<void> {
  const ssl = await loadSsl();
  const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  await ctx.load_cert_chain(`${p.certs}/server.pem`, `${p.certs}/server.key`);
  // The listening socket wrapped, as Python's TLS server recipe: its
  // accept() gives handshaken SSLSockets (Deno's own TLS listener here).
  // Or each accepted socket wrapped, with TCP_NODELAY first, which
  // Deno.listenTls connections cannot have (node:tls over the socket).
  const plain = listening();
  const srv = p.style === "accepted" ? plain : await ctx.wrap_socket(plain, { server_side: true });
  const accept = async () => {
    const [conn] = await srv.accept();
    if (p.style !== "accepted") return conn;
    conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    return await ctx.wrap_socket(conn, { server_side: true });
  };
  if (workload === "tls_rr") {
    await echo(await accept(), { read: "recv_into" });
  } else if (workload === "tls_bulk") {
    const conn = await accept();
    const buf = new Uint8Array(65536);
    let got = 0;
    while (got < p.total!) {
      const n = await conn.recv_into(buf);
      if (n === 0) throw new Error(`got ${got} of ${p.total} bytes`);
      got += n;
    }
    await conn.sendall(new Uint8Array(1));
    await conn.recv_into(buf).catch(() => 0);
    conn.close();
  } else {
    const buf = new Uint8Array(1);
    for (let i = 0; i < p.count!; i++) {
      const conn = await accept();
      if (p.size) {
        await recvExact(conn, buf);
        await conn.sendall(buf);
      }
      await conn.recv_into(buf).catch(() => 0);
      conn.close();
    }
  }
  srv.close();
}

async function tlsClient(port: number, p: Params): Promise<number> {
  const ssl = await loadSsl();
  const ctx = await ssl.create_default_context(ssl.Purpose.SERVER_AUTH, {
    cafile: `${p.certs}/ca.pem`,
  });
  const connect = async () => {
    const sock = socket();
    await sock.connect(["127.0.0.1", port]);
    sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    return await ctx.wrap_socket(sock, { server_hostname: "localhost" });
  };
  if (workload === "tls_handshake") {
    const buf = new Uint8Array(1);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      const sock = await connect();
      if (p.size) {
        await sock.sendall(buf);
        await recvExact(sock, buf);
      }
      sock.close();
    }
    return performance.now() - t0;
  }
  const sock = await connect();
  let t0: number;
  if (workload === "tls_rr") {
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await sock.sendall(msg);
      await recvExact(sock, buf);
    }
  } else {
    const chunk = new Uint8Array(p.write!);
    t0 = performance.now();
    for (let sent = -(p.warm ?? 0); sent < p.total!; sent += chunk.length) {
      if (sent === 0) t0 = performance.now();
      await sock.sendall(chunk);
    }
    await recvExact(sock, new Uint8Array(1));
  }
  const t = performance.now() - t0;
  sock.close();
  return t;
}

// ---- the socket workloads ---------------------------------------------------

async function server(p: Params): Promise<void> {
  if (workload === "http") return await httpServer(p);
  if (workload.startsWith("tls_")) return await tlsServer(p);
  if (workload === "udp_rr") {
    const sock = datagram();
    sock.bind(["127.0.0.1", 0]);
    console.log(`PORT ${(sock.getsockname() as [string, number])[1]}`);
    const buf = new Uint8Array(65536);
    for (let i = 0; i < p.count!; i++) {
      const [n, address] = await sock.recvfrom_into(buf);
      await sock.sendto(buf.subarray(0, n), address);
    }
    sock.close();
    return;
  }
  const srv = listening();
  if (workload === "tcp_bulk") {
    const [conn] = await srv.accept();
    let got = 0;
    if (p.read === "recv_into") {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.recv_into(buf);
        if (n === 0) break;
        got += n;
      }
    } else {
      for (;;) {
        const data = await conn.recv(65536);
        if (data.length === 0) break;
        got += data.length;
      }
    }
    if (got !== p.total) throw new Error(`got ${got} of ${p.total} bytes`);
    await conn.sendall(new Uint8Array(1));
    conn.close();
  } else if (workload === "tcp_rr") {
    const [conn] = await srv.accept();
    conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    if (p.timeout != null) conn.settimeout(p.timeout);
    await echo(conn, { read: "recv_into" });
  } else if (workload === "line_rr") {
    const [conn] = await srv.accept();
    conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    const f = conn.makefile("rw");
    for (;;) {
      const line = await f.readline();
      if (!line) break;
      await f.write(line);
      await f.flush();
    }
    await f.close();
    conn.close();
  } else if (workload === "tcp_connect") {
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < p.count!; i++) {
      const [conn] = await srv.accept();
      await recvExact(conn, buf);
      await conn.sendall(buf);
      conn.close();
    }
  } else if (workload === "tcp_fanin") {
    const handlers: Promise<void>[] = [];
    for (let i = 0; i < p.clients!; i++) {
      const [conn] = await srv.accept();
      handlers.push(echo(conn, p));
    }
    await Promise.all(handlers);
  }
  srv.close();
}

async function client(port: number, p: Params): Promise<number> {
  if (workload.startsWith("tls_")) return await tlsClient(port, p);
  const address: [string, number] = ["127.0.0.1", port];
  if (workload === "udp_rr") {
    const sock = datagram();
    sock.bind(["127.0.0.1", 0]);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(65536);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await sock.sendto(msg, address);
      await sock.recvfrom_into(buf);
    }
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  if (workload === "tcp_bulk") {
    const sock = socket();
    await sock.connect(address);
    const chunk = new Uint8Array(p.write!);
    let t0 = performance.now();
    for (let sent = -(p.warm ?? 0); sent < p.total!; sent += chunk.length) {
      if (sent === 0) t0 = performance.now();
      await sock.sendall(chunk);
    }
    await sock.shutdown(SHUT_WR);
    await sock.recv(1);
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  if (workload === "tcp_rr") {
    const sock = socket();
    await sock.connect(address);
    sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    if (p.timeout != null) sock.settimeout(p.timeout);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await sock.sendall(msg);
      await recvExact(sock, buf);
    }
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  if (workload === "line_rr") {
    const sock = socket();
    await sock.connect(address);
    sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    const f = sock.makefile("rw");
    const line = "x".repeat(p.size! - 1) + "\n";
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      await f.write(line);
      await f.flush();
      if (await f.readline() !== line) throw new Error("line_rr: wrong echo");
    }
    const t = performance.now() - t0;
    await f.close();
    sock.close();
    return t;
  }
  if (workload === "tcp_connect") {
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count!; i++) {
      if (i === 0) t0 = performance.now();
      const sock = socket();
      await sock.connect(address);
      await sock.sendall(msg);
      await recvExact(sock, buf);
      sock.close();
    }
    return performance.now() - t0;
  }
  // tcp_fanin: open every connection (connect and a first echo), then all
  // run the other echoes at once, then all close.
  const msg = new Uint8Array(p.size!);
  const echo = async (sock: Socket, times: number) => {
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < times; i++) {
      await sock.sendall(msg);
      await recvExact(sock, buf);
    }
    return sock;
  };
  const t0 = performance.now();
  const socks = await openAll(p.clients!, p.connecting ?? 256, async () => {
    const sock = socket();
    await sock.connect(address);
    return echo(sock, 1);
  });
  await Promise.all(socks.map((sock) => echo(sock, p.echoes! - 1)));
  for (const sock of socks) sock.close();
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
