/**
 * The module-level functions. The pure ones (inet_*, hton*, getaddrinfo,
 * has_dualstack_ipv6) run a batch of inputs through CPython once and
 * through the library, and the results (values or error classes, errnos
 * and messages) must agree. Then create_connection, create_server,
 * socketpair and gethostname.
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  ConnectionRefusedError,
  create_connection,
  create_server,
  errno,
  gaierror,
  getaddrinfo,
  gethostname,
  has_dualstack_ipv6,
  htonl,
  htons,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  ntohl,
  ntohs,
  OSError,
  PermissionError,
  SOCK_DGRAM,
  SOCK_STREAM,
  socketpair,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  listening,
  python,
  readUntilNewline,
  runWithInput,
  text,
} from "./_util.ts";

type Json = null | boolean | number | string | Json[] | { bytes: string };
type Case = [fn: string, args: Json[]];

const b = (hex: string): Json => ({ bytes: hex });

const CASES: Case[] = [
  ...[
    "1.2.3.4",
    "1",
    "1.2",
    "1.2.3",
    "0x7f.1",
    "010.0.0.1",
    "1.2.3.4 junk",
    "1.2.3.4\tx",
    " 1.2.3.4",
    "1.2.3.4.",
    "256.1.1.1",
    "1.2.3.256",
    "4294967295",
    "4294967296",
    "",
    "0x",
    "08.1.1.1",
    "abc",
    "1..2",
    "0xffffffff",
    "1.16777215",
    "1.16777216",
    "1.2.65535",
    "1.2.3.4x",
    "0XA.0Xb.0.1",
  ].map((s): Case => ["inet_aton", [s]]),
  ...["01020304", "010203", "", "ffffffff", "0102030405"].map((h): Case => ["inet_ntoa", [b(h)]]),
  ...["1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4 ", "0.0.0.0", "255.255.255.255", "256.0.0.0", "::1"]
    .map((s): Case => ["inet_pton", [AF_INET, s]]),
  ...[
    "::",
    "::1",
    "1::",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::ffff:1.2.3.4",
    "1::2:3:4:5:6:7",
    "1:2:3:4:5:6:1.2.3.4",
    "fe80::1%lo",
    "1:::2",
    "12345::",
    "::g",
    "1:2:3:4:5:6:7:8:9",
    ":1::",
    "1::2::3",
    "::1.2.3",
    "::01.2.3.4",
    "0001:0002::",
    "1:2:3:4:5:6:7",
    "::1.2.3.4",
    " ::1",
    "FFFF::",
    "1::2:3:4:5:6:7:8",
    "1.2.3.4",
  ].map((s): Case => ["inet_pton", [AF_INET6, s]]),
  ["inet_pton", [99, "1.2.3.4"]],
  ...[
    "00000000000000000000000000000001",
    "00000000000000000000000000000002",
    "00000000000000000000ffff01020304",
    "00000000000000000000000001020304",
    "00010000000000000000000000000001",
    "00010002000000000000000300040005",
    "00010000000100000000000000000001",
    "00000001000000000000000000000000",
    "fe800000000000000000000000000001",
    "00000000000000000000000000000000",
    "000000000000000000000000ffff0000",
    "00010002000300040005000600070008",
    "0000000000000000000100000000000f",
    "00000000000000000000fffe01020304",
    "0000000000000000ffff000001020304",
    "00000000000100000000000100000000",
    "20010db8000000000001000000000001",
    "010203",
  ].map((h): Case => ["inet_ntop", [AF_INET6, b(h)]]),
  ["inet_ntop", [AF_INET, b("01020304")]],
  ["inet_ntop", [AF_INET, b("010203")]],
  ["inet_ntop", [99, b("01020304")]],
  ...["htons", "ntohs", "htonl", "ntohl"].flatMap((fn) =>
    [0, 1, 0x1234, 65535, 65536, -1, 0x12345678, 2 ** 32 - 1, 2 ** 32].map((v): Case => [fn, [v]])
  ),
  ["getaddrinfo", ["127.0.0.1", 80]],
  ["getaddrinfo", ["127.0.0.1", 80, AF_INET6]],
  ["getaddrinfo", ["::1", 80]],
  ["getaddrinfo", ["::1", 80, AF_INET]],
  ["getaddrinfo", ["localhost", 80]],
  ["getaddrinfo", ["localhost", "8080", 0, SOCK_STREAM]],
  ["getaddrinfo", ["localhost", 80, AF_INET, SOCK_DGRAM]],
  ["getaddrinfo", ["localhost", null]],
  ["getaddrinfo", [null, 80]],
  ["getaddrinfo", [null, 80, 0, 0, 0, AI_PASSIVE]],
  ["getaddrinfo", [null, 443, AF_INET6, SOCK_STREAM, 0, AI_PASSIVE]],
  ["getaddrinfo", [null, 443, AF_INET, SOCK_STREAM]],
  ["getaddrinfo", ["", 80]],
  ["getaddrinfo", ["localhost", 80, 99]],
  ["getaddrinfo", ["localhost", 80, 0, 99]],
  ["getaddrinfo", ["localhost", 80, 0, SOCK_STREAM, 17]],
  ["getaddrinfo", ["localhost", 80, 0, 0, 6]],
  ["getaddrinfo", ["localhost", 80, 0, 0, 17]],
  ["getaddrinfo", ["1.2.3.4", 80, 0, SOCK_STREAM, 0, AI_CANONNAME]],
  ["getaddrinfo", ["0x7f.1", 80, 0, SOCK_STREAM]],
  ["getaddrinfo", ["127.1", 7, 0, SOCK_DGRAM]],
  ["getaddrinfo", ["::ffff:1.2.3.4", 80, 0, SOCK_STREAM]],
  ["getaddrinfo", ["0:0::1", 80, AF_INET6, SOCK_STREAM]],
  ["getaddrinfo", ["fe80::1%1", 80, 0, SOCK_DGRAM]],
  ["getaddrinfo", ["localhost", "http", 0, SOCK_STREAM, 0, AI_NUMERICSERV]],
  ["getaddrinfo", ["localhost", -1]],
  ["getaddrinfo", ["localhost", 70000, AF_INET, SOCK_STREAM]],
  ["getaddrinfo", ["localhost", 80, 0, SOCK_STREAM, 0, AI_NUMERICHOST]],
  ["getaddrinfo", ["localhost", 80, 0, SOCK_STREAM, 0, 0x10000]],
  ["getaddrinfo", ["localhost", 80, AF_INET6, SOCK_STREAM]],
  ["has_dualstack_ipv6", []],
];

const PYTHON_BATCH = `
import json, socket, sys
def enc(v):
    if isinstance(v, bool): return v
    if isinstance(v, bytes): return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)): return [enc(x) for x in v]
    if isinstance(v, int): return int(v)
    return v
def dec(v):
    if isinstance(v, dict): return bytes.fromhex(v["bytes"])
    return v
out = []
for fn, args in json.loads(sys.argv[1]):
    try:
        out.append({"ok": enc(getattr(socket, fn)(*[dec(a) for a in args]))})
    except Exception as e:
        numbered = isinstance(e, OSError) and e.errno is not None
        out.append({"error": type(e).__name__, "errno": e.errno if numbered else None,
                    "message": e.strerror if numbered else str(e)})
print(json.dumps(out))
`;

type Outcome = { ok: Json } | { error: string; errno: number | null; message: string };

// deno-lint-ignore no-explicit-any
const FUNCTIONS: Record<string, (...args: any[]) => unknown> = {
  inet_aton,
  inet_ntoa,
  inet_pton,
  inet_ntop,
  htons,
  ntohs,
  htonl,
  ntohl,
  getaddrinfo,
  has_dualstack_ipv6,
};

function encode(value: unknown): Json {
  if (value instanceof Uint8Array) {
    return { bytes: Array.from(value, (x) => x.toString(16).padStart(2, "0")).join("") };
  }
  if (Array.isArray(value)) return value.map(encode);
  return value as Json;
}

function decode(value: Json): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return new Uint8Array((value.bytes.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  }
  return value;
}

/** The class this library raises where CPython raises `pyName`. */
const EXPECTED_CLASS: Record<string, string> = {
  OSError: "OSError",
  gaierror: "gaierror",
  ValueError: "RangeError",
  OverflowError: "RangeError",
  TypeError: "TypeError",
};

python.test("functions: inet_*, hton*, getaddrinfo, has_dualstack_ipv6 agree with CPython", async () => {
  const expected = JSON.parse(await python(PYTHON_BATCH, JSON.stringify(CASES))) as Outcome[];
  assertEquals(expected.length, CASES.length);
  const mismatches: string[] = [];
  for (const [i, [fn, args]] of CASES.entries()) {
    const want = expected[i];
    let got: Outcome;
    try {
      got = { ok: encode(await FUNCTIONS[fn](...args.map(decode))) };
    } catch (e) {
      const err = e as Error & { errno?: number | null; strerror?: string | null };
      got = {
        error: err.name,
        errno: err instanceof OSError ? err.errno : null,
        message: err instanceof OSError && err.errno !== null ? err.strerror ?? "" : err.message,
      };
    }
    const label = `${fn}(${JSON.stringify(args)})`;
    if ("ok" in want) {
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(
          `${label}: CPython ${JSON.stringify(want)}, library ${JSON.stringify(got)}`,
        );
      }
      continue;
    }
    const same = "error" in got && got.error === EXPECTED_CLASS[want.error] &&
      got.errno === want.errno &&
      // OverflowError texts vary with the size of the int; the rest must match.
      (want.error === "OverflowError" || want.error === "TypeError" ||
        got.message === want.message);
    if (!same) {
      mismatches.push(`${label}: CPython ${JSON.stringify(want)}, library ${JSON.stringify(got)}`);
    }
  }
  console.log(
    `${CASES.length} cases, ${
      expected.filter((o) => "error" in o).length
    } of them errors in CPython`,
  );
  assertEquals(mismatches, [], mismatches.join("\n"));
});

Deno.test("functions: getaddrinfo honours /etc/hosts and needs net permission for a name", async () => {
  // "localhost" comes from /etc/hosts (Deno.resolveDns would ask DNS).
  const infos = await getaddrinfo("localhost", 80, AF_INET, SOCK_STREAM);
  assertEquals(infos[0][4], ["127.0.0.1", 80]);
  const err = await assertRejects(getaddrinfo("example.com", 80), PermissionError);
  assert(err.message.includes("--allow-net=example.com"), err.message);
  await assertRejects(getaddrinfo("localhost", 80.5), TypeError);
  await assertRejects(getaddrinfo(42 as unknown as string, 80), TypeError);
  const nonum = await assertRejects(
    getaddrinfo("localhost", 80, 0, 0, 0, AI_NUMERICHOST),
    gaierror,
  );
  assertEquals(nonum.errno, -2);
});

python.test("functions: gethostname matches CPython, and names --allow-sys=hostname without it", async () => {
  const state = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state;
  if (state === "granted") {
    assertEquals(
      gethostname(),
      (await python("import socket; print(socket.gethostname())")).trim(),
    );
    return;
  }
  const err = assertThrows(() => gethostname(), PermissionError);
  assert(err.message.includes("--allow-sys=hostname"), err.message);
  const out = await new Deno.Command("deno", {
    args: [
      "eval",
      "--no-config",
      `import { gethostname } from "${new URL("../mod.ts", import.meta.url).href}";
       console.log(gethostname());`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, text(out.stderr));
  assertEquals(
    text(out.stdout).trim(),
    (await python("import socket; print(socket.gethostname())")).trim(),
  );
});

Deno.test("functions: create_connection tries each address and keeps the timeout", async () => {
  const { server, address } = listening();
  try {
    const [, port] = address;
    // "localhost" resolves through getaddrinfo; each address is tried in turn.
    const client = await create_connection(["localhost", port], 2.5);
    const [conn, from] = await server.accept();
    assertEquals(from, client.getsockname());
    assertEquals(client.gettimeout(), 2.5);
    await client.sendall("over create_connection");
    assertEquals(text(await conn.recv(64)), "over create_connection");
    client.close();
    conn.close();
    const bound = await create_connection(address, null, ["127.0.0.1", 0]);
    assertEquals(bound.gettimeout(), null);
    (await server.accept())[0].close();
    bound.close();
  } finally {
    server.close();
  }
  // Nothing listens now: the error of the (only) attempt comes back.
  const refused = await assertRejects(create_connection(address), ConnectionRefusedError);
  assertEquals(refused.errno, errno.ECONNREFUSED);
  await assertRejects(create_connection(["", 80]), gaierror);
  await assertRejects(create_connection("127.0.0.1" as unknown as [string, number]), TypeError);
});

Deno.test("functions: create_server binds, listens, and says which address failed", async () => {
  await using server = create_server(["127.0.0.1", 0], { backlog: 8 });
  const address = server.getsockname() as [string, number];
  assert(address[1] > 0);
  await using client = await create_connection(address);
  const [conn, from] = await server.accept();
  assertEquals(from, client.getsockname());
  conn.close();
  const err = assertThrows(() => create_server(address), OSError);
  assertEquals(err.errno, errno.EADDRINUSE);
  assert(err.message.includes("while attempting to bind on address"), err.message);
  assertThrows(
    () => create_server(["127.0.0.1", 0], { dualstack_ipv6: true }),
    RangeError,
    /requires AF_INET6/,
  );
  await using v6 = create_server(["::1", 0], { family: AF_INET6 });
  assertEquals((v6.getsockname() as unknown[]).length, 4);
  await using reused = create_server(["127.0.0.1", 0], { reuse_port: true });
  assert(reused.getsockname()[1] as number > 0);
});

Deno.test("functions: socketpair gives two connected sockets (stream and datagram)", async () => {
  const [a, b] = await socketpair();
  try {
    assertEquals(a.getpeername(), b.getsockname());
    await a.sendall("to b");
    assertEquals(text(await b.recv(16)), "to b");
    await b.sendall("to a");
    assertEquals(text(await a.recv(16)), "to a");
  } finally {
    a.close();
    b.close();
  }
  const [c, d] = await socketpair(AF_INET6, SOCK_DGRAM);
  try {
    await c.send("datagram");
    const [data, from] = await d.recvfrom(64);
    assertEquals([text(data), from], ["datagram", c.getsockname()]);
  } finally {
    c.close();
    d.close();
  }
  const err = await assertRejects(socketpair(AF_UNIX), OSError);
  assertEquals(err.errno, errno.EAFNOSUPPORT);
});

python.test("functions: create_server and create_connection interoperate with CPython's", async () => {
  // CPython's create_connection to our create_server…
  await using server = create_server(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  const client = python(
    `import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
    s.sendall(b"from cpython")
    print(s.recv(64).decode())`,
    String(port),
  );
  const [conn] = await server.accept();
  conn.settimeout(10);
  assertEquals(text(await conn.recv(64)), "from cpython");
  await conn.sendall("from the library");
  conn.close();
  assertEquals((await client).trim(), "from the library");

  // …and ours to CPython's create_server.
  const proc = new Deno.Command("python3", {
    args: [
      "-c",
      `import socket
with socket.create_server(("127.0.0.1", 0)) as srv:
    print(srv.getsockname()[1], flush=True)
    srv.settimeout(10)
    conn, addr = srv.accept()
    with conn:
        conn.sendall(("%s:%d" % addr).encode())`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pyPort = Number((await readUntilNewline(proc.stdout)).trim());
  await using sock = await create_connection(["127.0.0.1", pyPort], 10);
  let reply = "";
  for (let i = 0; i < 10; i++) {
    const part = await sock.recv(64);
    if (part.length === 0) break;
    reply += text(part);
  }
  const [host, myPort] = sock.getsockname() as [string, number];
  assertEquals(reply, `${host}:${myPort}`);
  const status = await proc.output();
  assert(status.success, text(status.stderr));
});

python.test("functions: getaddrinfo looks service names up in /etc/services, as CPython", async () => {
  const cases: Json[][] = [
    ["localhost", "http"],
    ["localhost", "domain"],
    ["localhost", "www"],
    ["localhost", "ntp", 0, SOCK_STREAM],
    ["localhost", "ntp"],
    ["localhost", "domain", 0, 3],
    ["localhost", "HTTP"],
    ["127.0.0.1", "ssh", AF_INET, SOCK_STREAM],
    ["::1", "domain", AF_INET6, SOCK_DGRAM],
    ["localhost", "no-such-service"],
  ];
  const expected = JSON.parse(
    await python(PYTHON_BATCH, JSON.stringify(cases.map((args) => ["getaddrinfo", args]))),
  ) as Outcome[];
  // The test task may not read /etc/services: a child process may.
  const result = await runWithInput(
    "deno",
    [
      "run",
      "--no-config",
      "--no-prompt",
      "--allow-read=/etc/services",
      "--allow-net=localhost",
      "-",
      JSON.stringify(cases),
    ],
    `
    import { getaddrinfo } from "${new URL("../mod.ts", import.meta.url).href}";
    const results = [];
    for (const args of JSON.parse(Deno.args[0])) {
      try {
        results.push({ ok: await getaddrinfo(...args) });
      } catch (e) {
        results.push({ error: e.name, errno: e.errno ?? null, message: e.strerror ?? e.message });
      }
    }
    console.log(JSON.stringify(results));`,
  );
  assert(result.success, text(result.stderr));
  const got = JSON.parse(text(result.stdout)) as Outcome[];
  for (const [i, args] of cases.entries()) {
    const want = expected[i];
    const label = `getaddrinfo(${JSON.stringify(args)})`;
    if ("ok" in want) assertEquals(got[i], want, label);
    else {
      assert(
        "error" in got[i],
        `${label}: CPython ${JSON.stringify(want)}, got ${JSON.stringify(got[i])}`,
      );
      assertEquals([(got[i] as { errno: number }).errno, EXPECTED_CLASS[want.error]], [
        want.errno,
        (got[i] as { error: string }).error,
      ], label);
    }
  }
});

python.test("functions: without read permission, getaddrinfo finds well-known services in the built-in table, as CPython", async () => {
  // The test task does not grant /etc/services: this process has the built-in table only.
  assertEquals(
    Deno.permissions.querySync({ name: "read", path: "/etc/services" }).state,
    "prompt",
  );
  const cases: Json[][] = [
    ["127.0.0.1", "http"],
    ["127.0.0.1", "www"],
    ["127.0.0.1", "domain"],
    ["127.0.0.1", "https", AF_INET, SOCK_STREAM],
    ["::1", "domain", AF_INET6, SOCK_DGRAM],
    ["127.0.0.1", "ntp"],
    ["127.0.0.1", "ntp", 0, SOCK_STREAM],
    ["127.0.0.1", "kerberos5", 0, SOCK_DGRAM],
    ["127.0.0.1", "ssh", AF_INET, SOCK_STREAM],
    ["localhost", "http-alt", AF_INET, SOCK_STREAM],
    ["127.0.0.1", "HTTP"],
    ["127.0.0.1", "no-such-service"],
  ];
  const expected = JSON.parse(
    await python(PYTHON_BATCH, JSON.stringify(cases.map((args) => ["getaddrinfo", args]))),
  ) as Outcome[];
  for (const [i, args] of cases.entries()) {
    const want = expected[i];
    const label = `getaddrinfo(${JSON.stringify(args)})`;
    const call = getaddrinfo(...(args as Parameters<typeof getaddrinfo>));
    if ("ok" in want) assertEquals(encode(await call), want.ok, label);
    else {
      const err = await assertRejects(() => call, gaierror);
      assertEquals([err.errno, err.strerror], [want.errno, want.message], label);
    }
  }
  // A service only the system's file lists is unknown here: CPython's
  // EAI_SERVICE, not a permission error (as getservbyname's "not found").
  const err = await assertRejects(() => getaddrinfo("127.0.0.1", "systat"), gaierror);
  assertEquals([err.errno, err.strerror], [-8, "Servname not supported for ai_socktype"]);
});
