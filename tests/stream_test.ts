/**
 * Stream sockets (TCP over IPv4/IPv6, Unix stream): every method of the
 * contract's "Stream sockets" section in blocking mode, the state errors and
 * bad input. Timeouts, non-blocking mode and aborts are in
 * stream_timeout_test.ts.
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BrokenPipeError,
  ConnectionRefusedError,
  errno,
  IPPROTO_TCP,
  MSG_PEEK,
  MSG_WAITALL,
  OSError,
  PermissionError,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_STREAM,
  Socket,
  socket,
  SOL_SOCKET,
  TCP_NODELAY,
  TimeoutError,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertRejects,
  assertThrows,
  concat,
  connectedPair,
  freshUnixPath,
  listening,
  pseudoRandomBytes,
  recvAll,
  text,
  UNIX_PATHS,
} from "./_util.ts";

/** Receives until EOF. */
async function recvToEnd(sock: Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const part = await sock.recv(65536);
    if (part.length === 0) return concat(parts);
    parts.push(part);
  }
}

function assertErrno(e: OSError, code: number): void {
  assertEquals(e.errno, code, `expected errno ${code}, got ${e.message}`);
}

// ---- creating ---------------------------------------------------------------

Deno.test("socket() defaults to AF_INET/SOCK_STREAM/0 and reads back what was given", () => {
  using a = socket();
  assertEquals([a.family, a.type, a.proto], [AF_INET, SOCK_STREAM, 0]);
  assert(a instanceof Socket);
  using b = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  assertEquals([b.family, b.type, b.proto], [AF_INET6, SOCK_STREAM, IPPROTO_TCP]);
  using c = socket(AF_UNIX, SOCK_STREAM);
  assertEquals([c.family, c.type, c.proto], [AF_UNIX, SOCK_STREAM, 0]);
});

Deno.test("socket() rejects an unknown family, type or protocol with OSError", () => {
  assertErrno(assertThrows(() => socket(99), OSError), errno.EAFNOSUPPORT);
  const badType = assertThrows(() => socket(AF_INET, 7), OSError);
  assert(badType.errno === errno.EINVAL || badType.errno === errno.EPROTONOSUPPORT);
  assertErrno(
    assertThrows(() => socket(AF_INET, SOCK_STREAM, 17), OSError),
    errno.EPROTONOSUPPORT,
  );
  assertThrows(() => socket("x" as unknown as number), TypeError, /family/);
});

Deno.test("fileno() is unique among open sockets and -1 once closed", () => {
  const socks = Array.from({ length: 20 }, () => socket());
  const numbers = socks.map((s) => s.fileno());
  assertEquals(new Set(numbers).size, numbers.length);
  for (const n of numbers) assert(Number.isInteger(n) && n >= 0);
  for (const s of socks) s.close();
  for (const s of socks) assertEquals(s.fileno(), -1);
  using again = socket();
  assertGreaterOrEqual(again.fileno(), 0);
});

Deno.test("fileno() numbers a socket when first asked, unique among open ones and stable", () => {
  const first = socket();
  const second = socket();
  const asked = second.fileno(); // asked out of creation order
  const later = first.fileno();
  assert(asked !== later);
  assertEquals(first.fileno(), later);
  second.close();
  using third = socket();
  assert(third.fileno() !== later);
  first.close();
  assertEquals(first.fileno(), -1);
  const never = socket();
  never.close();
  assertEquals(never.fileno(), -1); // closed before it was numbered
});

Deno.test("close() is idempotent; using and await using close the socket", async () => {
  const sock = socket();
  sock.close();
  sock.close();
  assertEquals(sock.fileno(), -1);

  let kept: Socket | undefined;
  {
    await using s = socket();
    s.bind(["127.0.0.1", 0]);
    s.listen();
    kept = s;
    assertGreaterOrEqual(s.fileno(), 0);
  }
  assertEquals(kept.fileno(), -1);
  {
    using s = socket();
    kept = s;
  }
  assertEquals(kept.fileno(), -1);
});

// ---- addresses --------------------------------------------------------------

Deno.test("getsockname() after bind to port 0 gives the real port", () => {
  using sock = socket();
  assertEquals(sock.getsockname(), ["0.0.0.0", 0]);
  sock.bind(["127.0.0.1", 0]);
  const [host, port] = sock.getsockname() as [string, number];
  assertEquals(host, "127.0.0.1");
  assert(Number.isInteger(port) && port > 0 && port <= 65535, `port ${port}`);
});

Deno.test("getpeername() and getsockname() on both ends of a connection", async () => {
  const { server, address } = listening();
  using _server = server;
  using client = socket();
  await client.connect(address);
  const [conn, peer] = await server.accept();
  using _conn = conn;
  assertEquals(client.getpeername(), address);
  assertEquals(conn.getsockname(), address);
  assertEquals(conn.getpeername(), peer);
  assertEquals(client.getsockname(), peer);
  assertEquals((peer as [string, number])[0], "127.0.0.1");
});

Deno.test("listen() without bind() binds an ephemeral port on all interfaces (0.0.0.0:0)", () => {
  // The test task grants loopback only, so the wildcard binding is refused,
  // and the error names the grant that would allow it.
  using sock = socket();
  const e = assertThrows(() => sock.listen(), PermissionError, /--allow-net=0\.0\.0\.0:0/);
  assertErrno(e, errno.EACCES);
});

Deno.test("connect() after bind() to port 0 gives up the ephemeral binding", async () => {
  const { server, address } = listening();
  using _server = server;
  using client = socket();
  client.bind(["127.0.0.1", 0]);
  await client.connect(address);
  const [conn] = await server.accept();
  conn.close();
  assertEquals(client.getpeername(), address);
});

Deno.test("connect() after bind() to a chosen port is refused as Deno cannot do it", async () => {
  const { server, address } = listening();
  using _server = server;
  using taken = socket();
  taken.bind(["127.0.0.1", 0]);
  const port = (taken.getsockname() as [string, number])[1];
  taken.close();
  using client = socket();
  client.bind(["127.0.0.1", port]);
  const e = await assertRejects(client.connect(address), OSError, /local address/);
  assertErrno(e, errno.EOPNOTSUPP);
});

// ---- the seed's flow --------------------------------------------------------

Deno.test("the seed's flow: bind, listen, accept, recv, send, close", async () => {
  using server = socket();
  server.bind(["127.0.0.1", 0]);
  server.listen(5);
  const address = server.getsockname() as [string, number];
  using client = socket();
  const connecting = client.connect(address);
  const [conn, peer] = await server.accept();
  await connecting;
  assertEquals(peer, client.getsockname());
  assertEquals(await client.send("hello"), 5);
  assertEquals(text(await recvAll(conn, 5)), "hello");
  await conn.sendall(new TextEncoder().encode("world"));
  assertEquals(text(await recvAll(client, 5)), "world");
  client.close();
  assertEquals((await conn.recv(10)).length, 0);
  conn.close();
  server.close();
});

Deno.test("recv() returns an empty Uint8Array at EOF, every time", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("last words");
  pair.client.close();
  assertEquals(text(await recvToEnd(pair.server)), "last words");
  const empty = await pair.server.recv(100);
  assert(empty instanceof Uint8Array);
  assertEquals(empty.length, 0);
  assertEquals((await pair.server.recv(100)).length, 0);
  assertEquals(await pair.server.recv_into(new Uint8Array(8)), 0);
});

Deno.test("recv(0) resolves empty at once", async () => {
  await using pair = await connectedPair();
  assertEquals((await pair.server.recv(0)).length, 0);
});

Deno.test("an 8 MiB sendall is read back intact", async () => {
  await using pair = await connectedPair();
  const data = pseudoRandomBytes(8 << 20, 7);
  const [, got] = await Promise.all([
    pair.client.sendall(data).then(() => pair.client.shutdown(SHUT_WR)),
    recvToEnd(pair.server),
  ]);
  assertEquals(got.length, data.length);
  assert(got.every((b, i) => b === data[i]), "bytes differ");
});

Deno.test("send() and sendall() take strings, Uint8Array, other views and ArrayBuffer", async () => {
  await using pair = await connectedPair();
  const u16 = new Uint16Array([0x0201, 0x0403]);
  const dv = new DataView(new Uint8Array([9, 8, 7, 6, 5]).buffer, 1, 3);
  const inputs: [Parameters<Socket["send"]>[0], number[]][] = [
    ["hé", [0x68, 0xc3, 0xa9]],
    [new Uint8Array([1, 2, 3]), [1, 2, 3]],
    [new Uint8Array([0, 1, 2, 3, 4]).subarray(2, 4), [2, 3]],
    [u16, Array.from(new Uint8Array(u16.buffer))],
    [dv, [8, 7, 6]],
    [new Int8Array([-1, 1]), [255, 1]],
    [new Uint8Array([4, 5]).buffer, [4, 5]],
  ];
  for (const [data, bytes] of inputs) {
    assertEquals(await pair.client.send(data), bytes.length);
    assertEquals(Array.from(await recvAll(pair.server, bytes.length)), bytes);
    assertEquals(await pair.client.sendall(data), undefined);
    assertEquals(Array.from(await recvAll(pair.server, bytes.length)), bytes);
  }
  assertEquals(await pair.client.send(""), 0);
  await pair.client.sendall(new Uint8Array(0));
});

Deno.test("MSG_PEEK returns data without consuming it", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("abcdef");
  const peeked = await pair.server.recv(3, MSG_PEEK);
  assertEquals(text(peeked), "abc");
  assertEquals(text(await pair.server.recv(3, MSG_PEEK)), "abc");
  assertEquals(text(await pair.server.recv(2)), "ab");
  // A peek waits for something, then sees all of what arrived (up to bufsize).
  await pair.client.sendall("gh");
  let seen = "";
  for (let i = 0; i < 50 && seen.length < 6; i++) {
    seen = text(await pair.server.recv(100, MSG_PEEK));
  }
  assertEquals(seen, "cdefgh");
  const buffer = new Uint8Array(4);
  assertEquals(await pair.server.recv_into(buffer, 0, MSG_PEEK), 4);
  assertEquals(text(buffer), "cdef");
  assertEquals(text(await recvAll(pair.server, 6)), "cdefgh");
  // Peek at EOF gives empty, as does recv.
  pair.client.close();
  assertEquals((await pair.server.recv(10, MSG_PEEK)).length, 0);
  assertEquals((await pair.server.recv(10)).length, 0);
});

Deno.test("MSG_WAITALL waits for every byte, or returns what came before EOF", async () => {
  await using pair = await connectedPair();
  const waiting = pair.server.recv(10, MSG_WAITALL);
  for (const piece of ["ab", "cde", "fghij", "k"]) await pair.client.sendall(piece);
  assertEquals(text(await waiting), "abcdefghij");
  assertEquals(text(await pair.server.recv(1)), "k");

  const buffer = new Uint8Array(12).fill(46);
  const into = pair.server.recv_into(buffer, 6, MSG_WAITALL);
  await pair.client.sendall("123");
  await pair.client.sendall("4567");
  assertEquals(await into, 6);
  assertEquals(text(buffer), "123456......");
  assertEquals(text(await pair.server.recv(1)), "7");

  // EOF before bufsize: only what arrived, no padding.
  await pair.client.sendall("xyz");
  await pair.client.shutdown(SHUT_WR);
  const short = await pair.server.recv(10, MSG_WAITALL);
  assertEquals(short.length, 3);
  assertEquals(text(short), "xyz");
  assertEquals((await pair.server.recv(10, MSG_WAITALL)).length, 0);
});

Deno.test("MSG_PEEK | MSG_WAITALL waits for every byte and consumes none, as Linux", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("abc");
  const peeking = pair.server.recv(10, MSG_PEEK | MSG_WAITALL);
  await pair.client.sendall("defghij");
  assertEquals(text(await peeking), "abcdefghij");
  const buffer = new Uint8Array(10);
  assertEquals(await pair.server.recv_into(buffer, 0, MSG_PEEK | MSG_WAITALL), 10);
  assertEquals(text(buffer), "abcdefghij");
  assertEquals(text(await pair.server.recv(10, MSG_WAITALL)), "abcdefghij");
  // A timeout mid-way takes nothing away.
  await pair.client.sendall("kl");
  pair.server.settimeout(0.05);
  await assertRejects(pair.server.recv(5, MSG_PEEK | MSG_WAITALL), TimeoutError);
  pair.server.settimeout(null);
  // The end of the stream ends the wait with what there is.
  await pair.client.sendall("m");
  await pair.client.shutdown(SHUT_WR);
  assertEquals(text(await pair.server.recv(20, MSG_PEEK | MSG_WAITALL)), "klm");
  assertEquals(text(await pair.server.recv(20, MSG_WAITALL)), "klm");
});

Deno.test("recv_into() fills the caller's buffer, honours nbytes and flags", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("0123456789");
  const buffer = new Uint8Array(8);
  const first = await pair.server.recv_into(buffer, 3);
  assertEquals(first, 3);
  assertEquals(text(buffer.subarray(0, 3)), "012");
  assertEquals(buffer[3], 0);
  // nbytes = 0 means the whole buffer; a DataView works too.
  const backing = new ArrayBuffer(10);
  const view = new DataView(backing, 2, 7);
  const got = await recvIntoAll(pair.server, view, 7);
  assertEquals(got, 7);
  assertEquals(text(new Uint8Array(backing, 2, 7)), "3456789");
  assertEquals(new Uint8Array(backing)[0], 0);
  assertEquals(new Uint8Array(backing)[9], 0);
  // nbytes larger than the buffer or negative is an error before any I/O.
  assertThrowsAsync(() => pair.server.recv_into(new Uint8Array(2), 3), RangeError, /nbytes|buffer/);
  assertThrowsAsync(() => pair.server.recv_into(new Uint8Array(2), -1), RangeError, /nbytes/);
  assertThrowsAsync(
    () => pair.server.recv_into("abc" as unknown as Uint8Array),
    TypeError,
    /buffer/,
  );
});

async function recvIntoAll(sock: Socket, view: ArrayBufferView, size: number): Promise<number> {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let got = 0;
  while (got < size) {
    const n = await sock.recv_into(bytes.subarray(got), size - got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Bad input must be rejected before any I/O: sync throw or rejected promise. */
function assertThrowsAsync(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => Error,
  match: RegExp,
): Promise<void> {
  let promise: Promise<unknown>;
  try {
    promise = fn();
  } catch (e) {
    assert(e instanceof type, `expected ${type.name}, got ${e}`);
    assert(match.test((e as Error).message), (e as Error).message);
    return Promise.resolve();
  }
  return assertRejects(promise, type, match).then(() => {});
}

// ---- half-close -------------------------------------------------------------

Deno.test("shutdown(SHUT_WR): the peer sees EOF and can still send back", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("request");
  await pair.client.shutdown(SHUT_WR);
  assertEquals(text(await recvToEnd(pair.server)), "request");
  await pair.server.sendall("response");
  pair.server.close();
  assertEquals(text(await recvToEnd(pair.client)), "response");
  // Writing after SHUT_WR is a broken pipe, as on Linux.
  const e = await assertRejects(pair.client.send("more"), BrokenPipeError);
  assertErrno(e, errno.EPIPE);
  await assertRejects(pair.client.sendall("more"), BrokenPipeError);
  // A second shutdown is harmless.
  await pair.client.shutdown(SHUT_WR);
});

Deno.test("shutdown(SHUT_RD): recv returns what was buffered, then empty; sending still works", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("hello");
  assertEquals(text(await pair.server.recv(5, MSG_PEEK)), "hello");
  await pair.server.shutdown(SHUT_RD);
  assertEquals(text(await pair.server.recv(10)), "hello");
  assertEquals((await pair.server.recv(10)).length, 0);
  await pair.server.sendall("back");
  assertEquals(text(await recvAll(pair.client, 4)), "back");
});

Deno.test("shutdown(SHUT_RD) returns bytes that arrived before it, not yet read", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("hello"); // on loopback, in the server's kernel buffer now
  await pair.server.shutdown(SHUT_RD);
  let got = "";
  for (let i = 0; i < 20 && got.length < 5; i++) {
    const part = await pair.server.recv(10);
    got += text(part);
    if (part.length === 0) break;
  }
  assertEquals(got, "hello");
  assertEquals((await pair.server.recv(10)).length, 0);
});

Deno.test("shutdown(SHUT_RDWR) ends both directions", async () => {
  await using pair = await connectedPair();
  await pair.server.shutdown(SHUT_RDWR);
  assertEquals((await pair.client.recv(10)).length, 0);
  assertEquals((await pair.server.recv(10)).length, 0);
  await assertRejects(pair.server.send("x"), BrokenPipeError);
});

// ---- connecting and accepting -----------------------------------------------

Deno.test("connect_ex() returns 0, or ECONNREFUSED (111 on Linux) when nothing listens", async () => {
  const { server, address } = listening();
  using client = socket();
  assertEquals(await client.connect_ex(address), 0);
  const [conn] = await server.accept();
  conn.close();
  server.close();

  using refused = socket();
  const code = await refused.connect_ex(address);
  assertEquals(code, errno.ECONNREFUSED);
  if (Deno.build.os === "linux") assertEquals(code, 111);
  // Port 0 is refused as Linux does (Deno itself calls it out of range).
  using zero = socket();
  assertEquals(await zero.connect_ex(["127.0.0.1", 0]), errno.ECONNREFUSED);
  using again = socket();
  const e = await assertRejects(again.connect(address), ConnectionRefusedError);
  assertErrno(e, errno.ECONNREFUSED);
  assert(e.cause instanceof Error, "keeps Deno's error as cause");
});

Deno.test("two connect() calls on one socket at once: both wait for the one attempt, as on Linux", async (t) => {
  await t.step("it succeeds: both resolve, the socket is connected once", async () => {
    const { server, address } = listening();
    using sock = socket();
    await Promise.all([sock.connect(address), sock.connect(address)]);
    const [conn] = await server.accept();
    assertEquals(sock.getpeername(), address);
    conn.close();
    server.close();
  });
  await t.step(
    "it fails: one gets the error, the other ECONNABORTED (Linux's sock_error)",
    async () => {
      const { server, address } = listening();
      server.close(); // nothing listens there now
      using sock = socket();
      const results = await Promise.allSettled([sock.connect(address), sock.connect(address)]);
      const codes = results.map((r) => r.status === "rejected" ? (r.reason as OSError).errno : 0);
      assertEquals(codes.toSorted(), [errno.ECONNREFUSED, errno.ECONNABORTED].toSorted());
    },
  );
});

Deno.test("connect() on a connected or listening socket is EISCONN", async () => {
  await using pair = await connectedPair();
  const address = pair.client.getpeername() as [string, number];
  assertErrno(await assertRejects(pair.client.connect(address), OSError), errno.EISCONN);
  assertEquals(await pair.client.connect_ex(address), errno.EISCONN);
  const { server } = listening();
  using _server = server;
  assertErrno(await assertRejects(server.connect(address), OSError), errno.EISCONN);
});

Deno.test("accept() before listen() is EINVAL; bind() twice is EINVAL", async () => {
  using sock = socket();
  assertErrno(await assertRejects(sock.accept(), OSError), errno.EINVAL);
  sock.bind(["127.0.0.1", 0]);
  assertErrno(await assertRejects(sock.accept(), OSError), errno.EINVAL);
  assertErrno(assertThrows(() => sock.bind(["127.0.0.1", 0]), OSError), errno.EINVAL);
  await using pair = await connectedPair();
  assertErrno(assertThrows(() => pair.client.bind(["127.0.0.1", 0]), OSError), errno.EINVAL);
  assertErrno(await assertRejects(pair.client.accept(), OSError), errno.EINVAL);
});

Deno.test("bind() to an address in use is EADDRINUSE (98 on Linux)", () => {
  const { server, address } = listening();
  using _server = server;
  using other = socket();
  const e = assertThrows(() => other.bind(address), OSError);
  assertErrno(e, errno.EADDRINUSE);
  if (Deno.build.os === "linux") assertEquals(e.errno, 98);
  // The failed socket is still usable.
  other.bind(["127.0.0.1", 0]);
});

Deno.test("ENOTCONN for recv, recv_into, getpeername and shutdown on an unconnected socket", async () => {
  using sock = socket();
  assertErrno(await assertRejects(sock.recv(1), OSError), errno.ENOTCONN);
  assertErrno(await assertRejects(sock.recv_into(new Uint8Array(1)), OSError), errno.ENOTCONN);
  assertErrno(assertThrows(() => sock.getpeername(), OSError), errno.ENOTCONN);
  assertErrno(await assertRejects(sock.shutdown(SHUT_WR), OSError), errno.ENOTCONN);
  // As Linux: send on an unconnected stream socket is a broken pipe.
  assertErrno(await assertRejects(sock.send("x"), BrokenPipeError), errno.EPIPE);
  assertErrno(await assertRejects(sock.sendall("x"), BrokenPipeError), errno.EPIPE);
  // A listening socket is not connected either.
  const { server } = listening();
  using _server = server;
  assertErrno(await assertRejects(server.recv(1), OSError), errno.ENOTCONN);
  assertErrno(assertThrows(() => server.getpeername(), OSError), errno.ENOTCONN);
});

Deno.test("shutdown() with a bad how is EINVAL", async () => {
  await using pair = await connectedPair();
  assertErrno(await assertRejects(pair.client.shutdown(5), OSError), errno.EINVAL);
  assertErrno(await assertRejects(pair.client.shutdown(-1), OSError), errno.EINVAL);
  using lone = socket();
  assertErrno(await assertRejects(lone.shutdown(3), OSError), errno.EINVAL);
});

Deno.test("for await (const [conn, addr] of server) accepts, and ends cleanly on close", async () => {
  const { server, address } = listening();
  const seen: unknown[] = [];
  let second!: () => void;
  const gotTwo = new Promise<void>((resolve) => second = resolve);
  const loop = (async () => {
    for await (const [conn, addr] of server) {
      seen.push(addr);
      await conn.sendall("hi");
      conn.close();
      if (seen.length === 2) second();
    }
    return "ended";
  })();
  for (let i = 0; i < 2; i++) {
    using client = socket();
    await client.connect(address);
    assertEquals(text(await recvAll(client, 2)), "hi");
    assertEquals(seen[i], client.getsockname());
  }
  await gotTwo;
  server.close();
  assertEquals(await loop, "ended");
});

Deno.test("a pending recv and a pending accept reject with OSError when another task closes", async () => {
  await using pair = await connectedPair();
  const reading = pair.server.recv(10);
  const peeking = pair.client.recv(10, MSG_PEEK);
  const { server } = listening();
  const accepting = server.accept();
  const iterating = server[Symbol.asyncIterator]().next();
  await Promise.resolve();
  queueMicrotask(() => {
    pair.server.close();
    pair.client.close();
    server.close();
  });
  for (const p of [reading, peeking, accepting]) {
    const e = await assertRejects(p, OSError);
    assertErrno(e, errno.EBADF);
  }
  assertEquals((await iterating).done, true);
});

Deno.test("calls nobody awaits do not become unhandled rejections when the socket closes", async () => {
  const pair = await connectedPair();
  const { server } = listening();
  // Started and abandoned: closing must not crash the process.
  pair.server.recv(10);
  pair.client.recv_into(new Uint8Array(4), 0, MSG_WAITALL);
  server.accept();
  pair.server.close();
  pair.client.close();
  server.close();
  // Let the rejections (if any went unhandled) surface within this test.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("every method of a closed socket is EBADF", async () => {
  await using pair = await connectedPair();
  const { server, address } = listening();
  const fresh = socket();
  for (const sock of [pair.client, server, fresh]) {
    sock.close();
    const sync: [string, () => unknown][] = [
      ["bind", () => sock.bind(["127.0.0.1", 0])],
      ["listen", () => sock.listen()],
      ["getsockname", () => sock.getsockname()],
      ["getpeername", () => sock.getpeername()],
      ["setsockopt", () => sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)],
      ["getsockopt", () => sock.getsockopt(SOL_SOCKET, SO_TYPE)],
      ["settimeout", () => sock.settimeout(1)],
      ["setblocking", () => sock.setblocking(false)],
    ];
    for (const [name, call] of sync) {
      const e = assertThrows(call, OSError);
      assertEquals(e.errno, errno.EBADF, `${name}: ${e.message}`);
    }
    const calls: [string, () => Promise<unknown>][] = [
      ["accept", () => sock.accept()],
      ["connect", () => sock.connect(address)],
      ["recv", () => sock.recv(1)],
      ["recv_into", () => sock.recv_into(new Uint8Array(1))],
      ["send", () => sock.send("x")],
      ["sendall", () => sock.sendall("x")],
      ["shutdown", () => sock.shutdown(SHUT_RDWR)],
    ];
    for (const [name, call] of calls) {
      const e = await assertRejects(call, OSError);
      assertEquals(e.errno, errno.EBADF, `${name}: ${e.message}`);
    }
    // As CPython: connect_ex reports EBADF as a number.
    assertEquals(await sock.connect_ex(address), errno.EBADF);
    assertEquals(sock.fileno(), -1);
    sock.gettimeout();
    sock.getblocking();
  }
  server.close();
});

// ---- options ----------------------------------------------------------------

Deno.test("setsockopt/getsockopt: TCP_NODELAY and SO_KEEPALIVE before and after connect", async () => {
  using lone = socket();
  assertEquals(lone.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
  assertEquals(lone.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
  lone.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  lone.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true);
  assertEquals(lone.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assertEquals(lone.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  lone.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 5); // any non-zero is on, as in C
  assertEquals(lone.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  lone.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
  assertEquals(lone.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);

  await using pair = await connectedPair();
  for (const sock of [pair.client, pair.server]) {
    sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
    assertEquals(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
  }
  await pair.client.sendall("still works");
  assertEquals(text(await recvAll(pair.server, 11)), "still works");
});

Deno.test("setsockopt: options set on a listener are inherited by accepted sockets", async () => {
  const { server, address } = listening();
  using _server = server;
  server.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  using client = socket();
  await client.connect(address);
  const [conn] = await server.accept();
  using _conn = conn;
  assertEquals(conn.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
});

Deno.test("SO_REUSEADDR: on is accepted, off cannot be honoured (ENOPROTOOPT)", () => {
  using sock = socket();
  assertEquals(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
  sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  assertEquals(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  assertErrno(
    assertThrows(() => sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 0), OSError),
    errno.ENOPROTOOPT,
  );
  sock.bind(["127.0.0.1", 0]);
});

Deno.test("SO_REUSEPORT lets two sockets bind the same port (with --unstable-net)", () => {
  using a = socket();
  a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  assertEquals(a.getsockopt(SOL_SOCKET, SO_REUSEPORT), 1);
  a.bind(["127.0.0.1", 0]);
  a.listen();
  using b = socket();
  b.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  b.bind(a.getsockname() as [string, number]);
  b.listen();
  assertEquals(b.getsockname(), a.getsockname());
  // Without it on the second socket, the port is in use.
  using c = socket();
  assertErrno(
    assertThrows(() => c.bind(a.getsockname() as [string, number]), OSError),
    errno.EADDRINUSE,
  );
});

Deno.test("SO_TYPE and SO_ERROR read back; they cannot be set", async () => {
  using sock = socket();
  assertEquals(sock.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  assertEquals(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  assertErrno(
    assertThrows(() => sock.setsockopt(SOL_SOCKET, SO_TYPE, 1), OSError),
    errno.ENOPROTOOPT,
  );
  await using pair = await connectedPair();
  assertEquals(pair.client.getsockopt(SOL_SOCKET, SO_ERROR), 0);
});

Deno.test("options Deno cannot honour are ENOPROTOOPT, never a silent no-op", () => {
  using sock = socket();
  for (const option of [SO_RCVBUF, SO_SNDBUF, 999]) {
    assertErrno(
      assertThrows(() => sock.setsockopt(SOL_SOCKET, option, 65536), OSError),
      errno.ENOPROTOOPT,
    );
    assertErrno(
      assertThrows(() => sock.getsockopt(SOL_SOCKET, option), OSError),
      errno.ENOPROTOOPT,
    );
  }
  assertErrno(assertThrows(() => sock.setsockopt(IPPROTO_TCP, 99, 1), OSError), errno.ENOPROTOOPT);
  assertThrows(
    () => sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, "yes" as unknown as number),
    TypeError,
    /value/,
  );
  assertThrows(() => sock.getsockopt("1" as unknown as number, SO_TYPE), TypeError, /level/);
});

// ---- bad input --------------------------------------------------------------

Deno.test("bad addresses are TypeError/RangeError naming the argument, before any I/O", async () => {
  using sock = socket();
  assertThrows(() => sock.bind(["127.0.0.1", 65536]), RangeError, /port/);
  assertThrows(() => sock.bind(["127.0.0.1", -1]), RangeError, /port/);
  const notInteger = assertThrows(() => sock.bind(["127.0.0.1", 80.5]), Error, /port/);
  assert(notInteger instanceof TypeError || notInteger instanceof RangeError);
  assertThrows(() => sock.bind(["127.0.0.1", "80" as unknown as number]), TypeError, /port/);
  assertThrows(() => sock.bind(["127.0.0.1"] as unknown as [string, number]), TypeError, /address/);
  assertThrows(() => sock.bind("127.0.0.1:80"), TypeError, /address/);
  assertThrows(() => sock.bind([1, 80] as unknown as [string, number]), TypeError, /host/);
  assertThrows(
    () => sock.bind(["127.0.0.1", 80, 0, 0] as unknown as [string, number]),
    TypeError,
    /address/,
  );
  await assertThrowsAsync(() => sock.connect(["127.0.0.1", 70000]), RangeError, /port/);
  await assertThrowsAsync(() => sock.connect_ex(["127.0.0.1", -5]), RangeError, /port/);
  using six = socket(AF_INET6);
  assertThrows(() => six.bind(["::1"] as unknown as [string, number]), TypeError, /address/);
  assertThrows(
    () => six.bind(["::1", 0, 0, 0, 0] as unknown as [string, number]),
    TypeError,
    /address/,
  );
  assertThrows(() => six.bind("::1"), TypeError, /address/);
  using unix = socket(AF_UNIX);
  assertThrows(() => unix.bind(["/tmp/x", 0] as unknown as string), TypeError, /address|path/);
  // Nothing was bound by any of that.
  assertEquals(sock.getsockname(), ["0.0.0.0", 0]);
});

Deno.test("bad data, bufsize, flags and backlog are rejected naming the argument", async () => {
  await using pair = await connectedPair();
  const c = pair.client;
  await assertThrowsAsync(() => c.send(123 as unknown as string), TypeError, /data/);
  await assertThrowsAsync(() => c.sendall({} as unknown as string), TypeError, /data/);
  await assertThrowsAsync(() => c.send(null as unknown as string), TypeError, /data/);
  await assertThrowsAsync(() => c.recv(-1), RangeError, /bufsize/);
  await assertThrowsAsync(() => c.recv(1.5), TypeError, /bufsize/);
  await assertThrowsAsync(() => c.recv("10" as unknown as number), TypeError, /bufsize/);
  await assertThrowsAsync(() => c.recv(10, 0x8000), RangeError, /flags/);
  await assertThrowsAsync(() => c.recv(10, -1), RangeError, /flags/);
  await assertThrowsAsync(() => c.send("x", MSG_PEEK), RangeError, /flags/);
  await assertThrowsAsync(() => c.sendall("x", MSG_WAITALL), RangeError, /flags/);
  await assertThrowsAsync(() => c.recv_into(new Uint8Array(4), 0, 0x8000), RangeError, /flags/);
  using lone = socket();
  assertThrows(() => lone.listen("5" as unknown as number), TypeError, /backlog/);
  // Nothing was sent by any of that.
  await c.sendall("ok");
  assertEquals(text(await recvAll(pair.server, 2)), "ok");
});

// ---- IPv6 and Unix ----------------------------------------------------------

Deno.test("AF_INET6 on [::1]: 4-tuple addresses, exchange, connect_ex", async () => {
  using server = socket(AF_INET6);
  server.bind(["::1", 0]);
  server.listen();
  const name = server.getsockname() as [string, number, number, number];
  assertEquals(name.length, 4);
  assertEquals([name[0], name[2], name[3]], ["::1", 0, 0]);
  using client = socket(AF_INET6);
  await client.connect(["::1", name[1], 0, 0]);
  const [conn, peer] = await server.accept();
  using _conn = conn;
  assertEquals(peer, client.getsockname());
  assertEquals((peer as unknown[]).length, 4);
  assertEquals(client.getpeername(), name);
  await client.sendall("over six");
  assertEquals(text(await recvAll(conn, 8)), "over six");
  server.close();
  using refused = socket(AF_INET6);
  assertEquals(await refused.connect_ex(["::1", name[1]]), errno.ECONNREFUSED);
});

Deno.test("AF_UNIX stream sockets: path addresses, exchange, half-close", async () => {
  const path = await freshUnixPath(UNIX_PATHS[0]);
  using server = socket(AF_UNIX);
  server.bind(path);
  server.listen();
  assertEquals(server.getsockname(), path);
  using client = socket(AF_UNIX);
  assertEquals(client.getsockname(), "");
  await client.connect(path);
  const [conn, peer] = await server.accept();
  using _conn = conn;
  assertEquals(peer, "");
  assertEquals(client.getpeername(), path);
  assertEquals(conn.getsockname(), path);
  await client.sendall("unix bytes");
  await client.shutdown(SHUT_WR);
  assertEquals(text(await recvToEnd(conn)), "unix bytes");
  await conn.sendall("reply");
  conn.close();
  assertEquals(text(await recvToEnd(client)), "reply");
  assertErrno(
    assertThrows(() => client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1), OSError),
    errno.EOPNOTSUPP,
  );
  server.close();
  await Deno.remove(path).catch(() => {});
});

Deno.test("AF_UNIX: listen() before bind() is EINVAL; a missing path is FileNotFoundError", async () => {
  const path = await freshUnixPath(UNIX_PATHS[1]);
  using sock = socket(AF_UNIX);
  assertErrno(assertThrows(() => sock.listen(), OSError), errno.EINVAL);
  using client = socket(AF_UNIX);
  const e = await assertRejects(client.connect(path), OSError);
  assertErrno(e, errno.ENOENT);
  assertEquals(e.name, "FileNotFoundError");
  // Deno cannot connect from a bound Unix path; the error names the binding.
  using bound = socket(AF_UNIX);
  bound.bind(path);
  const e2 = await assertRejects(bound.connect(UNIX_PATHS[0]), OSError, /bound to unix:\/tmp\//);
  assertErrno(e2, errno.EOPNOTSUPP);
});
