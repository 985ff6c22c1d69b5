import {
  AF_INET,
  BlockingIOError,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  KeyError,
  OSError,
  select,
  SOCK_DGRAM,
  type Socket,
  socket,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertRejects,
  assertThrows,
  connectedPair,
  listening,
  pseudoRandomBytes,
  python,
  text,
} from "./_util.ts";

Deno.test("select: rlist with data, then a non-blocking recv gets exactly it", async () => {
  await using pair = await connectedPair();
  const { client, server } = pair;
  assertEquals(await select([server], [], [], 0), [[], [], []]);
  await client.sendall("hello");
  const [readable] = await select([server], [], [], 5);
  assertEquals(readable, [server]);
  server.setblocking(false);
  assertEquals(text(await server.recv(100)), "hello");
  await assertRejects(server.recv(100), BlockingIOError);
  // Still readable-then-recv for every later message, in order, nothing twice.
  for (let i = 0; i < 50; i++) {
    await client.sendall(`m${i};`);
    assertEquals((await select([server], [], [], 5))[0], [server]);
    assertEquals(text(await server.recv(100)), `m${i};`);
  }
});

Deno.test("select: a listening socket is readable with a pending connection; accept is then ready", async () => {
  const { server, address } = listening();
  try {
    assertEquals(await select([server], [server], [server], 0), [[], [], []]);
    await using client = socket();
    await client.connect(address);
    assertEquals((await select([server], [], [], 5))[0], [server]);
    server.setblocking(false);
    const [conn] = await server.accept();
    conn.close();
    await assertRejects(server.accept(), BlockingIOError);
  } finally {
    server.close();
  }
});

python.test("select: each list with timeout 0, as CPython reports it (fresh, idle, at the end)", async () => {
  const expected = await python(`
import socket, select
def lists(s):
    return [len(select.select([s], [], [], 0)[0]), len(select.select([], [s], [], 0)[1]),
            len(select.select([], [], [s], 0)[2])]
s = socket.socket()
fresh = lists(s)
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
idle = lists(a)
c.shutdown(socket.SHUT_WR)
eof = lists(a)
print(fresh, idle, eof)`);
  const lists = async (s: Socket) =>
    `[${
      [
        (await select([s], [], [], 0))[0].length,
        (await select([], [s], [], 0))[1].length,
        (await select([], [], [s], 0))[2].length,
      ].join(", ")
    }]`;
  using fresh = socket();
  await using pair = await connectedPair();
  const f = await lists(fresh);
  const idle = await lists(pair.server);
  await pair.client.shutdown(1);
  const eof = await lists(pair.server);
  assertEquals(`${f} ${idle} ${eof}`, expected.trim());
  assertEquals((await pair.server.recv(10)).length, 0);
});

Deno.test("select: timeout 0 does not wait, a timeout bounds the wait", async () => {
  await using pair = await connectedPair();
  let start = performance.now();
  assertEquals(await select([pair.server], [], [], 0), [[], [], []]);
  assert(performance.now() - start < 500);
  start = performance.now();
  assertEquals(await select([pair.server], [], [], 0.05), [[], [], []]);
  assertGreaterOrEqual(performance.now() - start, 45);
});

Deno.test("select: fileno numbers and makefile files are accepted; bad entries fail like CPython", async () => {
  await using pair = await connectedPair();
  await using f = pair.server.makefile("rb");
  await pair.client.sendall("x\n");
  const [readable] = await select([f, pair.server.fileno()], [], [], 5);
  assertEquals(readable.length, 2);
  assertEquals(text(await f.readline()), "x\n");
  const closed = socket();
  closed.close();
  await assertRejects(select([closed], [], [], 0), RangeError, /negative/);
  await assertRejects(select([1_000_000], [], [], 0), OSError);
  await assertRejects(select([], [], [], -1), RangeError, /non-negative/);
  await assertRejects(select([{}] as never[], [], [], 0), TypeError);
});

Deno.test("select: data that arrives in bursts is read once, in order", async () => {
  await using pair = await connectedPair();
  const data = pseudoRandomBytes(200_000, 7);
  const sending = (async () => {
    for (let off = 0; off < data.length; off += 7_919) {
      await pair.client.sendall(data.subarray(off, off + 7_919));
    }
    await pair.client.shutdown(1);
  })();
  pair.server.setblocking(false);
  const got: Uint8Array[] = [];
  let size = 0;
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const [r] = await select([pair.server], [], [], 5);
    assertEquals(r.length, 1);
    const part = await pair.server.recv(3_000);
    if (part.length === 0) break;
    got.push(part);
    size += part.length;
  }
  await sending;
  assertEquals(size, data.length);
  const joined = new Uint8Array(size);
  let off = 0;
  for (const part of got) {
    joined.set(part, off);
    off += part.length;
  }
  assertEquals(joined, data);
});

Deno.test("DefaultSelector: 200 registered sockets, only the ones written to are reported", async () => {
  const { server, address } = listening();
  const clients: Socket[] = [];
  const conns: Socket[] = [];
  using sel = new DefaultSelector<number>();
  try {
    for (let i = 0; i < 200; i++) {
      const client = socket();
      clients.push(client);
      await client.connect(address);
      const [conn] = await server.accept();
      conn.setblocking(false);
      conns.push(conn);
      sel.register(conn, EVENT_READ, i);
    }
    assertEquals(sel.get_map().size, 200);
    assertEquals(await sel.select(0), []);
    const chosen = new Set<number>();
    for (let i = 0; i < 200; i += 7) chosen.add(i);
    for (const i of chosen) await clients[i].sendall(`to ${i}`);
    const seen = new Set<number>();
    for (let rounds = 0; rounds < 1000 && seen.size < chosen.size; rounds++) {
      for (const [key, events] of await sel.select(5)) {
        assertEquals(events, EVENT_READ);
        assert(chosen.has(key.data), `socket ${key.data} was not written to`);
        assert(!seen.has(key.data), `socket ${key.data} reported after its data was read`);
        assertEquals(text(await (key.fileobj as Socket).recv(100)), `to ${key.data}`);
        seen.add(key.data);
      }
    }
    assertEquals(seen, chosen);
    assertEquals(await sel.select(0), []);
    // Writable: every one of them can send.
    for (const conn of conns) sel.modify(conn, EVENT_READ | EVENT_WRITE);
    const writable = await sel.select(0);
    assertEquals(writable.length, 200);
    assert(writable.every(([, events]) => events === EVENT_WRITE));
  } finally {
    for (const sock of [...clients, ...conns, server]) sock.close();
  }
});

python.test("DefaultSelector: register, modify, unregister, get_key, get_map, close, as CPython", async () => {
  const py = await python(`
import selectors, socket
sel = selectors.DefaultSelector()
s = socket.socket()
out = []
for f in [lambda: sel.register(s, 0), lambda: sel.register(s, 4)]:
    try: f()
    except Exception as e: out.append(type(e).__name__)
k = sel.register(s, selectors.EVENT_READ, "d")
try: sel.register(s, 1)
except Exception as e: out.append(type(e).__name__)
out.append(repr(sel.modify(s, 3).data))
s.close()
out.append(sel.unregister(s).events)
try: sel.get_key(s)
except Exception as e: out.append(type(e).__name__)
print(out)`);
  const sel = new DefaultSelector<string>();
  const s = socket();
  const out: (string | number)[] = [];
  for (const events of [0, 4]) {
    try {
      sel.register(s, events);
    } catch (e) {
      out.push(e instanceof RangeError ? "ValueError" : String(e));
    }
  }
  const key = sel.register(s, EVENT_READ, "d");
  assertEquals([key.fd, key.events, key.data, key.fileobj === s], [s.fileno(), 1, "d", true]);
  try {
    sel.register(s, 1);
  } catch (e) {
    out.push((e as Error).name);
  }
  out.push(sel.modify(s, 3).data === undefined ? "None" : "?");
  assertEquals(sel.get_key(s).events, 3);
  s.close();
  out.push(sel.unregister(s).events);
  try {
    sel.get_key(s);
  } catch (e) {
    out.push(e instanceof RangeError ? "ValueError" : (e as Error).name);
  }
  assertEquals(`[${out.map((x) => typeof x === "string" ? `'${x}'` : x).join(", ")}]`, py.trim());
  assertThrows(() => sel.unregister(s), RangeError); // Python: ValueError, fd -1
  using other = socket();
  assertThrows(() => sel.get_key(other), KeyError);
  sel.close();
  assertThrows(() => sel.get_map(), RangeError);
});

Deno.test("DefaultSelector: a closed registered socket is skipped, a connect finishing is writable", async () => {
  const { server, address } = listening();
  using sel = new DefaultSelector();
  const gone = socket();
  sel.register(gone, EVENT_READ);
  gone.close();
  assertEquals(await sel.select(0), []);
  sel.unregister(gone);
  await using client = socket();
  client.setblocking(false);
  // On loopback the connect may finish at once; otherwise it is in progress.
  const err = await client.connect(address).then(() => null, (e) => e);
  if (err !== null) assert(err instanceof BlockingIOError, String(err));
  sel.register(client, EVENT_WRITE);
  const ready = await sel.select(5);
  assertEquals(ready.length, 1);
  assertEquals(ready[0][1], EVENT_WRITE);
  client.getpeername(); // connected now
  (await server.accept())[0].close();
  server.close();
  // EVENT_WRITE on the server side of a socket that cannot be written to now: none here.
  assertEquals(EVENT_READ | EVENT_WRITE, 3);
});

Deno.test("select on datagram sockets: readable when a datagram waits; recvfrom then gets it", async () => {
  using a = socket(AF_INET, SOCK_DGRAM);
  using b = socket(AF_INET, SOCK_DGRAM);
  a.bind(["127.0.0.1", 0]);
  b.bind(["127.0.0.1", 0]);
  assertEquals(await select([a], [a], [], 0), [[], [a], []]);
  await b.sendto("one", a.getsockname());
  await b.sendto("two", a.getsockname());
  assertEquals((await select([a], [], [], 5))[0], [a]);
  a.setblocking(false);
  assertEquals(text((await a.recvfrom(100))[0]), "one");
  assertEquals((await select([a], [], [], 5))[0], [a]);
  assertEquals(text((await a.recvfrom(100))[0]), "two");
  assertEquals(await select([a], [], [], 0), [[], [], []]);
  await assertRejects(a.recvfrom(100), BlockingIOError);
});

Deno.test("a loop of selects on an always-writable socket still sees data arrive on another", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("x");
  let seen = false;
  const start = performance.now();
  for (let rounds = 0; rounds < 1_000_000 && performance.now() - start < 5000; rounds++) {
    const [r, w] = await select([pair.server], [pair.client], [], 1);
    assertEquals(w.length, 1);
    if ((seen = r.length > 0)) break;
  }
  assert(seen, "the readable socket was never reported");
  assertLessOrEqual(performance.now() - start, 1000);
  assertEquals(text(await pair.server.recv(10)), "x");
});

/** The longest delay a timer holds (2^31-1 ms, 24.8 days). */
const MAX_TIMER_MS = 0x7fffffff;

/** A fake `setTimeout`/`performance.now` clock (see {@linkcode withFakeClock}). */
interface FakeClock {
  /** What `performance.now()` returns. */
  readonly now: number;
  /** Timers armed, neither fired nor cleared. */
  readonly armed: number;
  /** The longest delay asked of `setTimeout` so far. */
  readonly longest: number;
  /** Moves the clock to the earliest timer, fires it, lets promises settle. */
  next(): Promise<void>;
}

/**
 * Runs `body` with `setTimeout`, `clearTimeout` and `performance.now`
 * replaced by a clock that moves only when the test says, so that waits of
 * months can be checked at once. As Deno's, a fake timer asked for more
 * than 2^31-1 ms fires after 1 ms.
 */
async function withFakeClock(body: (clock: FakeClock) => Promise<void>): Promise<void> {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let now = 1_000;
  let ids = 0;
  let longest = 0;
  globalThis.setTimeout = ((fn: () => void, ms = 0) => {
    longest = Math.max(longest, ms);
    timers.set(++ids, { at: now + (ms > MAX_TIMER_MS ? 1 : Math.max(0, ms)), fn });
    return ids;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    if (id !== undefined) timers.delete(id);
  }) as unknown as typeof clearTimeout;
  performance.now = () => now;
  try {
    await body({
      get now() {
        return now;
      },
      get armed() {
        return timers.size;
      },
      get longest() {
        return longest;
      },
      async next() {
        let first: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (!first || entry[1].at < first[1].at) first = entry;
        if (first) {
          timers.delete(first[0]);
          now = Math.max(now, first[1].at);
          first[1].fn();
        }
        await new Promise((resolve) => realSetTimeout(resolve, 0));
      },
    });
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
    delete (performance as { now?: unknown }).now;
  }
}

Deno.test("select with nothing to watch waits out a timeout beyond what a timer holds (24.8 days)", async () => {
  using sel = new DefaultSelector();
  await withFakeClock(async (clock) => {
    const waits: [string, () => Promise<unknown>][] = [
      ["select()", () => select([], [], [], 3e6)], // 34.7 days
      ["DefaultSelector.select()", () => sel.select(3e6)],
    ];
    for (const [what, wait] of waits) {
      const start = clock.now;
      let done = false;
      const waiting = wait().then(() => done = true);
      for (let i = 0; i < 10 && !done && clock.armed > 0; i++) await clock.next();
      assert(done, `${what} still waits after 10 timers`);
      await waiting;
      assertGreaterOrEqual(clock.now - start, 3e9, `${what} returned early`);
      assertLessOrEqual(clock.longest, MAX_TIMER_MS);
    }
  });
});

Deno.test("select with nothing to watch and no timeout never resolves, and a timer keeps the process alive", async () => {
  using sel = new DefaultSelector();
  const waits: [string, () => Promise<unknown>][] = [
    ["select()", () => select([], [], [])],
    ["DefaultSelector.select()", () => sel.select(null)],
  ];
  for (const [what, wait] of waits) {
    await withFakeClock(async (clock) => {
      let done = false;
      // Never settles; it holds only fake timers, dropped with the clock.
      wait().then(() => done = true);
      for (let i = 0; i < 5; i++) {
        assertEquals(clock.armed, 1, `${what}: no timer keeps the process alive`);
        await clock.next();
        assert(!done, `${what} returned`);
      }
      assertGreaterOrEqual(clock.now, 5 * MAX_TIMER_MS);
    });
  }
});

Deno.test("select and DefaultSelector.select with a timeout beyond 24.8 days wait until the socket is ready", async () => {
  await using pair = await connectedPair();
  using sel = new DefaultSelector();
  sel.register(pair.server, EVENT_READ);
  const waits: [string, () => Promise<number>][] = [
    ["select()", async () => (await select([pair.server], [], [], 3e6))[0].length],
    ["DefaultSelector.select()", async () => (await sel.select(3e6)).length],
  ];
  for (const [what, wait] of waits) {
    let done = false;
    const waiting = wait().then((n) => {
      done = true;
      return n;
    });
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert(!done, `${what} returned before the socket was ready`);
    await pair.client.sendall("x");
    assertEquals(await waiting, 1, what);
    assertEquals(text(await pair.server.recv(10)), "x");
  }
});

Deno.test("select timeouts: Infinity and NaN are refused (CPython: OverflowError, ValueError); negative: select refuses, a selector looks once", async () => {
  await assertRejects(select([], [], [], Infinity), RangeError, /timeout must be finite/);
  await assertRejects(select([], [], [], -Infinity), RangeError, /timeout must be non-negative/);
  await assertRejects(select([], [], [], NaN), TypeError, /timeout/);
  using sel = new DefaultSelector();
  await assertRejects(sel.select(Infinity), RangeError, /timeout must be finite/);
  await assertRejects(sel.select(NaN), TypeError, /timeout/);
  assertEquals(await sel.select(-1), []);
  assertEquals(await sel.select(-Infinity), []);
});
