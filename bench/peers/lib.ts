/**
 * Benchmark peer: this library (`@seed/socket`), written as a Python
 * programmer would port a `socket` script.
 *
 *   server <workload> <params-json>         prints "PORT <n>", serves, exits
 *   client <workload> <port> <params-json>  prints {"seconds": …}
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
  TCP_NODELAY,
} from "../../mod.ts";
import { recvExact } from "./_io.ts";
import type { Params } from "./_params.ts";

const datagram = () => socket(AF_INET, SOCK_DGRAM);

const [role, workload, ...rest] = Deno.args;

function listening(): Socket {
  const srv = socket();
  srv.bind(["127.0.0.1", 0]);
  srv.listen(1024);
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

async function server(p: Params): Promise<void> {
  if (workload === "udp_rr") {
    const sock = datagram();
    sock.bind(["127.0.0.1", 0]);
    console.log(`PORT ${(sock.getsockname() as [string, number])[1]}`);
    for (let i = 0; i < p.count!; i++) {
      const [data, address] = await sock.recvfrom(65536);
      await sock.sendto(data, address);
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
  const address: [string, number] = ["127.0.0.1", port];
  if (workload === "udp_rr") {
    const sock = datagram();
    sock.bind(["127.0.0.1", 0]);
    const msg = new Uint8Array(p.size!);
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
      await sock.sendto(msg, address);
      await sock.recvfrom(65536);
    }
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  if (workload === "tcp_bulk") {
    const sock = socket();
    await sock.connect(address);
    const chunk = new Uint8Array(p.write!);
    const t0 = performance.now();
    for (let sent = 0; sent < p.total!; sent += chunk.length) await sock.sendall(chunk);
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
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
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
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
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
    const t0 = performance.now();
    for (let i = 0; i < p.count!; i++) {
      const sock = socket();
      await sock.connect(address);
      await sock.sendall(msg);
      await recvExact(sock, buf);
      sock.close();
    }
    return performance.now() - t0;
  }
  // tcp_fanin
  const one = async () => {
    const sock = socket();
    await sock.connect(address);
    const msg = new Uint8Array(p.size!);
    const buf = new Uint8Array(p.size!);
    for (let i = 0; i < p.echoes!; i++) {
      await sock.sendall(msg);
      await recvExact(sock, buf);
    }
    sock.close();
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
