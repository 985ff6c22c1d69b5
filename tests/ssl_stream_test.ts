/**
 * An SSLSocket is a stream socket: STARTTLS on both sides with no plain
 * byte lost, timeouts and non-blocking calls (SSLWantReadError), abort,
 * ragged EOF and close_notify, makefile, select/selectors, socketserver and
 * Unix sockets, against CPython `ssl` peers. Where the two TLS routes
 * differ, each case runs on both (native: a verifying client; node:tls: the
 * same with a version floor).
 */

import {
  BlockingIOError,
  DefaultSelector,
  EVENT_READ,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_WR,
  type Socket,
  socket,
  type SocketAddress,
  StreamRequestHandler,
  TCPServer,
  TimeoutError,
} from "@seed/socket";
import { select } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";
import {
  assert,
  assertEquals,
  assertRejects,
  freshUnixPath,
  text,
  UNIX_PATHS,
  within,
} from "./_util.ts";
import {
  CA,
  clientContext as caContext,
  HAS_PYTHON,
  peer,
  plainListener,
  SERVER_CERT,
  SERVER_KEY,
  serverPeer,
} from "./_ssl_util.ts";

type Route = "native" | "node";
const ROUTES: Route[] = ["native", "node"];

function clientContext(route: Route): ssl.SSLContext {
  const ctx = caContext();
  // A version floor is something only node:tls can do: it takes that route.
  if (route === "node") ctx.minimum_version = ssl.TLSVersion.TLSv1_3;
  return ctx;
}

async function connectTls(
  port: number,
  route: Route,
  options: ssl.WrapOptions = {},
): Promise<ssl.SSLSocket> {
  const sock = socket();
  await sock.connect(["127.0.0.1", port]);
  return await clientContext(route).wrap_socket(sock, { server_hostname: "localhost", ...options });
}

function serverContext(): ssl.SSLContext {
  const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  ctx.load_cert_chain(SERVER_CERT, SERVER_KEY);
  return ctx;
}

Deno.test({
  name: "STARTTLS, client side: plain lines, then the upgrade in place (CPython server)",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      starttls: true,
      steps: [["recv_line", null], ["send", "secret reply\n"]],
    });
    const sock = socket();
    await sock.connect(["127.0.0.1", p.port]);
    const plain = sock.makefile("rb");
    assertEquals(text((await plain.readline())!), "220 ready\n");
    await sock.sendall("STARTTLS\n");
    assertEquals(text((await plain.readline())!), "220 go ahead\n");
    await plain.close();
    assertEquals(await p.next(), { plain: "STARTTLS\n" });
    await using tls = await clientContext("native").wrap_socket(sock, {
      server_hostname: "localhost",
    });
    await tls.sendall("secret line\n");
    assertEquals(await p.next(), { line: "secret line\n" });
    const f = tls.makefile("rb");
    assertEquals(text((await f.readline())!), "secret reply\n");
    await f.close();
  },
});

/** Receives until a newline (the plain lines before STARTTLS), in bounded steps. */
async function plainLine(sock: Socket): Promise<string> {
  let line = "";
  for (let i = 0; i < 100 && !line.endsWith("\n"); i++) {
    const data = await sock.recv(1);
    if (data.length === 0) break;
    line += text(data);
  }
  return line;
}

for (const call of ["recv", "recv_into"] as const) {
  Deno.test({
    name:
      `STARTTLS, client side, a ${call} that timed out still in flight: the upgrade completes, no byte lost either way (CPython server)`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        starttls: true,
        steps: [["recv_line", null], ["send", "secret reply\n"]],
      });
      const sock = socket();
      await sock.connect(["127.0.0.1", p.port]);
      assertEquals(await plainLine(sock), "220 ready\n");
      await sock.sendall("STARTTLS\n");
      assertEquals(await plainLine(sock), "220 go ahead\n");
      assertEquals(await p.next(), { plain: "STARTTLS\n" });
      // The server now waits for the ClientHello: this receive times out and
      // its read stays in flight (Deno cannot cancel it).
      sock.settimeout(0.2);
      await assertRejects(
        call === "recv" ? sock.recv(64) : sock.recv_into(new Uint8Array(64)),
        TimeoutError,
      );
      sock.settimeout(null);
      await using tls = await within(
        clientContext("native").wrap_socket(sock, { server_hostname: "localhost" }),
        10_000,
        "wrap_socket",
      );
      assertEquals(sock.fileno(), -1);
      await tls.sendall("secret line\n");
      assertEquals(await p.next(), { line: "secret line\n" });
      assertEquals(await plainLine(tls), "secret reply\n");
    },
  });
}

Deno.test({
  name:
    "STARTTLS, server side, a recv that timed out still in flight: the ClientHello it gets goes into TLS (CPython client)",
  ignore: !HAS_PYTHON,
  async fn() {
    const { listener, port } = plainListener();
    try {
      await using p = await peer({
        role: "client",
        port,
        ca: CA,
        server_hostname: "localhost",
        starttls: "wait",
        steps: [["send", "over tls\n"], ["recv_line", null]],
      });
      const [conn] = await listener.accept();
      assertEquals(await plainLine(conn), "STARTTLS\n");
      assertEquals(await p.next(), { plain_sent: true });
      conn.settimeout(0.2);
      await assertRejects(conn.recv(64), TimeoutError);
      conn.settimeout(null);
      const wrapping = serverContext().wrap_socket(conn, { server_side: true });
      await p.go(); // the ClientHello now reaches the read in flight
      await using tls = await within(wrapping, 10_000, "wrap_socket");
      assertEquals(await p.next(), { connected: true });
      assertEquals(await plainLine(tls), "over tls\n");
      await tls.sendall("answer\n");
      assertEquals(await p.next(), { line: "answer\n" });
    } finally {
      listener.close();
    }
  },
});

Deno.test({
  name:
    "STARTTLS, server side: TLS bytes that arrived with the plain line go into TLS (CPython client)",
  ignore: !HAS_PYTHON,
  async fn() {
    const { listener, port } = plainListener();
    try {
      await using p = await peer({
        role: "client",
        port,
        ca: CA,
        server_hostname: "localhost",
        starttls: true,
        steps: [["send", "over tls\n"], ["recv_line", null]],
      });
      const [conn] = await listener.accept();
      // Wait until the line and the start of the ClientHello (a TLS record
      // header) have both arrived and sit in the socket's buffer.
      const line = "STARTTLS\n";
      const peeked = await conn.recv(line.length + 5, MSG_PEEK | MSG_WAITALL);
      assertEquals(text(peeked.subarray(0, line.length)), line);
      assertEquals(peeked[line.length], 0x16); // a TLS handshake record
      assertEquals(text(await conn.recv(line.length)), line);
      await using tls = await serverContext().wrap_socket(conn, { server_side: true });
      assertEquals(conn.fileno(), -1);
      assertEquals(await p.next(), { connected: true });
      const f = tls.makefile("rwb");
      assertEquals(text((await f.readline())!), "over tls\n");
      await f.write(new TextEncoder().encode("answer\n"));
      await f.flush();
      assertEquals(await p.next(), { line: "answer\n" });
      await f.close();
    } finally {
      listener.close();
    }
  },
});

for (const route of ROUTES) {
  Deno.test({
    name:
      `[${route}] an idle recv with settimeout(0.3) → TimeoutError; the late bytes come with the next recv`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        steps: [["wait", null], ["send", "late"], ["recv_line", null]],
      });
      await using tls = await connectTls(p.port, route);
      tls.settimeout(0.3);
      const started = performance.now();
      await assertRejects(tls.recv(10), TimeoutError);
      assert(performance.now() - started >= 290);
      await p.go();
      tls.settimeout(5);
      assertEquals(text(await tls.recv(10)), "late");
      await tls.sendall("done\n");
      assertEquals(await p.next(), { line: "done\n" });
    },
  });

  Deno.test({
    name:
      `[${route}] non-blocking recv with nothing decrypted → SSLWantReadError; select then says readable`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        steps: [["wait", null], ["send", "now"], ["recv_line", null]],
      });
      await using tls = await connectTls(p.port, route);
      tls.setblocking(false);
      const err = await assertRejects(tls.recv(10), ssl.SSLWantReadError);
      assertEquals(err.errno, 2);
      assert(err instanceof ssl.SSLError);
      assertEquals(err.message, "The operation did not complete (read) (_ssl.c:2576)");
      const [r0] = await select([tls], [], [], 0);
      assertEquals(r0, []);
      await p.go();
      const [r] = await select([tls], [], [], 5);
      assertEquals(r, [tls]);
      assertEquals(text(await tls.recv(10)), "now");
      await assertRejects(tls.recv(10), ssl.SSLWantReadError);
      tls.setblocking(true);
      await tls.sendall("ok\n");
      assertEquals(await p.next(), { line: "ok\n" });
    },
  });

  Deno.test({
    name:
      `[${route}] an aborted recv loses nothing; DefaultSelector reports the SSLSocket readable`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        steps: [["wait", null], ["send", "kept"], ["recv_line", null]],
      });
      await using tls = await connectTls(p.port, route);
      const controller = new AbortController();
      const pending = tls.recv(10, { signal: controller.signal });
      controller.abort(new Error("stop"));
      await assertRejects(pending, Error, /stop/);
      const selector = new DefaultSelector<string>();
      try {
        selector.register(tls, EVENT_READ, "tls");
        await p.go();
        const events = await selector.select(5);
        assertEquals(events.map(([key, mask]) => [key.data, mask]), [["tls", EVENT_READ]]);
        assertEquals(text(await tls.recv(10)), "kept");
      } finally {
        selector.close();
      }
      await tls.sendall("ok\n");
      assertEquals(await p.next(), { line: "ok\n" });
    },
  });

  Deno.test({
    name:
      `[${route}] close_notify from the peer → empty recv (also with suppress_ragged_eofs false)`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        steps: [["send", "last"], ["unwrap", null]],
      });
      const tls = await connectTls(p.port, route, { suppress_ragged_eofs: false });
      try {
        assertEquals(text(await within(tls.recv(10), 5000, "recv")), "last");
        assertEquals((await within(tls.recv(10), 5000, "recv")).length, 0);
        assertEquals((await tls.recv(10)).length, 0);
        await tls.shutdown(SHUT_WR); // our close_notify, which the peer's unwrap waits for
      } finally {
        tls.close();
      }
      const status = await p.done();
      assert(status.success, status.stderr);
    },
  });

  Deno.test({
    name: `[${route}] makefile readline and write over TLS`,
    ignore: !HAS_PYTHON,
    async fn() {
      await using p = await serverPeer({
        steps: [["send", "one\ntwo\n"], ["recv_line", null]],
      });
      await using tls = await connectTls(p.port, route);
      await using f = tls.makefile("rw");
      assertEquals(await f.readline(), "one\n");
      assertEquals(await f.readline(), "two\n");
      await f.write("three\n");
      await f.flush();
      assertEquals(await p.next(), { line: "three\n" });
    },
  });
}

Deno.test({
  name:
    "a peer's close without close_notify: empty recv with suppress_ragged_eofs, else SSLEOFError",
  ignore: !HAS_PYTHON,
  async fn() {
    for (const suppress of [true, false]) {
      await using p = await serverPeer({
        steps: [["send", "bye"], ["close", null]],
      });
      await using tls = await connectTls(p.port, "native", { suppress_ragged_eofs: suppress });
      assertEquals(text(await tls.recv(10)), "bye");
      if (suppress) {
        assertEquals((await tls.recv(10)).length, 0);
      } else {
        const err = await assertRejects(tls.recv(10), ssl.SSLEOFError);
        assertEquals(err.errno, 8);
        assertEquals(err.message, "EOF occurred in violation of protocol (_ssl.c:2427)");
      }
    }
  },
});

Deno.test({
  name: "socketserver: a TCPServer whose get_request wraps serves a CPython client",
  ignore: !HAS_PYTHON,
  async fn() {
    const ctx = serverContext();
    class Shout extends StreamRequestHandler {
      override async handle(): Promise<void> {
        const line = await this.rfile.readline();
        await this.wfile.write(new TextEncoder().encode(text(line!).toUpperCase()));
      }
    }
    class TLSServer extends TCPServer {
      override async get_request(): Promise<[Socket, SocketAddress]> {
        const [sock, address] = await this.socket.accept();
        return [await ctx.wrap_socket(sock, { server_side: true }), address];
      }
    }
    await using server = new TLSServer(["127.0.0.1", 0], Shout);
    const port = (server.server_address as [string, number])[1];
    await using p = await peer({
      role: "client",
      port,
      ca: CA,
      server_hostname: "localhost",
      steps: [["send", "hello tls\n"], ["recv_line", null]],
    });
    await server.handle_request();
    assertEquals(await p.next(), { connected: true });
    assertEquals(await p.next(), { line: "HELLO TLS\n" });
  },
});

Deno.test("TLS over a Unix socket (node:tls), both ends this library", async () => {
  const path = await freshUnixPath(UNIX_PATHS[5]);
  const plain = socket(1 /* AF_UNIX */);
  plain.bind(path);
  plain.listen();
  await using server = await serverContext().wrap_socket(plain, { server_side: true });
  const accepting = server.accept();
  const client = socket(1);
  await client.connect(path);
  const ctx = caContext();
  const [tls, [conn]] = await Promise.all([
    ctx.wrap_socket(client, { server_hostname: "localhost" }),
    accepting,
  ]);
  try {
    assertEquals(tls.version(), "TLSv1.3");
    await tls.sendall("over unix");
    assertEquals(text(await conn.recv(64)), "over unix");
  } finally {
    tls.close();
    conn.close();
  }
  await Deno.remove(path).catch(() => {});
});

Deno.test({
  name: "non-blocking connect of an SSLSocket, then CPython's do_handshake loop with select",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      steps: [["recv_line", null]],
    });
    const ctx = clientContext("native");
    await using tls = await ctx.wrap_socket(socket(), { server_hostname: "localhost" });
    tls.setblocking(false);
    await assertRejects(tls.connect(["127.0.0.1", p.port]), BlockingIOError);
    const [, w] = await select([], [tls], [], 5);
    assertEquals(w, [tls]);
    let rounds = 0;
    for (;; rounds++) {
      assert(rounds < 50, "handshake did not finish");
      try {
        if (rounds === 0) await tls.connect(["127.0.0.1", p.port]);
        else await tls.do_handshake();
        break;
      } catch (e) {
        if (!(e instanceof ssl.SSLWantReadError)) throw e;
        // Ready once the handshake can go on (the server sends nothing else).
        const [r] = await select([tls], [], [], 5);
        assertEquals(r, [tls]);
      }
    }
    assert(rounds >= 1, "the handshake never asked to wait"); // it needs a round trip
    assertEquals(tls.getpeercert()!.subject[2], [["commonName", "localhost"]]);
    tls.setblocking(true);
    await tls.sendall("done\n");
    assertEquals(await p.next(), { line: "done\n" });
  },
});
