/**
 * The hand-over hooks a transport on top of the stream socket (TLS) builds
 * on: `_attach`, `_detach`, `_upgrade` and `_wouldBlock`. No byte may be
 * lost across a hand-over: what arrived before it is handed over, and a read
 * in flight when it starts completes first.
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

Deno.test("_detach: a read in flight when it starts completes into the buffer", async () => {
  await using pair = await connectedPair();
  const abort = new AbortController();
  const stopped = pair.server.recv(16, { signal: abort.signal });
  abort.abort();
  await assertRejects(() => stopped, DOMException);
  // The aborted call's read is still in flight in Deno.
  const detaching = pair.server._detach();
  await pair.client.sendall("late bytes");
  const { conn, buffered } = await detaching;
  conn.close();
  assertEquals(text(buffered), "late bytes");
});

Deno.test("_detach: a blocking recv in flight gets its bytes first; nothing is left over", async () => {
  await using pair = await connectedPair();
  const receiving = pair.server.recv(16);
  const detaching = pair.server._detach();
  await pair.client.sendall("abc");
  assertEquals(text(await receiving), "abc");
  const { conn, buffered } = await detaching;
  conn.close();
  assertEquals(buffered.length, 0);
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

/** A connection that flips the case of ASCII letters both ways (a stand-in for TLS). */
function flipping(raw: StreamConn): StreamConn {
  const flip = (bytes: Uint8Array) => bytes.map((b) => (b >= 0x41 && b <= 0x7a ? b ^ 0x20 : b));
  return {
    async read(buffer) {
      const n = await raw.read(buffer);
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

Deno.test("_upgrade: a read in flight lands in what the wrapper gets, not lost", async () => {
  await using pair = await connectedPair();
  const abort = new AbortController();
  const stopped = pair.server.recv(16, { signal: abort.signal });
  abort.abort();
  await assertRejects(() => stopped, DOMException);
  let handed = "";
  const upgrading = pair.server._upgrade((raw, buffered) => {
    handed = text(buffered);
    return Promise.resolve(flipping(raw));
  });
  await pair.client.sendall("before");
  await upgrading;
  assertEquals(handed, "before");
  await pair.client.sendall("after");
  assertEquals(text(await recvAll(pair.server, 5)), "AFTER");
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
