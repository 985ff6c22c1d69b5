/**
 * Peers that misbehave: resets, closes under a running transfer, listeners
 * closed under waiting accepts, ports that refuse or never answer, a
 * server restarting on its port, and promises nobody awaits.
 */

import {
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  errno,
  OSError,
  SO_REUSEADDR,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertRejects,
  connectedPair,
  listening,
  pseudoRandomBytes,
  python,
  text,
  within,
} from "./_util.ts";
import { PY_RESET, PythonPeer, unhandledDuring } from "./_peer.ts";

/**
 * A CPython peer that connects to `address`, runs `steps` (lines of Python,
 * with `c` the connection), resets the connection (RST), prints "reset" and waits
 * for its stdin to close.
 */
function resettingPeer(address: [string, number], steps: string[]): PythonPeer {
  return new PythonPeer(
    PY_RESET + `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
${steps.join("\n")}
reset(c)
print("reset")
sys.stdin.read()
`,
    String(address[1]),
  );
}

function port(address: unknown): number {
  return (address as [string, number])[1];
}

python.test("a peer that resets mid-transfer gives ConnectionResetError (ECONNRESET)", async () => {
  const { server, address } = listening();
  await using peer = resettingPeer(address, ["c.sendall(bytes(range(256)) * 1024)", "c.recv(1)"]);
  const [conn] = await server.accept();
  server.close();
  const expected = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
  const first = await conn.recv(1000);
  let got = first.length;
  assertEquals(first, expected.subarray(0, got));
  await conn.sendall("k"); // the peer resets now, with our receive queue full
  assertEquals(await peer.line(), "reset");
  const error = await assertRejects(async () => {
    for (let i = 0; i < 10_000; i++) {
      const data = await conn.recv(65536);
      if (data.length === 0) throw new Error("clean EOF instead of a reset");
      // Whatever arrives before the reset is the stream, in order.
      assertEquals(data, expected.subarray(got, got + data.length));
      got += data.length;
    }
  }, ConnectionResetError);
  assertEquals(error.errno, errno.ECONNRESET);
  assertEquals(error.errno, 104);
  // The error is sticky as on Linux: the connection is gone for good.
  const again = await conn.recv(10).then((d) => d.length, (e) => e);
  assert(again === 0 || again instanceof OSError, `after a reset: ${again}`);
  conn.close();
});

python.test("a send to a peer that reset gives ConnectionResetError or BrokenPipeError", async () => {
  const { server, address } = listening();
  await using peer = resettingPeer(address, ["c.recv(1)"]);
  const [conn] = await server.accept();
  server.close();
  await conn.sendall("k");
  assertEquals(await peer.line(), "reset");
  const error = await within(
    assertRejects(async () => {
      for (let i = 0; i < 1000; i++) await conn.sendall(new Uint8Array(65536));
    }, OSError),
    10_000,
    "sendall to a reset peer",
  );
  assert(
    error instanceof ConnectionResetError || error instanceof BrokenPipeError,
    `got ${error.name}: ${error.message}`,
  );
  assert(error.errno === errno.ECONNRESET || error.errno === errno.EPIPE);
  conn.close();
});

Deno.test("the peer closing while we sendall 8 MiB rejects (never hangs)", async (t) => {
  await t.step("peer closes after reading a little", async () => {
    await using pair = await connectedPair();
    const sending = pair.client.sendall(pseudoRandomBytes(8 << 20, 7));
    assertEquals((await pair.server.recv(1000)).length > 0, true);
    pair.server.close();
    const error = await within(
      assertRejects(sending, OSError),
      10_000,
      "sendall after the peer closed",
    );
    assert(
      error instanceof BrokenPipeError || error instanceof ConnectionResetError,
      `got ${error.name}: ${error.message}`,
    );
  });
  await python.step(t, "peer resets (SO_LINGER 0) while the sendall is blocked", async () => {
    const { server, address } = listening();
    await using peer = resettingPeer(address, ["c.recv(1000)", "sys.stdin.readline()"]);
    const [conn] = await server.accept();
    server.close();
    conn.settimeout(30); // a bound, far above what the test needs
    const sending = conn.sendall(new Uint8Array(8 << 20));
    await peer.send("go");
    assertEquals(await peer.line(), "reset");
    const error = await within(assertRejects(sending, OSError), 10_000, "sendall under a reset");
    assert(
      error instanceof BrokenPipeError || error instanceof ConnectionResetError,
      `got ${error.name}: ${error.message}`,
    );
    conn.close();
  });
});

Deno.test("closing a listener under 3 waiting accepts rejects each with OSError", async () => {
  const seen = await unhandledDuring(async () => {
    const { server } = listening();
    const blocking = server.accept();
    server.settimeout(30);
    const timed = server.accept();
    const aborter = new AbortController();
    const withSignal = server.accept({ signal: aborter.signal });
    server.close();
    for (const p of [blocking, timed, withSignal]) {
      const error = await within(assertRejects(p, OSError), 2000, "accept after close");
      assertEquals(error.errno, errno.EBADF);
    }
    await assertRejects(server.accept(), OSError);
  });
  assertEquals(seen, []);
});

Deno.test("closing a socket under a recv that waits with a timeout rejects it at once", async (t) => {
  for (const timeout of [null, 30, 0.5]) {
    await t.step(`timeout ${timeout}`, async () => {
      await using pair = await connectedPair();
      pair.server.settimeout(timeout);
      const start = performance.now();
      const receiving = pair.server.recv(10);
      const peeking = pair.server.recv(10, 2 /* MSG_PEEK */);
      await new Promise((r) => setTimeout(r, 0));
      pair.server.close();
      for (const p of [receiving, peeking]) {
        const error = await assertRejects(p, OSError);
        assertEquals(error.errno, errno.EBADF);
        assert(!(error instanceof TimeoutError));
      }
      assertLessOrEqual(performance.now() - start, 400);
      // The peer sees the close as an orderly end.
      assertEquals((await pair.client.recv(10)).length, 0);
    });
  }
});

Deno.test("connect to a closed port: ConnectionRefusedError, connect_ex 111", async () => {
  const { server, address } = listening();
  server.close();
  {
    using sock = socket();
    const error = await assertRejects(sock.connect(address), ConnectionRefusedError);
    assertEquals(error.errno, 111);
    assert(error.message.includes(String(address[1])), error.message);
  }
  {
    using sock = socket();
    sock.settimeout(5);
    assertEquals(await sock.connect_ex(address), errno.ECONNREFUSED);
  }
});

python.test("connect with settimeout to a port that never answers: TimeoutError in time", async () => {
  // A listener with a full backlog drops SYNs: connects neither succeed nor fail.
  await using peer = new PythonPeer(`
import select, socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
fillers = []
for _ in range(64):
    f = socket.socket()
    f.setblocking(False)
    f.connect_ex(l.getsockname())
    fillers.append(f)
    if not select.select([], [f], [], 0.2)[1]:
        break  # this one hangs: the backlog is full and SYNs are dropped
else:
    sys.exit("could not fill the backlog")
print(l.getsockname()[1])
sys.stdin.read()
`);
  const address: [string, number] = ["127.0.0.1", Number(await peer.line())];
  using sock = socket();
  sock.settimeout(0.3);
  const start = performance.now();
  await assertRejects(sock.connect(address), TimeoutError, /timed out/);
  const took = performance.now() - start;
  assert(took >= 280 && took < 1500, `TimeoutError after ${took.toFixed(0)} ms`);
  // connect_ex reports the same wait as EAGAIN, as CPython does.
  sock.settimeout(0.1);
  assertEquals(await sock.connect_ex(address), errno.EAGAIN);
  // The peer goes away: the SYN Deno still retransmits meets a reset, and
  // the next connect reports the outcome of the one in flight.
  await peer.close();
  sock.settimeout(10);
  await assertRejects(sock.connect(address), ConnectionRefusedError);
});

Deno.test("a server restarts on the same port with SO_REUSEADDR", async () => {
  let address: [string, number] | undefined;
  for (let round = 0; round < 3; round++) {
    using server = socket();
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    server.bind(address ?? ["127.0.0.1", 0]);
    server.listen();
    address ??= server.getsockname() as [string, number];
    assertEquals(port(server.getsockname()), address[1]);
    using client = socket();
    await client.connect(address);
    const [conn] = await server.accept();
    await client.sendall(`round ${round}`);
    assertEquals(text(await conn.recv(100)), `round ${round}`);
    // The server closes first, so its side of the connection is in TIME_WAIT
    // when the next round binds the same port.
    conn.close();
    assertEquals((await client.recv(10)).length, 0);
  }
});

Deno.test("promises nobody awaits never become unhandled rejections", async (t) => {
  await t.step("a recv abandoned by the caller, then the socket closes", async () => {
    const seen = await unhandledDuring(async () => {
      await using pair = await connectedPair();
      void pair.server.recv(10);
      pair.server.settimeout(5);
      void pair.server.recv(10, 2 /* MSG_PEEK */);
      void pair.server.sendall("x");
      const signal = new AbortController();
      void pair.client.recv(10, { signal: signal.signal });
      signal.abort(new Error("abandoned and aborted"));
      pair.server.close();
      void pair.server.recv(10);
      void pair.server.send("after close");
    });
    assertEquals(seen, []);
  });

  await t.step(
    "fast paths (Uint8Array, blocking and timed) abandoned, then the socket closes",
    async () => {
      // These calls mark their promise handled only when it is about to reject.
      const seen = await unhandledDuring(async () => {
        for (const timeout of [null, 5]) {
          await using pair = await connectedPair();
          pair.client.settimeout(timeout);
          pair.server.settimeout(timeout);
          void pair.server.recv_into(new Uint8Array(10));
          void pair.client.recv(10);
          // Larger than the socket buffers: still in flight at close.
          void pair.client.sendall(new Uint8Array(32 << 20));
          void pair.server.send(new Uint8Array(32 << 20));
          pair.server.close();
          pair.client.close();
        }
      });
      assertEquals(seen, []);
    },
  );

  await t.step("an accept and a connect abandoned by the caller", async () => {
    const seen = await unhandledDuring(async () => {
      const { server, address } = listening();
      void server.accept();
      server.close();
      using sock = socket();
      void sock.connect(address);
      await new Promise((r) => setTimeout(r, 10));
    });
    assertEquals(seen, []);
  });

  await python.step(t, "a read left in flight by a timeout fails later (peer reset)", async () => {
    const { server, address } = listening();
    await using peer = resettingPeer(address, [`print("connected")`, "sys.stdin.readline()"]);
    const [conn] = await server.accept();
    server.close();
    assertEquals(await peer.line(), "connected");
    const seen = await unhandledDuring(async () => {
      conn.settimeout(0.05);
      await assertRejects(conn.recv(10), TimeoutError); // leaves Deno's read in flight
      conn.setblocking(false);
      await assertRejects(conn.recv(10), OSError); // BlockingIOError
      await peer.send("reset");
      assertEquals(await peer.line(), "reset");
      conn.settimeout(5);
      // The in-flight read failed in the background; the next call reports it.
      const error = await assertRejects(conn.recv(10), ConnectionResetError);
      assertEquals(error.errno, errno.ECONNRESET);
    });
    assertEquals(seen, []);
    conn.close();
  });

  await t.step("a write left in flight by a timeout fails later (peer closed)", async () => {
    const seen = await unhandledDuring(async () => {
      await using pair = await connectedPair();
      pair.client.settimeout(0.05);
      // Fill the buffers until a send times out with Deno's write in flight.
      let timedOut = false;
      for (let i = 0; i < 4000 && !timedOut; i++) {
        await pair.client.sendall(new Uint8Array(65536)).catch((e) => {
          assertInstanceOf(e, TimeoutError);
          timedOut = true;
        });
      }
      assert(timedOut, "the send buffers never filled");
      pair.server.close(); // unread data: the in-flight write now fails
      pair.client.settimeout(5);
      const error = await within(
        assertRejects(async () => {
          for (let i = 0; i < 1000; i++) await pair.client.sendall(new Uint8Array(65536));
        }, OSError),
        10_000,
        "sendall after the peer closed",
      );
      assert(error instanceof BrokenPipeError || error instanceof ConnectionResetError);
    });
    assertEquals(seen, []);
  });
});
