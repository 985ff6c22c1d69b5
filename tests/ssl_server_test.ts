/**
 * TLS servers of this library (a listening socket wrapped with
 * `server_side: true`) against CPython `ssl` clients: accept gives a
 * handshaken SSLSocket, a failed handshake rejects only that accept, and
 * CERT_REQUIRED asks for and checks client certificates.
 */

import {
  AF_INET6,
  BlockingIOError,
  OSError,
  select,
  type Socket,
  socket,
  TimeoutError,
} from "@seed/socket";
import * as ssl from "@seed/socket/ssl";
import { assert, assertEquals, assertRejects, concat, python, text, within } from "./_util.ts";
import {
  acceptedPair,
  CA,
  CERTS,
  CLIENT_CERT,
  CLIENT_KEY,
  clientContext,
  HAS_PYTHON,
  pattern,
  peer,
  SERVER_CERT,
  SERVER_KEY,
  sha256hex,
} from "./_ssl_util.ts";

function serverContext(): ssl.SSLContext {
  const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  ctx.load_cert_chain(SERVER_CERT, SERVER_KEY);
  return ctx;
}

async function tlsListener(ctx: ssl.SSLContext): Promise<{ server: ssl.SSLSocket; port: number }> {
  const plain = socket();
  plain.bind(["127.0.0.1", 0]);
  plain.listen();
  const server = await ctx.wrap_socket(plain, { server_side: true });
  return { server, port: (server.getsockname() as [string, number])[1] };
}

async function recvExactly(sock: Socket, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await sock.recv_into(out.subarray(got));
    if (n === 0) break;
    got += n;
  }
  return out.subarray(0, got);
}

Deno.test({
  name: "server: accept gives a handshaken SSLSocket; 1 MiB each way with a CPython client",
  ignore: !HAS_PYTHON,
  async fn() {
    const ctx = serverContext();
    ctx.set_alpn_protocols(["x-test"]);
    const { server, port } = await tlsListener(ctx);
    try {
      await using p = await peer({
        role: "client",
        port,
        ca: CA,
        server_hostname: "localhost",
        alpn: ["x-test"],
        steps: [["report", null], ["send_n", 1 << 20], ["recv_n", 1 << 20]],
      });
      const [conn, address] = await server.accept();
      try {
        assert(conn instanceof ssl.SSLSocket && conn.server_side);
        assertEquals(address[0], "127.0.0.1");
        assertEquals(await p.next(), { connected: true });
        const report = await p.next();
        assertEquals(conn.version(), report.version);
        assertEquals(conn.cipher(), report.cipher as [string, string, number]);
        assertEquals(conn.selected_alpn_protocol(), "x-test");
        assertEquals(conn.getpeercert(), null); // no client certificate asked for
        const expected = JSON.parse(
          await python(
            "import ssl, json, sys; print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1])))",
            SERVER_CERT,
          ),
        );
        assertEquals(report.peercert, expected);
        const data = pattern(1 << 20);
        assertEquals(await sha256hex(await recvExactly(conn, 1 << 20)), await sha256hex(data));
        await conn.sendall(data);
        assertEquals(await p.next(), { recv: 1 << 20, sha256: await sha256hex(data) });
      } finally {
        conn.close();
      }
    } finally {
      server.close();
    }
  },
});

Deno.test({
  name:
    "server: a client whose handshake fails makes only that accept reject; the listener goes on",
  ignore: !HAS_PYTHON,
  async fn() {
    const { server, port } = await tlsListener(serverContext());
    try {
      {
        // A CPython client that does not trust the test CA aborts the handshake.
        await using bad = await peer({ role: "client", port, server_hostname: "localhost" });
        await assertRejects(server.accept(), ssl.SSLError);
        assertEquals((await bad.next()).error, "SSLCertVerificationError");
      }
      {
        // A plaintext client.
        const plain = socket();
        await plain.connect(["127.0.0.1", port]);
        await plain.sendall("GET / HTTP/1.0\r\n\r\n");
        await assertRejects(server.accept(), ssl.SSLError);
        plain.close();
      }
      await using _good = await peer({
        role: "client",
        port,
        ca: CA,
        server_hostname: "localhost",
        steps: [["send", "still here"]],
      });
      const [conn] = await server.accept();
      assertEquals(text(await recvExactly(conn, 10)), "still here");
      conn.close();
    } finally {
      server.close();
    }
  },
});

Deno.test({
  name:
    "server: CERT_REQUIRED + load_verify_locations accepts a client with a certificate, refuses one without",
  ignore: !HAS_PYTHON,
  async fn() {
    const ctx = serverContext();
    ctx.verify_mode = ssl.CERT_REQUIRED;
    ctx.load_verify_locations(CA);
    const { server, port } = await tlsListener(ctx);
    try {
      {
        await using withCert = await peer({
          role: "client",
          port,
          ca: CA,
          cert: CLIENT_CERT,
          key: CLIENT_KEY,
          server_hostname: "localhost",
          steps: [["send", "hello"]],
        });
        const [conn] = await server.accept();
        const cert = conn.getpeercert()!;
        assertEquals(cert.subject[2], [["commonName", "test client"]]);
        assertEquals(cert.subjectAltName, [["email", "client@example.com"]]);
        assertEquals(text(await recvExactly(conn, 5)), "hello");
        conn.close();
        await withCert.done();
      }
      {
        await using without = await peer({
          role: "client",
          port,
          ca: CA,
          server_hostname: "localhost",
          steps: [["send", "x"], ["recv_n", 1]],
        });
        // What a CPython server raises here.
        const err = await assertRejects(server.accept(), ssl.SSLError);
        assertEquals(
          err.message,
          "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate (_ssl.c:1006)",
        );
        await without.done();
      }
      {
        // A certificate from a CA the server does not trust.
        await using stranger = await peer({
          role: "client",
          port,
          ca: CA,
          cert: `${CERTS}selfsigned.pem`,
          key: `${CERTS}selfsigned.key`,
          server_hostname: "localhost",
          steps: [["send", "x"], ["recv_n", 1]],
        });
        const err = await assertRejects(server.accept(), ssl.SSLCertVerificationError);
        assertEquals([err.verify_code, err.verify_message], [18, "self-signed certificate"]);
        await stranger.done();
      }
    } finally {
      server.close();
    }
  },
});

Deno.test({
  name:
    "server: a fresh socket wrapped server_side, then bind/listen/accept; async iteration accepts",
  ignore: !HAS_PYTHON,
  async fn() {
    const server = await serverContext().wrap_socket(socket(), { server_side: true });
    try {
      server.bind(["127.0.0.1", 0]);
      server.listen();
      const port = (server.getsockname() as [string, number])[1];
      await using _client = await peer({
        role: "client",
        port,
        ca: CA,
        server_hostname: "localhost",
        steps: [["send", "it"]],
      });
      for await (const [conn] of server) {
        assertEquals(text(await recvExactly(conn, 2)), "it");
        conn.close();
        break;
      }
    } finally {
      server.close();
    }
  },
});

Deno.test("server and client of this library talk to each other (both on Deno's own TLS)", async () => {
  const { server, port } = await tlsListener(serverContext());
  try {
    const client = socket();
    const accepting = server.accept();
    await client.connect(["127.0.0.1", port]);
    const ctx = clientContext();
    const [tls, [conn]] = await Promise.all([
      ctx.wrap_socket(client, { server_hostname: "localhost" }),
      accepting,
    ]);
    await tls.sendall("ping");
    assertEquals(text(await recvExactly(conn, 4)), "ping");
    await conn.sendall("pong");
    assertEquals(text(await recvExactly(tls, 4)), "pong");
    tls.close();
    assertEquals((await conn.recv(10)).length, 0);
    conn.close();
  } finally {
    server.close();
  }
});

Deno.test("IPv6: a server on ::1 and clients checking the IP SAN ::1 or the name localhost", async () => {
  const plain = socket(AF_INET6);
  plain.bind(["::1", 0]);
  plain.listen();
  await using server = await serverContext().wrap_socket(plain, { server_side: true });
  const port = (server.getsockname() as [string, number])[1];
  const ctx = clientContext();
  for (const name of ["::1", "localhost"]) {
    const client = socket(AF_INET6);
    await client.connect(["::1", port]);
    const [tls, [conn]] = await Promise.all([
      ctx.wrap_socket(client, { server_hostname: name }),
      server.accept(),
    ]);
    try {
      await tls.sendall(name);
      assertEquals(text(await recvExactly(conn, name.length)), name);
      assertEquals(tls.getpeername()[0], "::1");
    } finally {
      tls.close();
      conn.close();
    }
  }
});

Deno.test("server: a client that goes away before or during the handshake makes accept reject SSLEOFError, not hang", async () => {
  const { server, port } = await tlsListener(serverContext());
  try {
    for (const bytes of [new Uint8Array(0), new Uint8Array([0x16, 3, 1, 0, 200, 1])]) {
      const client = socket();
      await client.connect(["127.0.0.1", port]);
      if (bytes.length > 0) await client.sendall(bytes);
      client.close();
      const err = await assertRejects(within(server.accept(), 5000, "accept"), ssl.SSLEOFError);
      assertEquals(err.reason, "UNEXPECTED_EOF_WHILE_READING");
    }
    // The listener still serves.
    const [tls, conn] = await acceptedPair(server, port);
    await tls.sendall("ok");
    assertEquals(text(await recvExactly(conn, 2)), "ok");
    tls.close();
    conn.close();
  } finally {
    server.close();
  }
});

Deno.test("close() makes a pending recv reject with EBADF on both ends", async () => {
  const { server, port } = await tlsListener(serverContext());
  try {
    const [tls, conn] = await acceptedPair(server, port);
    const pending = [tls.recv(10), conn.recv(10)];
    tls.close();
    conn.close();
    for (const p of pending) {
      const err = await assertRejects(p, OSError);
      assertEquals(err.errno, 9);
    }
  } finally {
    server.close();
  }
});

Deno.test("server on Deno's own TLS: accept timeouts and non-blocking lose no connection; select sees it", async () => {
  const { server, port } = await tlsListener(serverContext());
  try {
    server.setblocking(false);
    await assertRejects(server.accept(), BlockingIOError);
    server.settimeout(0.05);
    await assertRejects(server.accept(), TimeoutError);
    const [r0] = await select([server], [], [], 0);
    assertEquals(r0, []);
    // A client arrives while nobody waits: select says readable, accept gets it.
    const client = socket();
    await client.connect(["127.0.0.1", port]);
    const ctx = clientContext();
    const wrapping = ctx.wrap_socket(client, { server_hostname: "localhost" });
    const [r] = await select([server], [], [], 5);
    assertEquals(r, [server]);
    server.settimeout(5);
    const [[conn, address], tls] = await Promise.all([server.accept(), wrapping]);
    assertEquals(address, tls.getsockname());
    await tls.sendall("kept");
    assertEquals(text(await recvExactly(conn, 4)), "kept");
    tls.close();
    conn.close();
    const pending = server.accept();
    server.close();
    const err = await assertRejects(pending, OSError);
    assertEquals(err.errno, 9);
  } finally {
    server.close();
  }
});

Deno.test("an SSLSocket's readable and writable web streams carry TLS data", async () => {
  const { server, port } = await tlsListener(serverContext());
  try {
    const [tls, conn] = await acceptedPair(server, port);
    try {
      const data = new Uint8Array(300_000).map((_, i) => i % 251);
      const writing = new Blob([data]).stream().pipeTo(tls.writable); // ends with close_notify + FIN
      const chunks: Uint8Array[] = [];
      for await (const chunk of conn.readable) chunks.push(chunk);
      await writing;
      const got = concat(chunks);
      assertEquals(got.length, data.length);
      assertEquals(got, data);
    } finally {
      tls.close();
      conn.close();
    }
  } finally {
    server.close();
  }
});
