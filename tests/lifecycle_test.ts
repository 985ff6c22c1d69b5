/**
 * A socket's life as real programs use it: close() ends a connect in flight,
 * accept() survives clients that reset while queued, a closed listener frees
 * its port at once, a BYOB read settles when the socket closes, and a call
 * nobody awaits never becomes an unhandled rejection. Scenarios that must
 * end a process run in a child `deno run` (see `_lifecycle_child.ts`) with
 * net access to 127.0.0.1 only.
 */

import {
  BlockingIOError,
  DefaultSelector,
  errno,
  EVENT_READ,
  OSError,
  select,
  SO_REUSEADDR,
  type Socket,
  socket,
  SOL_SOCKET,
  StreamRequestHandler,
  TCPServer,
  TimeoutError,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertRejects,
  connectedPair,
  listening,
  python,
  readUntilNewline,
  text,
  within,
} from "./_util.ts";

const CHILD = new URL("./_lifecycle_child.ts", import.meta.url).pathname;

/** Spawns the child scenario; stdout piped, stderr collected. */
function spawnChild(...args: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "--quiet",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      CHILD,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * A port whose SYNs Linux drops: a listener with `listen(0)` whose one
 * queue slot is taken by a connection it never accepts. A connect there
 * neither succeeds nor fails, as one to a black-holed address (checked:
 * `connect_ex` with a 0.2 s timeout gives EAGAIN, not ECONNREFUSED).
 * Loopback has no other such address: an unrouted 127.x answers RST.
 */
async function blackHole(): Promise<{ port: number; [Symbol.asyncDispose](): Promise<void> }> {
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      `import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = socket.create_connection(s.getsockname())
print(s.getsockname()[1], flush=True)
sys.stdin.read()`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const port = Number(await readUntilNewline(child.stdout));
  return {
    port,
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      await child.stdout.cancel();
      await child.status;
    },
  };
}

// ---- 1. close() ends a connect in flight ----------------------------------

python.test("close() ends a connect that timed out: the process exits at once, as CPython's", async () => {
  await using hole = await blackHole();
  // CPython: the same connect times out (EAGAIN), and closing ends it.
  const cpython = await python(
    `import socket, sys
s = socket.socket(); s.settimeout(0.2)
print(s.connect_ex(("127.0.0.1", int(sys.argv[1])))); s.close()`,
    String(hole.port),
  );
  assertEquals(cpython.trim(), "11");
  const child = spawnChild("connect-close", String(hole.port));
  const line = await within(readUntilNewline(child.stdout), 30_000, "child connect");
  const closedAt = performance.now();
  assertEquals(line.trim(), "closed 11");
  // Without the abort the connect retries its SYN for about 2 minutes.
  const bound = setTimeout(() => child.kill(), 5000);
  const status = await child.status;
  const elapsed = performance.now() - closedAt;
  clearTimeout(bound);
  await child.stdout.cancel();
  const stderr = text(new Uint8Array(await new Response(child.stderr).arrayBuffer()));
  assert(status.success, `child ended with ${status.code} ${stderr}`);
  assertLessOrEqual(elapsed, 1000, `exited ${elapsed.toFixed(0)} ms after close()`);
});

// ---- 13. no unhandled rejection --------------------------------------------

for (
  const scenario of [
    "recvfrom",
    "accept-iterator",
    "file-iterator",
    "text-iterator",
    "udp-iterator",
    "udp-recvfrom",
  ]
) {
  Deno.test(`an ignored ${scenario} call on a socket closed meanwhile does not end the process`, async () => {
    const out = await spawnChild(scenario).output();
    const stderr = text(out.stderr);
    assert(out.success, `child ended with ${out.code}: ${stderr}`);
    assertEquals(text(out.stdout), "closed\n");
    assertEquals(stderr, "");
  });
}

// ---- 2. accept() survives clients that reset while queued -------------------

const RESETS = 100;
const GOOD = 5;

/** `count` clients (python3) that connect and reset (SO_LINGER 0, close) before any accept. */
async function resetClients(address: [string, number], count = RESETS): Promise<void> {
  await python(
    `import socket, struct, sys
for _ in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()`,
    address[0],
    String(address[1]),
    String(count),
  );
}

/** GOOD clients that each send their number and expect it echoed. */
async function goodClients(address: [string, number]): Promise<string[]> {
  const replies: string[] = [];
  for (let i = 0; i < GOOD; i++) {
    await using client = socket();
    client.settimeout(10);
    await client.connect(address);
    await client.sendall(`good ${i}`);
    replies.push(text(await client.recv(64)));
  }
  return replies;
}

const EXPECTED = Array.from({ length: GOOD }, (_, i) => `good ${i}`);

async function echoOnce(conn: Socket): Promise<void> {
  conn.settimeout(10);
  await conn.sendall(await conn.recv(64));
  conn.close();
}

python.test("accept() skips 100 clients that reset while queued and serves the good ones", async () => {
  const { server, address } = listening();
  using _ = server;
  await resetClients(address);
  const clients = goodClients(address);
  for (let i = 0; i < GOOD; i++) {
    const [conn] = await within(server.accept(), 10_000, "accept");
    await echoOnce(conn);
  }
  assertEquals(await clients, EXPECTED);
});

python.test("for await over a listener skips clients that reset while queued", async () => {
  const { server, address } = listening();
  using _ = server;
  await resetClients(address);
  const clients = goodClients(address);
  let served = 0;
  for await (const [conn] of server) {
    await echoOnce(conn);
    if (++served === GOOD) break;
  }
  assertEquals(await clients, EXPECTED);
});

python.test("after select() says a listener is readable, accept() skips reset clients", async () => {
  const { server, address } = listening();
  using _ = server;
  await resetClients(address);
  const clients = goodClients(address);
  for (let i = 0; i < GOOD; i++) {
    const [readable] = await within(select([server], [], [], 10), 10_000, "select");
    assertEquals(readable, [server]);
    const [conn] = await server.accept();
    await echoOnce(conn);
  }
  assertEquals(await clients, EXPECTED);
});

python.test("a non-blocking accept loop skips reset clients (only BlockingIOError between)", async () => {
  const { server, address } = listening();
  using _ = server;
  server.setblocking(false);
  await resetClients(address);
  const clients = goodClients(address);
  using selector = new DefaultSelector();
  selector.register(server, EVENT_READ);
  let served = 0;
  for (let turns = 0; served < GOOD && turns < 10_000; turns++) {
    let conn: Socket;
    try {
      [conn] = await server.accept();
    } catch (e) {
      if (!(e instanceof BlockingIOError)) throw e;
      await selector.select(10);
      continue;
    }
    conn.setblocking(true);
    await echoOnce(conn);
    served++;
  }
  assertEquals(served, GOOD);
  assertEquals(await clients, EXPECTED);
});

class Echo extends StreamRequestHandler {
  override async handle() {
    this.request.settimeout(10);
    await this.request.sendall(await this.request.recv(64));
  }
}

python.test("a TCPServer serves the good clients after 100 that reset while queued", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], Echo);
  const address = server.server_address as [string, number];
  await resetClients(address);
  const serving = server.serve_forever(0.05);
  assertEquals(await goodClients(address), EXPECTED);
  await server.shutdown();
  await serving;
});

// ---- 7. a BYOB read settles when the socket closes --------------------------

/** One turn of the event loop: the stream's start and pull run in microtasks. */
function pullStarted(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("a pending BYOB read of sock.readable settles at once when the socket closes", async () => {
  const pair = await connectedPair();
  const reader = pair.server.readable.getReader({ mode: "byob" });
  const read = reader.read(new Uint8Array(16));
  await pullStarted();
  pair.server.close();
  const e = await within(assertRejects(read, OSError), 1000, "BYOB read after close()");
  assertEquals(e.errno, errno.EBADF);
  pair.client.close();
});

Deno.test("a BYOB read settles at once on close() while a timed-out sendall still drains", async () => {
  const pair = await connectedPair();
  // The peer reads nothing: the write Deno has in flight cannot finish, and
  // close() keeps the connection open for it, so the read is not interrupted.
  pair.server.settimeout(0.2);
  await assertRejects(pair.server.sendall(new Uint8Array(64 << 20)), TimeoutError);
  pair.server.settimeout(null);
  const reader = pair.server.readable.getReader({ mode: "byob" });
  const read = reader.read(new Uint8Array(16));
  await pullStarted();
  pair.server.close();
  const e = await within(assertRejects(read, OSError), 1000, "BYOB read after close()");
  assertEquals(e.errno, errno.EBADF);
  // The peer going away ends the write, and with it the connection.
  pair.client.close();
});

// ---- 3. a closed listener frees its port at once ----------------------------

/** A listener closed in one of the ways real servers close one, with an accept in flight. */
interface Closing {
  address: [string, number];
  /** Closes it; the checks run right after, in the same turn. */
  close(): void | Promise<void>;
  /** Whatever was waiting ended (and how) once the port is checked. */
  settled: Promise<unknown>;
}

const CLOSINGS: Record<string, () => Closing | Promise<Closing>> = {
  "accept()": () => {
    const { server, address } = listening();
    const accepting = server.accept();
    return {
      address,
      close: () => server.close(),
      settled: assertRejects(accepting, OSError),
    };
  },
  "for await": () => {
    const { server, address } = listening();
    const loop = (async () => {
      for await (const [conn] of server) conn.close();
    })();
    return { address, close: () => server.close(), settled: loop };
  },
  "select()": () => {
    const { server, address } = listening();
    const selecting = select([server], [], [], 5).catch((e) => e);
    return { address, close: () => server.close(), settled: selecting };
  },
  "TCPServer shutdown() then server_close()": async () => {
    const server = new TCPServer(["127.0.0.1", 0], Echo);
    const serving = server.serve_forever(0.05);
    // One request served: the loop's select has an accept in flight again.
    const address = server.server_address as [string, number];
    await using client = socket();
    await client.connect(address);
    await client.sendall("x");
    assertEquals(text(await client.recv(8)), "x");
    return {
      address,
      close: async () => {
        await server.shutdown();
        server.server_close();
      },
      settled: serving,
    };
  },
};

for (const [how, make] of Object.entries(CLOSINGS)) {
  Deno.test(`a listener closed with ${how} pending refuses an immediate connect (111, as CPython)`, async () => {
    const closing = await make();
    await closing.close();
    using probe = socket();
    assertEquals(await probe.connect_ex(closing.address), errno.ECONNREFUSED);
    await closing.settled;
  });

  Deno.test(`a listener closed with ${how} pending can be bound again at once (SO_REUSEADDR)`, async () => {
    const closing = await make();
    await closing.close();
    const again = socket();
    using _ = again;
    again.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    again.bind(closing.address);
    again.listen();
    assertEquals(again.getsockname(), closing.address);
    // The new listener works: a client connects and is accepted.
    using client = socket();
    await client.connect(closing.address);
    const [conn] = await within(again.accept(), 10_000, "accept on the rebound port");
    conn.close();
    await closing.settled;
  });
}

python.test("CPython: a closed listener refuses an immediate connect (111) and rebinds at once", async () => {
  const out = await python(`import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); address = s.getsockname(); s.close()
p = socket.socket(); print(p.connect_ex(address)); p.close()
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); address = s.getsockname(); s.close()
r = socket.socket(); r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); r.bind(address); print("rebound")`);
  assertEquals(out, "111\nrebound\n");
});

python.test("CPython: accept() returns a client that reset while queued, whose recv then fails", async () => {
  // The library skips such a connection instead (Deno cannot hand it over).
  const out = await python(`import socket, struct
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
for _ in range(3):
    c = socket.create_connection(s.getsockname())
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
for _ in range(3):
    conn, _ = s.accept()
    try:
        conn.recv(1)
    except ConnectionResetError as e:
        print(e.errno)
    conn.close()`);
  assertEquals(out, "104\n104\n104\n");
});
