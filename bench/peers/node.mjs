// Benchmark peer: Node's `net` and `dgram`, written as a Node user would
// (event handlers, backpressure through 'drain', no-delay for round trips).
//
//   server <workload> <params-json>         prints "PORT <n>", serves, exits
//   client <workload> <port> <params-json>  prints {"seconds": …}

import net from "node:net";
import dgram from "node:dgram";
import tls from "node:tls";
import fs from "node:fs";
import process from "node:process";
import { Buffer } from "node:buffer";
import { once } from "node:events";

const [role, workload, ...rest] = process.argv.slice(2);

function announce(port) {
  process.stdout.write(`PORT ${port}\n`);
}

/** Resolves with the next `n` bytes a socket's 'data' events deliver. */
function reader(sock) {
  let want = 0;
  let got = 0;
  let wake = null;
  sock.on("data", (d) => {
    got += d.length;
    if (wake && got >= want) {
      const w = wake;
      wake = null;
      got -= want;
      w();
    }
  });
  return (n) =>
    new Promise((resolve, reject) => {
      if (got >= n) {
        got -= n;
        return resolve();
      }
      want = n;
      wake = resolve;
      sock.once("error", reject);
    });
}

function tlsServer(p) {
  const read = (name) => fs.readFileSync(`${p.certs}/${name}`);
  let left = workload === "tls_handshake" ? p.count : 1;
  const srv = tls.createServer({ cert: read("server.pem"), key: read("server.key") }, (conn) => {
    conn.setNoDelay(true);
    conn.on("close", () => {
      if (--left === 0) srv.close();
    });
    conn.on("error", () => {});
    if (workload === "tls_bulk") {
      let got = 0;
      conn.on("data", (d) => {
        got += d.length;
        if (got === p.total) conn.write(Buffer.alloc(1));
      });
    } else if (workload === "tls_handshake") {
      if (p.size) conn.on("data", (d) => conn.end(d));
      else conn.end();
    } else {
      conn.on("data", (d) => conn.write(d));
      conn.on("end", () => conn.end());
    }
  });
  // A client that closes straight after its handshake may end the server's
  // side before 'secureConnection': that connection counts too.
  srv.on("tlsClientError", () => {
    if (--left === 0) srv.close();
  });
  srv.listen(0, "127.0.0.1", 1024, () => announce(srv.address().port));
}

async function tlsClient(port, p) {
  const ca = fs.readFileSync(`${p.certs}/ca.pem`);
  const connect = async () => {
    const sock = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca });
    sock.setNoDelay(true);
    await once(sock, "secureConnect");
    return sock;
  };
  if (workload === "tls_handshake") {
    const msg = Buffer.alloc(1);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count; i++) {
      if (i === 0) t0 = performance.now();
      const sock = await connect();
      if (p.size) {
        const read = reader(sock);
        sock.write(msg);
        await read(1);
      }
      sock.destroy();
    }
    return performance.now() - t0;
  }
  const sock = await connect();
  const read = reader(sock);
  let t0;
  if (workload === "tls_rr") {
    const msg = Buffer.alloc(p.size);
    t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count; i++) {
      if (i === 0) t0 = performance.now();
      sock.write(msg);
      await read(p.size);
    }
  } else {
    const chunk = Buffer.alloc(p.write);
    t0 = performance.now();
    for (let sent = 0; sent < p.total; sent += chunk.length) {
      if (!sock.write(chunk)) await once(sock, "drain");
    }
    await read(1);
  }
  const t = performance.now() - t0;
  sock.destroy();
  return t;
}

function server(p) {
  if (workload.startsWith("tls_")) return tlsServer(p);
  if (workload === "udp_rr") {
    const sock = dgram.createSocket("udp4");
    let left = p.count;
    sock.on("message", (msg, rinfo) => {
      // Close only once the last reply has gone out.
      sock.send(msg, rinfo.port, rinfo.address, () => {
        if (--left === 0) sock.close();
      });
    });
    sock.bind(0, "127.0.0.1", () => announce(sock.address().port));
    return;
  }
  let left = workload === "tcp_connect" ? p.count : workload === "tcp_fanin" ? p.clients : 1;
  const noDelay = workload === "tcp_rr" || workload === "line_rr";
  const srv = net.createServer({ noDelay }, (conn) => {
    conn.on("close", () => {
      if (--left === 0) srv.close();
    });
    if (workload === "tcp_bulk") {
      let got = 0;
      conn.on("data", (d) => got += d.length);
      conn.on("end", () => {
        if (got !== p.total) throw new Error(`got ${got} of ${p.total} bytes`);
        conn.end(Buffer.alloc(1));
      });
    } else if (workload === "tcp_connect") {
      const parts = [];
      let got = 0;
      conn.on("data", (d) => {
        parts.push(d);
        got += d.length;
        if (got >= p.size) conn.end(Buffer.concat(parts));
      });
    } else {
      if (p.timeout != null) conn.setTimeout(p.timeout * 1000, () => conn.destroy());
      conn.on("data", (d) => conn.write(d));
      conn.on("end", () => conn.end());
    }
  });
  srv.listen(0, "127.0.0.1", 4096, () => {
    announce(srv.address().port);
    // clients 0: the idle footprint, nobody to wait for.
    if (left === 0) srv.close();
  });
}

async function client(port, p) {
  if (workload.startsWith("tls_")) return tlsClient(port, p);
  if (workload === "udp_rr") {
    const sock = dgram.createSocket("udp4");
    await new Promise((resolve) => sock.bind(0, "127.0.0.1", resolve));
    const msg = Buffer.alloc(p.size);
    let left = p.count + (p.warm ?? 0);
    let t0 = performance.now();
    await new Promise((resolve) => {
      sock.on("message", () => {
        if (left-- === p.count + 1) t0 = performance.now();
        if (left === 0) return resolve();
        sock.send(msg, port, "127.0.0.1");
      });
      sock.send(msg, port, "127.0.0.1");
    });
    const t = performance.now() - t0;
    sock.close();
    return t;
  }
  const connect = async (options = {}) => {
    const sock = net.connect({ port, host: "127.0.0.1", ...options });
    await once(sock, "connect");
    return sock;
  };
  if (workload === "tcp_bulk") {
    const sock = await connect();
    const chunk = Buffer.alloc(p.write);
    let t0 = performance.now();
    const ack = once(sock, "data");
    for (let sent = -(p.warm ?? 0); sent < p.total; sent += chunk.length) {
      if (sent === 0) t0 = performance.now();
      if (!sock.write(chunk)) await once(sock, "drain");
    }
    sock.end();
    await ack;
    const t = performance.now() - t0;
    sock.destroy();
    return t;
  }
  if (workload === "tcp_rr" || workload === "line_rr") {
    const sock = await connect({ noDelay: true });
    if (p.timeout != null) sock.setTimeout(p.timeout * 1000, () => sock.destroy());
    const read = reader(sock);
    const msg = Buffer.alloc(p.size);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count; i++) {
      if (i === 0) t0 = performance.now();
      sock.write(msg);
      await read(p.size);
    }
    const t = performance.now() - t0;
    sock.end();
    return t;
  }
  if (workload === "tcp_connect") {
    const msg = Buffer.alloc(p.size);
    let t0 = performance.now();
    for (let i = -(p.warm ?? 0); i < p.count; i++) {
      if (i === 0) t0 = performance.now();
      const sock = await connect();
      const read = reader(sock);
      sock.write(msg);
      await read(p.size);
      sock.destroy();
    }
    return performance.now() - t0;
  }
  // tcp_fanin: open every connection (connect and a first echo, at most
  // `connecting` at a time), then all run the other echoes at once, then
  // all close.
  const msg = Buffer.alloc(p.size);
  const readers = new Map();
  const echo = async (sock, times) => {
    const read = readers.get(sock);
    for (let i = 0; i < times; i++) {
      sock.write(msg);
      await read(p.size);
    }
  };
  const t0 = performance.now();
  const socks = new Array(p.clients);
  let next = 0;
  const lane = async () => {
    while (next < p.clients) {
      const i = next++;
      const sock = await connect();
      readers.set(sock, reader(sock));
      await echo(sock, 1);
      socks[i] = sock;
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.connecting ?? 256, p.clients) }, lane));
  await Promise.all(socks.map((sock) => echo(sock, p.echoes - 1)));
  for (const sock of socks) sock.end();
  return performance.now() - t0;
}

// CPU time (user + system, every thread) of the whole role.
const cpu0 = process.cpuUsage();
const cpu = () => {
  const { user, system } = process.cpuUsage(cpu0);
  return (user + system) / 1e6;
};
if (role === "server") {
  process.on("exit", () => process.stdout.write(`CPU ${cpu()}\n`));
  server(JSON.parse(rest[0]));
} else {
  const ms = await client(Number(rest[0]), JSON.parse(rest[1]));
  process.stdout.write(JSON.stringify({ seconds: ms / 1000, cpu: cpu() }) + "\n");
}
