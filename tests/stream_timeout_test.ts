/**
 * Stream sockets: timeouts, non-blocking mode, MSG_DONTWAIT and abort
 * signals, and the promise that goes with them: nothing that arrives after
 * a call gave up (bytes or connections) is lost; the next call returns it,
 * in order.
 */

import {
  BlockingIOError,
  errno,
  getdefaulttimeout,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  OSError,
  setdefaulttimeout,
  SHUT_WR,
  SO_ERROR,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertRejects,
  assertThrows,
  concat,
  connectedPair,
  listening,
  pseudoRandomBytes,
  recvAll,
  text,
} from "./_util.ts";

// ---- settings ---------------------------------------------------------------

Deno.test("settimeout/gettimeout/setblocking/getblocking follow Python", () => {
  using sock = socket();
  assertEquals(sock.gettimeout(), null);
  assertEquals(sock.getblocking(), true);
  sock.settimeout(2.5);
  assertEquals([sock.gettimeout(), sock.getblocking()], [2.5, true]);
  sock.settimeout(0);
  assertEquals([sock.gettimeout(), sock.getblocking()], [0, false]);
  sock.settimeout(null);
  assertEquals([sock.gettimeout(), sock.getblocking()], [null, true]);
  sock.setblocking(false);
  assertEquals([sock.gettimeout(), sock.getblocking()], [0, false]);
  sock.setblocking(true);
  assertEquals([sock.gettimeout(), sock.getblocking()], [null, true]);
  sock.settimeout(1);
  sock.setblocking(true); // drops the timeout, as Python
  assertEquals(sock.gettimeout(), null);
  assertThrows(() => sock.settimeout(-1), RangeError, /timeout/);
  assertThrows(() => sock.settimeout(-0.001), RangeError, /timeout/);
  assertThrows(() => sock.settimeout("1" as unknown as number), TypeError, /timeout/);
  assertThrows(() => sock.settimeout(NaN), Error, /timeout/);
  assertEquals(sock.gettimeout(), null, "a rejected value changes nothing");
});

Deno.test("setdefaulttimeout applies to new and accepted sockets, not to existing ones", async () => {
  assertEquals(getdefaulttimeout(), null);
  using before = socket();
  try {
    setdefaulttimeout(3);
    assertEquals(getdefaulttimeout(), 3);
    using after = socket();
    assertEquals(after.gettimeout(), 3);
    assertEquals(before.gettimeout(), null);
    const { server, address } = listening();
    using _server = server;
    server.settimeout(null);
    using client = socket();
    await client.connect(address);
    const [conn] = await server.accept();
    using _conn = conn;
    assertEquals(conn.gettimeout(), 3);
    setdefaulttimeout(0);
    using nonblocking = socket();
    assertEquals(nonblocking.getblocking(), false);
    assertThrows(() => setdefaulttimeout(-1), RangeError, /timeout/);
    assertThrows(() => setdefaulttimeout("2" as unknown as number), TypeError, /timeout/);
    assertEquals(getdefaulttimeout(), 0);
  } finally {
    setdefaulttimeout(null);
  }
  assertEquals(getdefaulttimeout(), null);
});

Deno.test("a timeout beyond what a timer holds (24.8 days) waits without spinning; Infinity is refused", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(1e7); // 115 days
  const original = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    const pending = pair.server.recv(10);
    await new Promise((resolve) => original(resolve, 50));
    await pair.client.sendall("late");
    assertEquals(text(await pending), "late");
  } finally {
    globalThis.setTimeout = original;
  }
  assertLessOrEqual(armed, 3, `the timer was armed ${armed} times in 50 ms`);
  assertThrows(() => pair.server.settimeout(Infinity), RangeError, /timeout/);
  assertThrows(() => setdefaulttimeout(Infinity), RangeError, /timeout/);
  assertEquals(pair.server.gettimeout(), 1e7);
});

// ---- recv: nothing lost -----------------------------------------------------

Deno.test("recv: data that arrives after a TimeoutError is returned by the next recv, in order", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.05);
  const started = performance.now();
  const e = await assertRejects(pair.server.recv(100), TimeoutError, /timed out/);
  const elapsed = performance.now() - started;
  assert(elapsed >= 40 && elapsed < 1000, `timed out after ${elapsed} ms`);
  assertEquals(e.errno, null);
  assert(e instanceof OSError);
  await assertRejects(pair.server.recv(100), TimeoutError); // twice, still nothing lost
  await pair.client.sendall("first ");
  await pair.client.sendall("second");
  pair.client.close();
  pair.server.settimeout(null);
  assertEquals(text(await recvAll(pair.server, 100)), "first second");
});

Deno.test("recv_into: after a TimeoutError the abandoned buffer is left alone; the bytes go to the next call", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.05);
  const abandoned = new Uint8Array(16).fill(46);
  await assertRejects(pair.server.recv_into(abandoned), TimeoutError);
  await pair.client.sendall("fresh");
  const next = new Uint8Array(16);
  pair.server.settimeout(null);
  let got = 0;
  for (let i = 0; i < 5 && got < 5; i++) got += await pair.server.recv_into(next.subarray(got));
  assertEquals(text(next.subarray(0, got)), "fresh");
  assertEquals(text(abandoned), "................", "the timed-out call's buffer was written");
});

Deno.test("recv: data that arrives after a BlockingIOError is returned by the next recv", async () => {
  await using pair = await connectedPair();
  pair.server.setblocking(false);
  const e = await assertRejects(pair.server.recv(100), BlockingIOError);
  assertEquals(e.errno, errno.EAGAIN);
  await assertRejects(pair.server.recv_into(new Uint8Array(4)), BlockingIOError);
  await pair.client.sendall("abc");
  // Non-blocking and ready: succeeds at once (no waiting for a timeout).
  assertEquals(text(await pair.server.recv(100)), "abc");
  await assertRejects(pair.server.recv(100), BlockingIOError);
  await pair.client.sendall("def");
  const buffer = new Uint8Array(8);
  assertEquals(await pair.server.recv_into(buffer), 3);
  assertEquals(text(buffer.subarray(0, 3)), "def");
  pair.client.close();
  assertEquals((await pair.server.recv(100)).length, 0, "EOF is not a BlockingIOError");
});

Deno.test("recv: MSG_DONTWAIT makes one call non-blocking and loses nothing", async () => {
  await using pair = await connectedPair();
  await assertRejects(pair.server.recv(10, MSG_DONTWAIT), BlockingIOError);
  await assertRejects(pair.server.recv(10, MSG_DONTWAIT | MSG_PEEK), BlockingIOError);
  assertEquals(pair.server.getblocking(), true);
  await pair.client.sendall("xyz");
  assertEquals(text(await pair.server.recv(10, MSG_DONTWAIT | MSG_PEEK)), "xyz");
  assertEquals(text(await pair.server.recv(2, MSG_DONTWAIT)), "xy");
  assertEquals(text(await pair.server.recv(10)), "z");
});

Deno.test("recv: non-blocking MSG_WAITALL returns what is there, as Linux; nothing there is BlockingIOError", async () => {
  await using pair = await connectedPair();
  await assertRejects(pair.server.recv(10, MSG_DONTWAIT | MSG_WAITALL), BlockingIOError);
  await pair.client.sendall("abc");
  assertEquals(text(await pair.server.recv(10, MSG_DONTWAIT | MSG_WAITALL)), "abc");
  pair.server.setblocking(false);
  await pair.client.sendall("def");
  const buffer = new Uint8Array(10);
  assertEquals(await pair.server.recv_into(buffer, 0, MSG_WAITALL), 3);
  assertEquals(text(buffer.subarray(0, 3)), "def");
  await assertRejects(pair.server.recv(10, MSG_WAITALL), BlockingIOError);
  await pair.client.sendall("ghi");
  assertEquals(text(await pair.server.recv(10, MSG_PEEK | MSG_WAITALL)), "ghi");
  assertEquals(text(await pair.server.recv(10)), "ghi");
});

Deno.test("recv: an abort rejects with the signal's reason and loses no data", async () => {
  await using pair = await connectedPair();
  const controller = new AbortController();
  const pending = pair.server.recv(100, { signal: controller.signal });
  const reason = new Error("stop waiting");
  controller.abort(reason);
  assertEquals(await pending.catch((e) => e), reason);
  // A signal already aborted rejects at once; flags may come before options.
  const done = AbortSignal.abort("already");
  assertEquals(await pair.server.recv(100, 0, { signal: done }).catch((e) => e), "already");
  assertEquals(
    await pair.server.recv_into(new Uint8Array(4), 0, 0, { signal: done }).catch((e) => e),
    "already",
  );
  await pair.client.sendall("after abort");
  // A signal that never fires does not get in the way.
  const idle = new AbortController();
  assertEquals(text(await recvAll(pair.server, 11)), "after abort");
  await pair.client.sendall("!");
  assertEquals(text(await pair.server.recv(10, { signal: idle.signal })), "!");
  await assertRejects(
    pair.server.recv(1, { signal: "x" as unknown as AbortSignal }),
    TypeError,
    /signal/,
  );
});

Deno.test("recv: MSG_WAITALL that times out mid-way loses nothing", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.1);
  await pair.client.sendall("abc");
  await assertRejects(pair.server.recv(10, MSG_WAITALL), TimeoutError);
  await pair.client.sendall("defg");
  await assertRejects(pair.server.recv_into(new Uint8Array(10), 10, MSG_WAITALL), TimeoutError);
  await pair.client.sendall("hij");
  assertEquals(text(await pair.server.recv(10, MSG_WAITALL)), "abcdefghij");
  // And aborted mid-way, likewise.
  const controller = new AbortController();
  pair.server.settimeout(null);
  const waiting = pair.server.recv(6, MSG_WAITALL, { signal: controller.signal });
  await pair.client.sendall("123");
  // Whether or not the waiting call has taken "123" yet, the abort gives it back.
  controller.abort(new Error("enough"));
  await assertRejects(waiting, Error, /enough/);
  await pair.client.sendall("456");
  assertEquals(text(await pair.server.recv(6, MSG_WAITALL)), "123456");
});

Deno.test("recv: interleaved timeouts and arrivals keep the byte order over many rounds", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.01);
  const sent: number[] = [];
  const got: number[] = [];
  for (let round = 0; round < 30; round++) {
    const chunk = pseudoRandomBytes(1 + (round * 37) % 500, round + 1);
    sent.push(...chunk);
    await pair.client.sendall(chunk);
    for (let tries = 0; tries < 5; tries++) {
      try {
        got.push(...await pair.server.recv(64));
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
      }
    }
  }
  pair.client.close();
  pair.server.settimeout(null);
  got.push(...await recvAll(pair.server, 1 << 20, 1 << 20));
  assertEquals(got.length, sent.length);
  assertEquals(got, sent);
});

// ---- accept: nothing lost ---------------------------------------------------

Deno.test("accept: a connection after a TimeoutError is returned by the next accept", async () => {
  const { server, address } = listening();
  using _server = server;
  server.settimeout(0.05);
  await assertRejects(server.accept(), TimeoutError);
  using client = socket();
  await client.connect(address);
  await client.sendall("hello");
  server.settimeout(null);
  const [conn, peer] = await server.accept();
  using _conn = conn;
  assertEquals(peer, client.getsockname());
  assertEquals(text(await recvAll(conn, 5)), "hello");
});

Deno.test("accept: a connection after a BlockingIOError is returned at once when ready", async () => {
  const { server, address } = listening();
  using _server = server;
  server.setblocking(false);
  const e = await assertRejects(server.accept(), BlockingIOError);
  assertEquals(e.errno, errno.EAGAIN);
  using first = socket();
  using second = socket();
  await first.connect(address);
  await second.connect(address);
  const accepted: unknown[] = [];
  for (let i = 0; i < 20 && accepted.length < 2; i++) {
    try {
      const [conn, peer] = await server.accept();
      // As CPython on Linux: the accepted socket is blocking (default timeout).
      assertEquals(conn.gettimeout(), null);
      conn.close();
      accepted.push(peer);
    } catch (e) {
      if (!(e instanceof BlockingIOError)) throw e;
    }
  }
  assertEquals(accepted, [first.getsockname(), second.getsockname()]);
  await assertRejects(server.accept(), BlockingIOError);
});

Deno.test("accept: a connection after an abort is returned by the next accept", async () => {
  const { server, address } = listening();
  using _server = server;
  const controller = new AbortController();
  const pending = server.accept({ signal: controller.signal });
  controller.abort();
  const e = await pending.catch((e) => e);
  assertEquals((e as Error).name, "AbortError");
  using client = socket();
  await client.connect(address);
  const [conn, peer] = await server.accept();
  conn.close();
  assertEquals(peer, client.getsockname());
});

// ---- connect ----------------------------------------------------------------

Deno.test("connect: non-blocking gives EINPROGRESS, then EALREADY, 0 once, then EISCONN (as Linux); connect_ex mirrors it", async () => {
  const { server, address } = listening();
  using _server = server;
  using client = socket();
  client.setblocking(false);
  let code = await client.connect_ex(address);
  assertEquals(code, errno.EINPROGRESS);
  const seen: number[] = [];
  let conn: Socket | null = null;
  for (let i = 0; i < 100 && code !== errno.EISCONN; i++) {
    code = await client.connect_ex(address);
    seen.push(code);
    assert([errno.EALREADY, 0, errno.EISCONN].includes(code), `then ${code}`);
    if (code === errno.EALREADY && !conn) [conn] = await server.accept();
  }
  assertEquals(code, errno.EISCONN);
  assertEquals(seen.filter((c) => c !== errno.EALREADY), [0, errno.EISCONN]);
  conn ??= (await server.accept())[0];
  conn.close();
});

Deno.test("connect: a refused non-blocking connect reports ECONNREFUSED through SO_ERROR, once", async () => {
  const { server, address } = listening();
  server.close();
  using client = socket();
  client.setblocking(false);
  const first = await client.connect_ex(address);
  if (first === errno.ECONNREFUSED) return; // finished within the first macrotask
  assertEquals(first, errno.EINPROGRESS);
  let code = 0;
  // Bounded poll, as a Python program would poll SO_ERROR after select().
  for (let i = 0; i < 400 && code === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    code = client.getsockopt(SOL_SOCKET, SO_ERROR);
  }
  assertEquals(code, errno.ECONNREFUSED);
  assertEquals(client.getsockopt(SOL_SOCKET, SO_ERROR), 0, "reading SO_ERROR clears it");
});

Deno.test("connect: an aborted connect rejects with the reason; a later connect finishes it", async () => {
  const { server, address } = listening();
  using _server = server;
  using client = socket();
  assertEquals(
    await client.connect(address, { signal: AbortSignal.abort("nope") }).catch((e) => e),
    "nope",
  );
  await client.connect(address);
  const [conn] = await server.accept();
  conn.close();
});

// ---- send -------------------------------------------------------------------

Deno.test("sendall: the timeout bounds the whole call, not each write", async () => {
  await using pair = await connectedPair();
  // The peer drains slowly but steadily, so every single write makes progress.
  let draining = true;
  const drain = (async () => {
    while (draining) {
      const part = await pair.server.recv(16384).catch(() => new Uint8Array(0));
      if (part.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  pair.client.settimeout(0.3);
  const started = performance.now();
  await assertRejects(pair.client.sendall(new Uint8Array(64 << 20)), TimeoutError);
  const elapsed = performance.now() - started;
  assert(elapsed >= 250, `gave up after only ${elapsed} ms`);
  assertLessOrEqual(elapsed, 3000); // a timeout per write would take ~20 s here
  draining = false;
  pair.server.close();
  pair.client.close();
  await drain;
});

Deno.test("sendall: two timed calls at once both finish, and both time out when the peer stops reading", async (t) => {
  // The first call uses the socket's own timed-write slot, the second (made
  // while the first is in flight) the shared timer's list: both must end.
  await t.step("the peer reads: every byte of both arrives", async () => {
    await using pair = await connectedPair();
    pair.client.settimeout(5);
    const size = 4 << 20;
    const received = recvAll(pair.server, 2 * size);
    await Promise.all([
      pair.client.sendall(new Uint8Array(size)),
      pair.client.sendall(new Uint8Array(size)),
    ]);
    assertEquals((await received).length, 2 * size);
  });
  await t.step("the peer never reads: both reject with TimeoutError", async () => {
    await using pair = await connectedPair();
    pair.client.settimeout(0.2);
    const first = pair.client.sendall(new Uint8Array(32 << 20));
    const second = pair.client.sendall(new Uint8Array(32 << 20));
    await assertRejects(() => first, TimeoutError);
    await assertRejects(() => second, TimeoutError);
  });
});

Deno.test("send: non-blocking counts what Deno has in flight as taken; nothing lost or doubled", async () => {
  await using pair = await connectedPair();
  pair.client.setblocking(false);
  const sent: Uint8Array[] = [];
  let blocked = false;
  for (let i = 0; i < 200 && !blocked; i++) {
    const chunk = pseudoRandomBytes(256 << 10, i + 1);
    try {
      const n = await pair.client.send(chunk);
      assert(n > 0 && n <= chunk.length);
      sent.push(chunk.subarray(0, n));
    } catch (e) {
      if (!(e instanceof BlockingIOError)) throw e;
      blocked = true;
    }
  }
  assert(blocked, "the peer never filled up");
  const expected = concat(sent);
  pair.client.setblocking(true);
  const [got] = await Promise.all([
    recvAll(pair.server, expected.length + 3, 1 << 20),
    pair.client.sendall("END").then(() => pair.client.close()),
  ]);
  assertEquals(got.length, expected.length + 3);
  assert(got.subarray(0, expected.length).every((b, i) => b === expected[i]), "bytes differ");
  assertEquals(text(got.subarray(expected.length)), "END");
});

Deno.test("shutdown(SHUT_WR) after a timed-out send does not wait for the peer; EOF follows the bytes", async () => {
  await using pair = await connectedPair();
  pair.client.settimeout(0.05);
  const data = pseudoRandomBytes(16 << 20, 9);
  let taken = 0;
  for (let i = 0; i < 8 && taken < data.length; i++) {
    try {
      taken += await pair.client.send(data.subarray(taken));
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      break; // the earlier send's bytes are still being written
    }
  }
  assert(taken > 0);
  // Python's shutdown never blocks: the end of stream queues behind the data.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => timer = setTimeout(() => resolve("late"), 2000));
  const outcome = await Promise.race([pair.client.shutdown(SHUT_WR).then(() => "done"), late]);
  clearTimeout(timer);
  assertEquals(outcome, "done", "shutdown waited for the peer to read");
  const got = await recvAll(pair.server, data.length + 1, 1 << 20);
  assertEquals(got.length, taken);
  assert(got.every((b, i) => b === data[i]), "bytes differ");
});

Deno.test("close() right after a send that counted in-flight bytes as taken still delivers them", async () => {
  const pair = await connectedPair();
  pair.client.settimeout(0.05);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) {
    const chunk = pseudoRandomBytes(4 << 20, 100 + i);
    try {
      sent.push(chunk.subarray(0, await pair.client.send(chunk)));
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      break; // the peer's buffers are full and a taken write is still running
    }
  }
  pair.client.close(); // as in Python, what send() took is still delivered
  const expected = concat(sent);
  const got = await recvAll(pair.server, expected.length + 1, 1 << 20);
  pair.server.close();
  assertEquals(got.length, expected.length);
  assert(got.every((b, i) => b === expected[i]), "bytes differ");
});

Deno.test("send: an abort rejects with the reason; later sends still arrive in order", async () => {
  await using pair = await connectedPair();
  assertEquals(
    await pair.client.send("x", { signal: AbortSignal.abort("no") }).catch((e) => e),
    "no",
  );
  await pair.client.send("a", { signal: new AbortController().signal });
  await pair.client.sendall("bc", 0, { signal: new AbortController().signal });
  pair.client.close();
  assertEquals(text(await recvAll(pair.server, 10)), "abc");
});
