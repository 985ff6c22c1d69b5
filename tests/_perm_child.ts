/**
 * Run by `permissions_test.ts` under `deno run` with chosen permissions.
 * Each argument is one operation, `kind:host:port` (or `unix:path`,
 * `listen`, `gethostname`, `socketpair`, `getaddrinfo:host:service`, a
 * name-service call with its argument such as `gethostbyname:localhost`,
 * `load_cert_chain:certfile:keyfile`); for each it prints one JSON line:
 * `{ op, ok }` or `{ op, ok: false, name, errno, message }`. It imports the
 * library by relative path, so it runs with `--no-config`.
 *
 * @module
 */

import * as lib from "../mod.ts";
import * as ssl from "../ssl.ts";

async function run(op: string): Promise<void> {
  const [kind, ...rest] = op.split(":");
  const port = Number(rest.at(-1));
  const host = rest.slice(0, -1).join(":");
  switch (kind) {
    case "connect": {
      // A TCP client: connect, send, close.
      using sock = lib.socket(host.includes(":") ? lib.AF_INET6 : lib.AF_INET);
      sock.settimeout(5);
      await sock.connect([host, port]);
      await sock.sendall("ping");
      return;
    }
    case "bind": {
      // A TCP server: bind and listen.
      using sock = lib.socket(host.includes(":") ? lib.AF_INET6 : lib.AF_INET);
      sock.bind([host, port]);
      sock.listen();
      return;
    }
    case "unix": {
      const path = rest.join(":");
      using sock = lib.socket(lib.AF_UNIX);
      sock.bind(path);
      sock.listen();
      return;
    }
    case "udp-sendto": {
      // A UDP client: sendto binds implicitly, then a reply-less send.
      using sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      await sock.sendto("ping", [host, port]);
      return;
    }
    case "listen": {
      // listen() with no bind() first binds the wildcard, as Linux does.
      using sock = lib.socket();
      sock.listen();
      return;
    }
    case "connect_ex": {
      using sock = lib.socket(host.includes(":") ? lib.AF_INET6 : lib.AF_INET);
      sock.settimeout(5);
      const code = await sock.connect_ex([host, port]);
      if (code !== 0) throw new lib.OSError(code, `connect_ex returned ${code}`);
      return;
    }
    case "create_connection": {
      (await lib.create_connection([host, port], 5)).close();
      return;
    }
    case "create_server": {
      lib.create_server([host, port]).close();
      return;
    }
    case "stream-calls": {
      // Once connected, every other call of a client needs nothing more.
      using sock = lib.socket();
      sock.settimeout(5);
      await sock.connect([host, port]);
      sock.setsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY, 1);
      sock.getsockopt(lib.SOL_SOCKET, lib.SO_KEEPALIVE);
      sock.getsockname();
      sock.getpeername();
      await sock.send("a");
      await sock.sendall("b");
      await sock.shutdown(lib.SHUT_WR);
      await sock.recv(1, lib.MSG_PEEK);
      await sock.recv_into(new Uint8Array(1));
      await sock.recv(1);
      return;
    }
    case "accept": {
      // A server on host:port, a client of its own on the same grant: the
      // accept and the accepted socket's calls need nothing more.
      using server = lib.socket();
      server.settimeout(5);
      server.bind([host, port]);
      server.listen();
      using client = lib.socket();
      client.settimeout(5);
      await client.connect([host, port]);
      const [conn] = await server.accept();
      using _conn = conn;
      await client.sendall("ping");
      await conn.sendall(await conn.recv(4));
      await conn.shutdown(lib.SHUT_RDWR);
      await client.recv(4);
      return;
    }
    case "unix-connect": {
      const path = rest.join(":");
      using sock = lib.socket(lib.AF_UNIX);
      sock.settimeout(5);
      await sock.connect(path);
      return;
    }
    case "unix-pair": {
      // A Unix server and its client in one process: the same three grants.
      const path = rest.join(":");
      using server = lib.socket(lib.AF_UNIX);
      server.settimeout(5);
      server.bind(path);
      server.listen();
      using client = lib.socket(lib.AF_UNIX);
      client.settimeout(5);
      await client.connect(path);
      const [conn] = await server.accept();
      using _conn = conn;
      await client.sendall("ping");
      await conn.recv(4);
      return;
    }
    case "udp-sendto-bound": {
      // A bound socket sending to host:port, as a server replying to a client.
      using sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      sock.bind([host, 0]);
      await sock.sendto("ping", [host, port]);
      return;
    }
    case "udp-reply": {
      // A server on host:port receives from a client on an ephemeral port
      // and replies to the address recvfrom gave.
      using server = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      server.settimeout(5);
      server.bind([host, port]);
      using client = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      client.settimeout(5);
      await client.sendto("ping", [host, port]);
      const [data, address] = await server.recvfrom(16);
      await server.sendto(data, address);
      await client.recvfrom(16);
      return;
    }
    case "getaddrinfo": {
      await lib.getaddrinfo(host, /^\d+$/.test(rest.at(-1)!) ? port : rest.at(-1)!);
      return;
    }
    case "gethostname": {
      lib.gethostname();
      return;
    }
    case "socketpair": {
      const [a, b] = await lib.socketpair();
      a.close();
      b.close();
      return;
    }
    case "udp-socket": {
      // Creating a datagram socket needs Deno's unstable net API, no permission.
      lib.socket(lib.AF_INET, lib.SOCK_DGRAM).close();
      return;
    }
    case "gethostbyname": {
      await lib.gethostbyname(rest.join(":"));
      return;
    }
    case "gethostbyname_ex": {
      await lib.gethostbyname_ex(rest.join(":"));
      return;
    }
    case "gethostbyaddr": {
      await lib.gethostbyaddr(rest.join(":"));
      return;
    }
    case "getnameinfo": {
      await lib.getnameinfo([host, port], 0);
      return;
    }
    case "getfqdn": {
      // `getfqdn` alone asks about the local host; `getfqdn:name` about name.
      await lib.getfqdn(rest.join(":"));
      return;
    }
    case "getservbyname": {
      lib.getservbyname(rest.join(":"));
      return;
    }
    case "load_cert_chain": {
      // The key file is the last field: paths here hold no colon.
      new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(host, rest.at(-1));
      return;
    }
    case "load_verify_locations": {
      new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(rest.join(":"));
      return;
    }
    case "exists": {
      // Whether a system file is there, for rows whose outcome depends on it.
      await Deno.stat(rest.join(":"));
      return;
    }
    case "udp-bind": {
      using sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      sock.bind([host, port]);
      return;
    }
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

for (const op of Deno.args) {
  try {
    await run(op);
    console.log(JSON.stringify({ op, ok: true }));
  } catch (e) {
    const error = e as lib.OSError;
    console.log(JSON.stringify({
      op,
      ok: false,
      name: error.name,
      errno: error.errno ?? null,
      message: error.message,
    }));
  }
}
