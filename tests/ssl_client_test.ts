/**
 * TLS clients of this library against a CPython `ssl` server (tests/_ssl_peer.py):
 * data both ways, the certificate dictionary, version/cipher/ALPN, and
 * verification failures with CPython's codes (the same server checked by a
 * CPython client for the expected values).
 */

import { type Socket, socket, TimeoutError } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";
import { pemCertificates } from "../_x509.ts";
import { assert, assertEquals, assertInstanceOf, assertRejects, concat, python } from "./_util.ts";
import {
  CA,
  CERTS,
  CLIENT_CERT,
  CLIENT_KEY,
  clientContext,
  HAS_PYTHON,
  pattern,
  peer,
  plainListener,
  SERVER_CERT,
  serverPeer,
  sha256hex,
} from "./_ssl_util.ts";

const MiB = 1 << 20;

async function connected(port: number): Promise<Socket> {
  const sock = socket();
  await sock.connect(["127.0.0.1", port]);
  return sock;
}

async function recvExactly(tls: ssl.SSLSocket, size: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < size) {
    const part = await tls.recv(Math.min(65536, size - got));
    if (part.length === 0) break;
    parts.push(part);
    got += part.length;
  }
  return concat(parts);
}

Deno.test({
  name: "client: 1 MiB each way with a CPython server; getpeercert equals CPython's; ALPN",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      alpn: ["h2", "http/1.1"],
      steps: [["report", null], ["recv_n", MiB], ["send_n", MiB]],
    });
    const ctx = clientContext();
    ctx.set_alpn_protocols(["h2"]);
    const sock = await connected(p.port);
    await using tls = await ctx.wrap_socket(sock, { server_hostname: "localhost" });
    assertEquals(sock.fileno(), -1); // detached, as CPython
    assert(tls instanceof ssl.SSLSocket && tls.fileno() >= 0);
    assertEquals([tls.server_side, tls.server_hostname, tls.session_reused], [
      false,
      "localhost",
      false,
    ]);
    const report = await p.next();
    assertEquals(tls.selected_alpn_protocol(), "h2");
    assertEquals(report.alpn, "h2");
    const expected = JSON.parse(
      await python(
        "import ssl, json, sys; print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1])))",
        SERVER_CERT,
      ),
    );
    assertEquals(JSON.parse(JSON.stringify(tls.getpeercert())), expected);
    assertEquals(tls.getpeercert(true), pemCertificates(Deno.readTextFileSync(SERVER_CERT))[0]);
    const data = pattern(MiB);
    await tls.sendall(data);
    assertEquals(await p.next(), { recv: MiB, sha256: await sha256hex(data) });
    assertEquals(await sha256hex(await recvExactly(tls, MiB)), await sha256hex(data));
    assertEquals((await tls.recv(10)).length, 0); // CPython closed without close_notify
    assertEquals((await p.done()).success, true);
  },
});

Deno.test({
  name: "client: maximum_version = TLSv1_2 negotiates TLS 1.2; version() and cipher() as CPython's",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      steps: [["report", null], ["echo", null]],
    });
    const ctx = clientContext();
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2;
    await using tls = await ctx.wrap_socket(await connected(p.port), {
      server_hostname: "localhost",
    });
    const report = await p.next();
    assertEquals(tls.version(), "TLSv1.2");
    assertEquals(report.version, "TLSv1.2");
    assertEquals(tls.cipher(), report.cipher as [string, string, number]);
    await tls.sendall("ping");
    assertEquals(new TextDecoder().decode(await tls.recv(10)), "ping");
  },
});

Deno.test({
  name: "client: version() and cipher() over node:tls (TLS 1.3) equal the CPython server's",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      steps: [["report", null]],
    });
    const ctx = clientContext();
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3; // a version limit takes node:tls
    await using tls = await ctx.wrap_socket(await connected(p.port), {
      server_hostname: "localhost",
    });
    const report = await p.next();
    assertEquals(tls.version(), "TLSv1.3");
    assertEquals(tls.cipher(), report.cipher as [string, string, number]);
  },
});

// Each case: the certificate the CPython server presents, the name the client
// checks, and whether the client trusts the test CA.
const FAILURES: [string, string, string, boolean][] = [
  ["hostname mismatch", "wrongname", "localhost", true],
  ["expired", "expired", "localhost", true],
  ["self-signed", "selfsigned", "localhost", true],
  ["unknown issuer", "server", "localhost", false],
  ["IP mismatch", "wrongname", "127.0.0.1", true],
];

for (const [what, cert, name, trustCa] of FAILURES) {
  Deno.test({
    name:
      `client: ${what} → SSLCertVerificationError with CPython's verify_code and verify_message`,
    ignore: !HAS_PYTHON,
    async fn() {
      const certfile = `${CERTS}${cert}.pem`;
      const keyfile = `${CERTS}${cert}.key`;
      await using cpythonServer = await peer({ role: "server", cert: certfile, key: keyfile });
      await using cpython = await peer({
        role: "client",
        port: cpythonServer.port,
        ca: trustCa ? CA : undefined,
        server_hostname: name,
      });
      const expected = await cpython.next();
      assertEquals(expected.error, "SSLCertVerificationError");

      await using p = await peer({ role: "server", cert: certfile, key: keyfile });
      const ctx = trustCa ? clientContext() : ssl.create_default_context();
      const sock = await connected(p.port);
      const err = await assertRejects(
        ctx.wrap_socket(sock, { server_hostname: name }),
        ssl.SSLCertVerificationError,
      );
      assertInstanceOf(err, ssl.SSLError);
      assertEquals(
        [err.verify_code, err.verify_message, err.reason, err.library, err.errno],
        [expected.verify_code, expected.verify_message, expected.reason, "SSL", 1],
      );
      assertEquals(
        err.message,
        `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${expected.verify_message} (_ssl.c:1006)`,
      );
    },
  });
}

Deno.test({
  name:
    "client: check_hostname = false with CERT_NONE connects to a self-signed server; getpeercert() is {}",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await peer({
      role: "server",
      cert: `${CERTS}selfsigned.pem`,
      key: `${CERTS}selfsigned.key`,
      steps: [["echo", null]],
    });
    const ctx = ssl.create_default_context();
    ctx.check_hostname = false;
    ctx.verify_mode = ssl.CERT_NONE;
    await using tls = await ctx.wrap_socket(await connected(p.port));
    assertEquals(tls.getpeercert(), {});
    assertEquals(
      tls.getpeercert(true),
      pemCertificates(Deno.readTextFileSync(`${CERTS}selfsigned.pem`))[0],
    );
    await tls.sendall("hi");
    assertEquals(new TextDecoder().decode(await tls.recv(10)), "hi");
  },
});

Deno.test({
  name:
    "client: check_hostname = false still verifies the chain (wrong name connects, unknown CA does not)",
  ignore: !HAS_PYTHON,
  async fn() {
    const ctx = clientContext();
    ctx.check_hostname = false;
    {
      await using p = await peer({
        role: "server",
        cert: `${CERTS}wrongname.pem`,
        key: `${CERTS}wrongname.key`,
        steps: [["echo", null]],
      });
      await using tls = await ctx.wrap_socket(await connected(p.port), {
        server_hostname: "localhost",
      });
      assertEquals(tls.getpeercert()!.subject, [[["countryName", "US"]], [[
        "organizationName",
        "Socket Tests",
      ]], [["commonName", "wrong.example"]]]);
    }
    {
      await using p = await peer({
        role: "server",
        cert: `${CERTS}selfsigned.pem`,
        key: `${CERTS}selfsigned.key`,
      });
      await assertRejects(ctx.wrap_socket(await connected(p.port)), ssl.SSLCertVerificationError);
    }
  },
});

Deno.test({
  name:
    "client: an unconnected socket wrapped, then connect() handshakes; a client certificate is sent",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      ca: CA,
      verify: "required",
      steps: [["report", null], ["echo", null]],
    });
    const ctx = clientContext();
    ctx.load_cert_chain(CLIENT_CERT, CLIENT_KEY);
    const plain = socket();
    await using tls = await ctx.wrap_socket(plain, { server_hostname: "localhost" });
    assertEquals(plain.fileno(), -1);
    await tls.connect(["127.0.0.1", p.port]);
    const report = await p.next();
    const peercert = report.peercert as { subject: string[][][] };
    assertEquals(peercert.subject[2], [["commonName", "test client"]]);
    assertEquals(tls.getpeername(), ["127.0.0.1", p.port]);
    await tls.sendall("abc");
    assertEquals(new TextDecoder().decode(await tls.recv(10)), "abc");
  },
});

Deno.test({
  name: "client: a plaintext server → SSLError WRONG_VERSION_NUMBER, as CPython",
  ignore: !HAS_PYTHON,
  async fn() {
    const { listener: server, port } = plainListener();
    const serving = (async () => {
      const [conn] = await server.accept();
      await conn.sendall("HTTP/1.0 400 Bad Request\r\n\r\n".repeat(4));
      await conn.recv(4096);
      conn.close();
    })();
    const ctx = clientContext();
    const err = await assertRejects(
      ctx.wrap_socket(await connected(port), { server_hostname: "localhost" }),
      ssl.SSLError,
    );
    assertEquals(err.reason, "WRONG_VERSION_NUMBER");
    await serving;
    server.close();
  },
});

Deno.test({
  name:
    "client: do_handshake_on_connect false, then do_handshake(); before it getpeercert is a ValueError",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      steps: [["echo", null]],
    });
    const ctx = clientContext();
    await using tls = await ctx.wrap_socket(await connected(p.port), {
      server_hostname: "localhost",
      do_handshake_on_connect: false,
    });
    assertEquals(tls.do_handshake_on_connect, false);
    let thrown: unknown = null;
    try {
      tls.getpeercert();
    } catch (e) {
      thrown = e;
    }
    assertInstanceOf(thrown, ssl.ValueError);
    assertEquals(tls.selected_alpn_protocol(), null);
    await tls.do_handshake();
    assertEquals(tls.getpeercert()!.subject[2], [["commonName", "localhost"]]);
    await tls.do_handshake(); // again: nothing more to do
    await tls.sendall("after");
    assertEquals(new TextDecoder().decode(await tls.recv(10)), "after");
  },
});

Deno.test({
  name:
    "client: flags are a ValueError, as CPython; unwrap() and a session say why they cannot work",
  ignore: !HAS_PYTHON,
  async fn() {
    await using p = await serverPeer({
      steps: [["echo", null]],
    });
    const ctx = clientContext();
    await assertRejects(
      ctx.wrap_socket(socket(), { server_hostname: "localhost", session: {} as unknown as null }),
      ssl.SSLError,
      /cannot resume sessions/,
    );
    await using tls = await ctx.wrap_socket(await connected(p.port), {
      server_hostname: "localhost",
    });
    await assertRejects(
      tls.recv(10, 2 /* MSG_PEEK */),
      ssl.ValueError,
      /non-zero flags not allowed in calls to recv\(\)/,
    );
    await assertRejects(tls.recv_into(new Uint8Array(4), 0, 2), ssl.ValueError, /recv_into/);
    await assertRejects(tls.send("x", 0x40), ssl.ValueError, /send\(\)/);
    await assertRejects(tls.sendall("x", 0x40), ssl.ValueError, /sendall\(\)/);
    await assertRejects(tls.unwrap(), ssl.SSLError, /never gives back the plain connection/);
    assertEquals([tls.pending(), tls.shared_ciphers(), tls.compression(), tls.session], [
      0,
      null,
      null,
      null,
    ]);
    await tls.sendall("still fine");
    assertEquals(new TextDecoder().decode(await recvExactly(tls, 10)), "still fine");
  },
});

Deno.test("client: a server that never answers the handshake → TimeoutError within the socket's timeout; the socket is closed", async () => {
  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  try {
    const sock = socket();
    await sock.connect(listener.getsockname() as [string, number]);
    const [silent] = await listener.accept();
    sock.settimeout(0.3);
    const ctx = clientContext();
    let made: ssl.SSLSocket | null = null;
    const err = await assertRejects(
      ctx.wrap_socket(sock, { server_hostname: "localhost" }).then((s) => made = s),
      TimeoutError,
      /handshake operation timed out/,
    );
    assert(err instanceof TimeoutError && made === null);
    assertEquals((await silent.recv(5)).length, 5); // the ClientHello was sent
    // Deno drops a TLS connection whose handshake was abandoned only once the
    // peer sends something (or closes): then the peer sees the end.
    await silent.sendall("late");
    assert((await recvUntilEnd(silent)) >= 0);
    silent.close();
  } finally {
    listener.close();
  }
});

async function recvUntilEnd(sock: Socket): Promise<number> {
  let total = 0;
  for (;;) {
    const part = await sock.recv(65536);
    if (part.length === 0) return total;
    total += part.length;
  }
}

Deno.test({
  name:
    "get_server_certificate returns the server's certificate as PEM (unverified, and verified with ca_certs)",
  ignore: !HAS_PYTHON,
  async fn() {
    const expected = Deno.readTextFileSync(SERVER_CERT);
    for (const options of [{}, { ca_certs: CA }]) {
      await using p = await serverPeer();
      const pem = await ssl.get_server_certificate(["127.0.0.1", p.port], options);
      assertEquals(ssl.PEM_cert_to_DER_cert(pem), ssl.PEM_cert_to_DER_cert(expected));
    }
    await assertRejects(ssl.get_server_certificate("x" as never), TypeError, /addr/);
  },
});

for (const route of ["native", "node"]) {
  Deno.test(`client [${route}]: a server that closes during the handshake → SSLEOFError, as CPython`, async () => {
    const listener = socket();
    listener.bind(["127.0.0.1", 0]);
    listener.listen();
    try {
      const sock = socket();
      await sock.connect(listener.getsockname() as [string, number]);
      const [conn] = await listener.accept();
      const ctx = clientContext();
      if (route === "node") ctx.maximum_version = ssl.TLSVersion.TLSv1_2;
      const wrapping = ctx.wrap_socket(sock, { server_hostname: "localhost" });
      assert((await conn.recv(5)).length > 0); // the ClientHello
      conn.close();
      const err = await assertRejects(wrapping, ssl.SSLEOFError);
      assertEquals(err.reason, "UNEXPECTED_EOF_WHILE_READING");
    } finally {
      listener.close();
    }
  });
}
