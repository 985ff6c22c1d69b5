/**
 * ssl.ts without a TLS peer: constants, SSLContext rules, certificate files,
 * the certificate dictionary and PEM/DER helpers, each compared with CPython
 * where CPython defines it; and the socket hooks TLS is built on.
 */

import {
  BlockingIOError,
  FileNotFoundError,
  OSError,
  Socket,
  socket,
  TimeoutError,
} from "@seed/socket";
import * as ssl from "../ssl.ts";
import { decodeCertificate, pemCertificates } from "../_x509.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertThrows,
  connectedPair,
  python,
  runWithInput,
  text,
  within,
} from "./_util.ts";
import {
  CA,
  CERTS,
  CLIENT_CERT,
  CLIENT_KEY,
  HAS_PYTHON,
  SERVER_CERT,
  SERVER_KEY,
} from "./_ssl_util.ts";

const ALL_CERTS = ["ca", "server", "client", "expired", "selfsigned", "wrongname"];

Deno.test({
  name: "ssl constants, TLSVersion and Purpose have CPython's values",
  ignore: !HAS_PYTHON,
  async fn() {
    const names = [
      "PROTOCOL_TLS",
      "PROTOCOL_TLS_CLIENT",
      "PROTOCOL_TLS_SERVER",
      "CERT_NONE",
      "CERT_OPTIONAL",
      "CERT_REQUIRED",
      "OP_ALL",
      "OP_NO_SSLv3",
      "OP_NO_TLSv1",
      "OP_NO_TLSv1_1",
      "OP_NO_TLSv1_2",
      "OP_NO_TLSv1_3",
      "OP_NO_COMPRESSION",
      "OP_NO_TICKET",
      "OP_NO_RENEGOTIATION",
      "OP_CIPHER_SERVER_PREFERENCE",
      "OP_ENABLE_MIDDLEBOX_COMPAT",
      "OP_IGNORE_UNEXPECTED_EOF",
      "VERIFY_DEFAULT",
      "VERIFY_X509_STRICT",
      "VERIFY_X509_TRUSTED_FIRST",
      "VERIFY_X509_PARTIAL_CHAIN",
      "VERIFY_CRL_CHECK_LEAF",
      "VERIFY_CRL_CHECK_CHAIN",
    ];
    const py = JSON.parse(
      await python(
        `import ssl, json, sys
names = sys.argv[1].split(",")
out = {n: int(getattr(ssl, n)) for n in names}
out.update({"TLSVersion." + v.name: int(v) for v in ssl.TLSVersion})
out["Purpose.SERVER_AUTH"] = ssl.Purpose.SERVER_AUTH.oid
out["Purpose.CLIENT_AUTH"] = ssl.Purpose.CLIENT_AUTH.oid
out["options"] = int(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).options)
print(json.dumps(out))`,
        names.join(","),
      ),
    );
    const table = ssl as unknown as Record<string, number>;
    const ours: Record<string, number | string> = {};
    for (const n of names) ours[n] = table[n];
    for (const [k, v] of Object.entries(ssl.TLSVersion)) ours[`TLSVersion.${k}`] = v;
    ours["Purpose.SERVER_AUTH"] = ssl.Purpose.SERVER_AUTH.oid;
    ours["Purpose.CLIENT_AUTH"] = ssl.Purpose.CLIENT_AUTH.oid;
    ours.options = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).options;
    assertEquals(ours, py);
    assert(ssl.HAS_SNI && ssl.HAS_ALPN && ssl.HAS_TLSv1_3 && !ssl.HAS_TLSv1);
    assertMatch(ssl.OPENSSL_VERSION, /^rustls/);
  },
});

Deno.test("SSLContext follows CPython's check_hostname / verify_mode rules", () => {
  const client = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
  assertEquals([client.check_hostname, client.verify_mode], [true, ssl.CERT_REQUIRED]);
  assertThrows(
    () => client.verify_mode = ssl.CERT_NONE,
    ssl.ValueError,
    /^Cannot set verify_mode to CERT_NONE when check_hostname is enabled\.$/,
  );
  client.check_hostname = false;
  client.verify_mode = ssl.CERT_NONE;
  assertEquals(client.verify_mode, ssl.CERT_NONE);
  const server = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  assertEquals([server.check_hostname, server.verify_mode], [false, ssl.CERT_NONE]);
  server.check_hostname = true; // as CPython: verification comes with it
  assertEquals(server.verify_mode, ssl.CERT_REQUIRED);
  assertThrows(() => server.verify_mode = 7, ssl.ValueError, /invalid value for verify_mode/);
  assertThrows(() => new ssl.SSLContext(99), ssl.ValueError, /unsupported protocol/);
  const generic = new ssl.SSLContext();
  assertEquals([generic.protocol, generic.check_hostname, generic.verify_mode], [2, false, 0]);
  const def = ssl.create_default_context();
  assertEquals([def.protocol, def.check_hostname, def.verify_mode], [16, true, 2]);
  const srv = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  assertEquals([srv.protocol, srv.check_hostname, srv.verify_mode], [17, false, 0]);
  assertThrows(
    () => ssl.create_default_context("x" as unknown as ssl.PurposeValue),
    TypeError,
    /purpose/,
  );
});

Deno.test("minimum/maximum_version take TLSVersion; TLS 1.0/1.1 are an SSLError saying why", () => {
  const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
  assertEquals(
    [ctx.minimum_version, ctx.maximum_version],
    [ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED],
  );
  ctx.minimum_version = ssl.TLSVersion.TLSv1_2;
  ctx.maximum_version = ssl.TLSVersion.TLSv1_3;
  assertEquals([ctx.minimum_version, ctx.maximum_version], [771, 772]);
  assertThrows(
    () => ctx.minimum_version = ssl.TLSVersion.TLSv1,
    ssl.SSLError,
    /only TLS 1\.2 and 1\.3/,
  );
  assertThrows(
    () => ctx.maximum_version = ssl.TLSVersion.TLSv1_1,
    ssl.SSLError,
    /only TLS 1\.2 and 1\.3/,
  );
  assertThrows(() => ctx.maximum_version = 5 as ssl.TLSVersion, ssl.ValueError, /unsupported/);
  assertEquals(ctx.maximum_version, 772);
});

Deno.test("set_ciphers accepts what Deno already does and says why it cannot do the rest", () => {
  const ctx = ssl.create_default_context();
  ctx.set_ciphers("DEFAULT");
  ctx.set_ciphers("HIGH:!aNULL:!eNULL:!MD5:!RC4");
  ctx.set_ciphers("ECDHE+AESGCM:!aNULL");
  const err = assertThrows(
    () => ctx.set_ciphers("AES128-SHA"),
    ssl.SSLError,
    /Deno cannot choose TLS ciphers/,
  );
  assertInstanceOf(err, OSError);
  assertThrows(() => ctx.set_ciphers(3 as unknown as string), TypeError, /cipherlist/);
  assertEquals(ctx.get_ciphers()[0], {
    name: "TLS_AES_256_GCM_SHA384",
    protocol: "TLSv1.3",
    strength_bits: 256,
    alg_bits: 256,
  });
});

Deno.test({
  name: "load_dh_params and set_ecdh_curve: CPython's errors; curves Deno does not offer say so",
  ignore: !HAS_PYTHON,
  async fn() {
    const py = JSON.parse(
      await python(
        `import ssl, json, sys
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_dh_params(sys.argv[1] + "dhparams.pem")
try:
    c.load_dh_params(sys.argv[1] + "ca.pem")
except ssl.SSLError as e:
    print(json.dumps([e.errno, e.library, e.reason]))`,
        CERTS,
      ),
    );
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    ctx.load_dh_params(`${CERTS}dhparams.pem`);
    const err = assertThrows(() => ctx.load_dh_params(CA), ssl.SSLError, /no start line/);
    assertEquals([err.errno, err.library, err.reason], py);
    assertThrows(() => ctx.load_dh_params(`${CERTS}nope.pem`), FileNotFoundError);
    ctx.set_ecdh_curve("prime256v1");
    ctx.set_ecdh_curve("X25519");
    assertThrows(
      () => ctx.set_ecdh_curve("secp521r1"),
      ssl.SSLError,
      /cannot choose its key-exchange groups/,
    );
    assertThrows(() => ctx.set_ecdh_curve(1 as unknown as string), TypeError, /curve_name/);
  },
});

Deno.test("set_alpn_protocols checks each protocol", () => {
  const ctx = ssl.create_default_context();
  ctx.set_alpn_protocols(["h2", "http/1.1"]);
  assertThrows(() => ctx.set_alpn_protocols([""]), ssl.ValueError, /1 to 255/);
  assertThrows(() => ctx.set_alpn_protocols(["x".repeat(256)]), ssl.ValueError, /1 to 255/);
  assertThrows(() => ctx.set_alpn_protocols([1 as unknown as string]), TypeError, /string/);
  assertThrows(() => ctx.set_alpn_protocols("h2" as unknown as string[]), TypeError, /list/);
});

Deno.test("load_cert_chain: key checks, passwords and file errors as CPython", () => {
  const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  ctx.load_cert_chain(SERVER_CERT, SERVER_KEY);
  ctx.load_cert_chain(`${CERTS}server-chain.pem`, SERVER_KEY);
  ctx.load_cert_chain(SERVER_CERT, `${CERTS}server-encrypted.key`, "secret");
  ctx.load_cert_chain(SERVER_CERT, `${CERTS}server-encrypted.key`, () => "secret");
  ctx.load_cert_chain(
    SERVER_CERT,
    `${CERTS}server-encrypted.key`,
    new TextEncoder().encode("secret"),
  );
  assertThrows(
    () => ctx.load_cert_chain(SERVER_CERT, `${CERTS}server-encrypted.key`, "wrong"),
    ssl.SSLError,
    /PEM lib/,
  );
  const mismatch = assertThrows(
    () => ctx.load_cert_chain(SERVER_CERT, CLIENT_KEY),
    ssl.SSLError,
    /^\[X509: KEY_VALUES_MISMATCH\] key values mismatch/,
  );
  assertEquals([mismatch.errno, mismatch.library, mismatch.reason], [
    116,
    "X509",
    "KEY_VALUES_MISMATCH",
  ]);
  assertThrows(() => ctx.load_cert_chain(CA), ssl.SSLError, /PEM lib/); // no key in it
  const missing = assertThrows(
    () => ctx.load_cert_chain(`${CERTS}missing.pem`),
    FileNotFoundError,
    /No such file or directory/,
  );
  assertEquals(missing.errno, 2);
  assertThrows(() => ctx.load_cert_chain(SERVER_CERT, SERVER_KEY, 5), TypeError, /password/);
  assertThrows(() => ctx.load_cert_chain(42 as unknown as string), TypeError, /file name/);
});

Deno.test("certificate files without --allow-read: PermissionError naming --allow-read=FILE", async () => {
  // A script on stdin runs with no permission at all.
  const script = `import * as ssl from "${new URL("../ssl.ts", import.meta.url).href}";
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    for (const f of [() => ctx.load_cert_chain(${JSON.stringify(SERVER_CERT)}),
                     () => ctx.load_verify_locations(${JSON.stringify(CA)})]) {
      try { f(); console.log("ok"); } catch (e) { console.log(e.name, e.errno, e.message); }
    }`;
  const out = await runWithInput("deno", ["run", "--no-config", "--no-prompt", "-"], script);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assertEquals(lines.length, 2, new TextDecoder().decode(out.stderr));
  assertMatch(lines[0], new RegExp(`^PermissionError 13 .*--allow-read=${SERVER_CERT}`));
  assertMatch(lines[1], new RegExp(`^PermissionError 13 .*--allow-read=${CA}`));
});

Deno.test({
  name:
    "load_verify_locations (file, PEM text, DER bytes), get_ca_certs and cert_store_stats as CPython",
  ignore: !HAS_PYTHON,
  async fn() {
    const py = JSON.parse(
      await python(
        `import ssl, json, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[1])
ctx.load_verify_locations(cadata=open(sys.argv[2]).read())
print(json.dumps({"stats": ctx.cert_store_stats(), "certs": ctx.get_ca_certs()}))`,
        CA,
        `${CERTS}client.pem`,
      ),
    );
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(CA);
    ctx.load_verify_locations(null, null, Deno.readTextFileSync(CLIENT_CERT));
    assertEquals(ctx.cert_store_stats(), py.stats);
    assertEquals(JSON.parse(JSON.stringify(ctx.get_ca_certs())), py.certs);
    // DER bytes of the same CA: no duplicate.
    ctx.load_verify_locations(null, null, ctx.get_ca_certs(true)[0]);
    assertEquals(ctx.cert_store_stats(), py.stats);
    const der = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    der.load_verify_locations(null, null, ssl.PEM_cert_to_DER_cert(Deno.readTextFileSync(CA)));
    assertEquals(der.cert_store_stats(), { x509: 1, crl: 0, x509_ca: 1 });
    assertThrows(() => der.load_verify_locations(), TypeError, /cannot be all omitted/);
    assertThrows(
      () => der.load_verify_locations(null, null, "garbage"),
      ssl.SSLError,
      /no start line/,
    );
    assertThrows(() => der.load_verify_locations(`${CERTS}nope.pem`), FileNotFoundError);
    assertThrows(
      () => der.load_verify_locations(SERVER_KEY),
      ssl.SSLError,
      /no certificate or crl found/,
    );
  },
});

Deno.test({
  name: "the certificate dictionary equals CPython's for every test certificate",
  ignore: !HAS_PYTHON,
  async fn() {
    const py = JSON.parse(
      await python(
        `import ssl, json, sys
print(json.dumps([ssl._ssl._test_decode_cert(sys.argv[1] + n + ".pem") for n in sys.argv[2].split(",")]))`,
        CERTS,
        ALL_CERTS.join(","),
      ),
    );
    const ours = ALL_CERTS.map((n) =>
      decodeCertificate(pemCertificates(Deno.readTextFileSync(`${CERTS}${n}.pem`))[0])
    );
    assertEquals(JSON.parse(JSON.stringify(ours)), py);
  },
});

Deno.test({
  name: "DER_cert_to_PEM_cert / PEM_cert_to_DER_cert round-trip as CPython's",
  ignore: !HAS_PYTHON,
  async fn() {
    const pem = Deno.readTextFileSync(SERVER_CERT);
    const der = ssl.PEM_cert_to_DER_cert(pem);
    const py = await python(
      `import ssl, sys
print(ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())), end="")`,
      SERVER_CERT,
    );
    assertEquals(ssl.DER_cert_to_PEM_cert(der), py);
    assertThrows(() => ssl.PEM_cert_to_DER_cert("nope"), ssl.ValueError, /must start with/);
    assertThrows(
      () => ssl.PEM_cert_to_DER_cert("-----BEGIN CERTIFICATE-----\nAA=="),
      ssl.ValueError,
      /must end with/,
    );
    assertThrows(() => ssl.DER_cert_to_PEM_cert("x" as unknown as Uint8Array), TypeError);
  },
});

Deno.test("the SSL error family: OSError subclasses with CPython's errno, library, reason", () => {
  const classes = [
    ssl.SSLZeroReturnError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
    ssl.SSLSyscallError,
    ssl.SSLEOFError,
    ssl.SSLCertVerificationError,
  ];
  for (const C of classes) {
    const e = new C(1, "x");
    assertInstanceOf(e, ssl.SSLError);
    assertInstanceOf(e, OSError);
    assertEquals(e.name, C.name);
    assertEquals(e.message, "x"); // CPython's str() of an SSLError is its text alone
  }
  assertEquals(ssl.CertificateError, ssl.SSLCertVerificationError);
  const v = new ssl.SSLCertVerificationError(1, "m", {
    verify_code: 10,
    verify_message: "certificate has expired",
    library: "SSL",
    reason: "CERTIFICATE_VERIFY_FAILED",
  });
  assertEquals([v.errno, v.verify_code, v.verify_message, v.library, v.reason], [
    1,
    10,
    "certificate has expired",
    "SSL",
    "CERTIFICATE_VERIFY_FAILED",
  ]);
  assertThrows(() => new ssl.SSLSocket(2), TypeError, /does not have a public constructor/);
});

Deno.test("wrap_socket checks its options before any I/O and rejects (never throws)", async () => {
  const client = ssl.create_default_context();
  await using pair = await connectedPair();
  const call = client.wrap_socket(pair.client);
  assert(call instanceof Promise);
  await assertRejects(call, ssl.ValueError, /check_hostname requires server_hostname/);
  await assertRejects(
    client.wrap_socket(pair.client, { server_side: true }),
    ssl.ValueError,
    /PROTOCOL_TLS_CLIENT/,
  );
  const server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  await assertRejects(
    server.wrap_socket(pair.server, { server_side: true, server_hostname: "x" }),
    ssl.ValueError,
    /server_hostname can only be specified in client mode/,
  );
  await assertRejects(
    server.wrap_socket(pair.server, { server_side: true }),
    ssl.ValueError,
    /load_cert_chain/,
  );
  await assertRejects(client.wrap_socket({} as never), TypeError, /stream Socket/);
  for (const name of ["server_side", "do_handshake_on_connect", "suppress_ragged_eofs"]) {
    await assertRejects(
      client.wrap_socket(pair.client, { server_hostname: "h", [name]: "yes" }),
      TypeError,
      new RegExp(`${name} must be a boolean`),
    );
  }
  await assertRejects(
    client.wrap_socket(pair.client, { server_hostname: 5 as unknown as string }),
    TypeError,
    /server_hostname/,
  );
  pair.client.setblocking(false);
  await assertRejects(
    client.wrap_socket(pair.client, { server_hostname: "localhost" }),
    ssl.ValueError,
    /non-blocking/,
  );
  // Nothing was done to the sockets.
  assert(pair.client.fileno() >= 0 && pair.server.fileno() >= 0);
});

// ---- the socket hooks -----------------------------------------------------------

Deno.test("_detach hands over the buffered bytes; the socket reads as closed", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("hello, more");
  // A peek reads ahead into the socket's buffer.
  assertEquals(text(await pair.server.recv(5, 2 /* MSG_PEEK */)), "hello");
  const { conn, buffered, pending } = await pair.server._detach();
  assertEquals(text(buffered), "hello, more");
  assertEquals(pending, null);
  assertEquals(pair.server.fileno(), -1);
  await pair.client.sendall("!");
  const buf = new Uint8Array(8);
  const n = await conn.read(buf);
  assertEquals(text(buf.subarray(0, n!)), "!");
  conn.close();
});

for (const call of ["recv", "recv_into"] as const) {
  Deno.test(`_detach hands over a ${call} that timed out without waiting for it: its bytes, then its end`, async () => {
    await using pair = await connectedPair();
    pair.server.settimeout(0.05);
    await assertRejects(
      call === "recv" ? pair.server.recv(16) : pair.server.recv_into(new Uint8Array(16)),
      TimeoutError,
    );
    // The read is still in flight, and nothing will come until after the hand-over.
    const { conn, buffered, pending } = await within(pair.server._detach(), 5000, "_detach");
    assertEquals(buffered.length, 0);
    assert(pending !== null);
    assertEquals(pair.server.fileno(), -1);
    await pair.client.sendall("late bytes");
    assertEquals(text((await pending)!), "late bytes");
    // The connection reads on after them; the peer's end comes as null.
    pair.client.shutdown(1 /* SHUT_WR */);
    assertEquals(await conn.read(new Uint8Array(8)), null);
    conn.close();
  });
}

Deno.test("_detach: a read in flight that ends with the stream gives null", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.05);
  await assertRejects(pair.server.recv(16), TimeoutError);
  const { conn, pending } = await pair.server._detach();
  pair.client.shutdown(1 /* SHUT_WR */);
  assertEquals(await pending, null);
  conn.close();
});

Deno.test("_upgrade gives wrap the read in flight, and reads through the new connection only after it ends", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.05);
  await assertRejects(pair.server.recv(16), TimeoutError);
  pair.server.settimeout(null);
  let adopted: Promise<Uint8Array | null> | null = null;
  const upgrading = pair.server._upgrade((raw, _buffered, pending) => {
    adopted = pending;
    return Promise.resolve(raw);
  });
  await pair.client.sendall("first");
  await within(upgrading, 5000, "_upgrade");
  assertEquals(text((await adopted!)!), "first");
  await pair.client.sendall("second");
  assertEquals(text(await pair.server.recv(16)), "second");
});

Deno.test("_upgrade re-routes reads and writes through the wrapping connection", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("ab");
  assertEquals(text(await pair.server.recv(1, 2 /* MSG_PEEK */)), "a");
  let seen: Uint8Array | null = null;
  await pair.server._upgrade((raw, buffered) => {
    seen = buffered;
    // A trivial layer: upper-cases what it writes.
    return Promise.resolve({
      read: (b: Uint8Array) => raw.read(b),
      write: (d: Uint8Array) => raw.write(d.map((c) => c >= 97 && c <= 122 ? c - 32 : c)),
      closeWrite: () => raw.closeWrite(),
      close: () => raw.close(),
      localAddr: raw.localAddr,
      remoteAddr: raw.remoteAddr,
    });
  });
  assertEquals(text(seen!), "ab");
  await pair.server.sendall("shout");
  assertEquals(text(await pair.client.recv(10)), "SHOUT");
  assert(pair.server.fileno() >= 0);
});

Deno.test("_attach needs a fresh socket; the default _wouldBlock is BlockingIOError", async () => {
  await using pair = await connectedPair();
  const fresh = socket();
  try {
    const { conn } = await pair.server._detach();
    assertThrows(() => pair.client._attach(conn), OSError, /EISCONN|already connected/);
    fresh._attach(conn);
    await pair.client.sendall("x");
    assertEquals(text(await fresh.recv(4)), "x");
    fresh.setblocking(false);
    await assertRejects(fresh.recv(4), BlockingIOError);
  } finally {
    fresh.close();
  }
});

Deno.test("a subclass's _wouldBlock decides what non-blocking read, write-wait and accept calls raise", async () => {
  class Custom extends Socket {
    protected override _wouldBlock(op: "read" | "write" | "accept" | "connect"): OSError {
      return new OSError(null, `would block: ${op}`);
    }
  }
  await using pair = await connectedPair();
  const { conn } = await pair.server._detach();
  const sock = new Custom();
  try {
    sock._attach(conn);
    sock.setblocking(false);
    await assertRejects(sock.recv(4), OSError, /^would block: read$/);
    await pair.client.sendall("x");
    sock.setblocking(true);
    assertEquals(text(await sock.recv(4)), "x");
  } finally {
    sock.close();
  }
  const listener = new Custom();
  try {
    listener.bind(["127.0.0.1", 0]);
    listener.listen();
    listener.setblocking(false);
    await assertRejects(listener.accept(), OSError, /^would block: accept$/);
  } finally {
    listener.close();
  }
});
