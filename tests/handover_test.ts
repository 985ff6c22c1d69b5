/**
 * The hand-over hooks a transport on top of the stream socket (TLS) builds
 * on: `_attach`, `_detach`, `_upgrade` and `_wouldBlock`. No byte may be
 * lost across a hand-over: what arrived before it is handed over, and a read
 * in flight when it starts is handed over too (`pending`), not waited for.
 */

import {
  BlockingIOError,
  errno,
  MSG_PEEK,
  MSG_WAITALL,
  OSError,
  Socket,
  socket,
} from "@seed/socket";
import type { BlockingCall } from "../_base.ts";
import type { StreamConn } from "../_transport.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
  connectedPair,
  listening,
  recvAll,
  text,
  within,
} from "./_util.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("_detach: bytes that arrived before the hand-over come back as buffered", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("hello world");
  // A peek with MSG_WAITALL leaves all of it in the socket's buffer.
  assertEquals(text(await pair.server.recv(11, MSG_PEEK | MSG_WAITALL)), "hello world");
  const { conn, buffered } = await pair.server._detach();
  try {
    assertEquals(text(buffered), "hello world");
    assertEquals(pair.server.fileno(), -1);
    const e = await assertRejects(() => pair.server.recv(1), OSError);
    assertEquals(e.errno, errno.EBADF);
    // The connection itself is open and now the caller's.
    await conn.write(encode("bye"));
    assertEquals(text(await pair.client.recv(3)), "bye");
  } finally {
    conn.close();
  }
});

Deno.test("_detach: a read in flight when it starts is handed over as pending, not waited for", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("early");
  assertEquals(text(await pair.server.recv(5, MSG_PEEK | MSG_WAITALL)), "early");
  // A peek for more than has arrived looks for the rest with a read ahead
  // that stays in flight; nothing comes until after the hand-over.
  assertEquals(text(await pair.server.recv(16, MSG_PEEK)), "early");
  const { conn, buffered, pending } = await within(pair.server._detach(), 5000, "_detach");
  try {
    assertEquals(text(buffered), "early");
    assert(pending !== null);
    await pair.client.sendall("late bytes");
    assertEquals(text((await pending)!), "late bytes");
    // The connection's own reads come after them.
    await pair.client.sendall("next");
    const buffer = new Uint8Array(8);
    assertEquals(text(buffer.subarray(0, (await conn.read(buffer))!)), "next");
  } finally {
    conn.close();
  }
});

Deno.test("_detach: a blocking recv in flight gets its bytes first; pending then brings none", async () => {
  await using pair = await connectedPair();
  const receiving = pair.server.recv(16);
  const { conn, buffered, pending } = await within(pair.server._detach(), 5000, "_detach");
  try {
    await pair.client.sendall("abc");
    assertEquals(text(await receiving), "abc");
    assertEquals(buffered.length, 0);
    // Empty, not null: the stream goes on, the new owner reads on.
    assertEquals(await pending, new Uint8Array(0));
  } finally {
    conn.close();
  }
});

Deno.test("_detach: no read in flight, no pending", async () => {
  await using pair = await connectedPair();
  const { conn, pending } = await pair.server._detach();
  conn.close();
  assertEquals(pending, null);
});

Deno.test("_detach: waits for a write in flight to finish", async () => {
  await using pair = await connectedPair();
  // More than loopback's socket buffers hold: the write waits for the reader.
  const size = 32 << 20;
  let sent = false;
  let detached = false;
  const sending = pair.server.sendall(new Uint8Array(size).fill(7)).then(() => sent = true);
  const detaching = pair.server._detach().then((result) => {
    detached = true;
    return result;
  });
  let received = 0;
  let checked = false;
  const buffer = new Uint8Array(65536);
  while (received < size) {
    const n = await pair.client.recv_into(buffer);
    assert(n > 0, "closed early");
    assert(buffer.subarray(0, n).every((b) => b === 7));
    received += n;
    if (!sent && received >= size / 2) {
      assert(!detached, "_detach resolved while the write was in flight");
      checked = true;
    }
  }
  await sending;
  const { conn } = await detaching;
  conn.close();
  assert(checked, "the write finished before half of it was read: nothing was checked");
  assertEquals(received, size);
});

Deno.test("_detach: a socket that is not connected gets ENOTCONN, a closed one EBADF", async () => {
  const sock = socket();
  const e = await assertRejects(() => sock._detach(), OSError);
  assertEquals(e.errno, errno.ENOTCONN);
  sock.close();
  const closed = await assertRejects(() => sock._detach(), OSError);
  assertEquals(closed.errno, errno.EBADF);
});

/**
 * A connection that flips the case of ASCII letters both ways (a stand-in
 * for TLS); its input is what `pending` brings, then its own reads.
 */
function flipping(raw: StreamConn, pending: Promise<Uint8Array | null> | null = null): StreamConn {
  const flip = (bytes: Uint8Array) => bytes.map((b) => (b >= 0x41 && b <= 0x7a ? b ^ 0x20 : b));
  let ahead = pending;
  let rest: Uint8Array = new Uint8Array(0);
  return {
    async read(buffer) {
      if (ahead !== null) {
        const bytes = await ahead;
        ahead = null;
        if (bytes === null) return null;
        rest = bytes;
      }
      let n: number | null;
      if (rest.length > 0) {
        n = Math.min(rest.length, buffer.length);
        buffer.set(rest.subarray(0, n));
        rest = rest.subarray(n);
      } else n = await raw.read(buffer);
      if (n !== null) buffer.set(flip(buffer.subarray(0, n)));
      return n;
    },
    write: (data) => raw.write(flip(data)),
    closeWrite: () => raw.closeWrite(),
    close: () => raw.close(),
    get localAddr() {
      return raw.localAddr;
    },
    get remoteAddr() {
      return raw.remoteAddr;
    },
  };
}

Deno.test("_upgrade: the wrapper gets the buffered bytes; reads and writes then go through it", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("HELLO");
  assertEquals(text(await pair.server.recv(5, MSG_PEEK | MSG_WAITALL)), "HELLO");
  let handed = "";
  await pair.server._upgrade((raw, buffered) => {
    handed = text(buffered);
    return Promise.resolve(flipping(raw));
  });
  assertEquals(handed, "HELLO");
  assert(pair.server.fileno() >= 0);
  await pair.client.sendall("abc");
  assertEquals(text(await recvAll(pair.server, 3)), "ABC");
  await pair.server.sendall("xyz");
  assertEquals(text(await recvAll(pair.client, 3)), "XYZ");
});

Deno.test("_upgrade: a read in flight goes to the wrapper as pending, its bytes first, none lost", async () => {
  await using pair = await connectedPair();
  const abort = new AbortController();
  const stopped = pair.server.recv(16, { signal: abort.signal });
  abort.abort();
  await assertRejects(() => stopped, DOMException);
  let handed = -1;
  let adopted = false;
  // The read is still in flight and nothing comes before the wrapper is
  // made: the wrapper is not waited for it.
  await within(
    pair.server._upgrade((raw, buffered, pending) => {
      handed = buffered.length;
      adopted = pending !== null;
      const wrapped = flipping(raw, pending);
      // The wrapper's first input is sent only now (as a TLS peer answers).
      return pair.client.sendall("before").then(() => wrapped);
    }),
    5000,
    "_upgrade",
  );
  assertEquals(handed, 0);
  assert(adopted);
  await pair.client.sendall("after");
  assertEquals(text(await recvAll(pair.server, 11)), "BEFOREAFTER");
});

Deno.test("_upgrade: a peek still waiting when its read is handed over gets ENOTCONN; the bytes go to the wrapper", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(5);
  const peeking = pair.server.recv(10, MSG_PEEK | MSG_WAITALL).then(() => null, (e) => e);
  let adopted: Promise<Uint8Array | null> | null = null;
  const upgrading = pair.server._upgrade((raw, _buffered, pending) => {
    adopted = pending;
    return Promise.resolve(raw);
  });
  await pair.client.sendall("abc");
  await within(upgrading, 5000, "_upgrade");
  const e = await peeking;
  assertInstanceOf(e, OSError);
  assertEquals(e.errno, errno.ENOTCONN);
  assertEquals(text((await adopted!)!), "abc");
  await pair.client.sendall("def");
  assertEquals(text(await recvAll(pair.server, 3)), "def");
});

Deno.test("_upgrade: a recv still waiting when its read is handed over gets the bytes or ENOTCONN; none lost", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(5);
  const receiving = pair.server.recv(16).then((data) => text(data), (e) => e);
  let adopted: Promise<Uint8Array | null> | null = null;
  const upgrading = pair.server._upgrade((raw, _buffered, pending) => {
    adopted = pending;
    return Promise.resolve(raw);
  });
  await pair.client.sendall("abc");
  await within(upgrading, 5000, "_upgrade");
  const got = await receiving;
  const handed = text((await adopted!)!);
  if (typeof got === "string") assertEquals([got, handed], ["abc", ""]);
  else {
    assertInstanceOf(got, OSError);
    assertEquals(got.errno, errno.ENOTCONN);
    assertEquals(handed, "abc");
  }
});

Deno.test("_attach: a fresh socket becomes connected over a given connection", async () => {
  const { server, address } = listening();
  using _server = server;
  const raw = await Deno.connect({ hostname: address[0], port: address[1] });
  using sock = new Socket();
  sock._attach(raw);
  const [peer] = await server.accept();
  using _peer = peer;
  assertEquals(sock.getpeername(), address);
  await sock.sendall("ping");
  assertEquals(text(await recvAll(peer, 4)), "ping");
  await peer.sendall("pong");
  assertEquals(text(await recvAll(sock, 4)), "pong");
  // Only a fresh socket can take one.
  const e = assertThrows(() => sock._attach(raw), OSError);
  assertEquals(e.errno, errno.EISCONN);
  sock.close();
  const closed = assertThrows(() => sock._attach(raw), OSError);
  assertEquals(closed.errno, errno.EBADF);
});

/** A socket whose non-blocking calls say which operation would have waited. */
class Telling extends Socket {
  protected override _wouldBlock(op: BlockingCall): OSError {
    return new BlockingIOError(errno.EAGAIN, `would block: ${op}`);
  }
}

Deno.test("_wouldBlock: a subclass decides what a non-blocking call gets", async () => {
  const { server, address } = listening();
  using _server = server;
  using sock = new Telling();
  const raw = await Deno.connect({ hostname: address[0], port: address[1] });
  sock._attach(raw);
  const [peer] = await server.accept();
  using _peer = peer;
  sock.setblocking(false);
  const e = await assertRejects(() => sock.recv(16), BlockingIOError);
  assertEquals(e.strerror, "would block: read");

  using listener = new Telling();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  listener.setblocking(false);
  const accept = await assertRejects(() => listener.accept(), BlockingIOError);
  assertInstanceOf(accept, OSError);
  assertEquals(accept.strerror, "would block: accept");
});

Deno.test("_upgrade: while wrap runs the socket is unconnected; a failed wrap closes it", async () => {
  await using pair = await connectedPair();
  let during: OSError | null = null;
  const failure = new Error("handshake failed");
  const upgrading = pair.server._upgrade(async () => {
    during = await pair.server.recv(1).then(() => null, (e) => e);
    throw failure;
  });
  const e = await assertRejects(() => upgrading, Error);
  assertEquals(e, failure);
  assertInstanceOf(during, OSError);
  assertEquals((during as OSError).errno, errno.ENOTCONN);
  assertEquals(pair.server.fileno(), -1);
  // The raw connection was closed too: the peer sees the end.
  assertEquals((await pair.client.recv(1)).length, 0);
});
