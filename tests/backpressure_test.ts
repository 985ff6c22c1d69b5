/**
 * Backpressure and memory: the library reads only what the caller asks for
 * (plus one bounded chunk for MSG_PEEK and the read it keeps in flight), so
 * a peer that floods a socket the program does not read cannot grow this
 * process. The flooder is a python3 child: its buffers are not ours.
 */

import {
  AF_INET,
  BlockingIOError,
  MSG_DONTWAIT,
  MSG_PEEK,
  OSError,
  SOCK_DGRAM,
  socket,
  TimeoutError,
} from "@seed/socket";
import { assert, assertEquals, assertInstanceOf, listening, python } from "./_util.ts";
import { PythonPeer } from "./_peer.ts";

const MiB = 1 << 20;
const FLOOD = 256 * MiB;
/**
 * What the library may hold while the program reads nothing: the peer's
 * count of bytes sent, a number no load on this machine can change,
 * bounds it (the kernel's socket buffers hold part of it, a few MiB).
 */
const LIMIT = 64 * MiB;
/**
 * Process growth while it all is read back. The program's own `recv`
 * results are garbage V8 frees when it gets to run, later on a busy
 * machine (64 MiB past the library's needs was seen under load): this is
 * a margin for the collector, still far below the flood, which
 * `LIMIT` bounds exactly.
 */
const RSS_LIMIT = 160 * MiB;

const FLOODER = `
import socket, sys, select
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
total = int(sys.argv[2])
view = memoryview(bytes(range(256)) * 4097)  # 1 MiB + 256: any offset mod 256
c.setblocking(False)
sent = 0
stalled = False
while sent < total:
    try:
        start = sent % 256
        sent += c.send(view[start:start + min(1 << 20, total - sent)])
    except BlockingIOError:
        if not stalled:
            stalled = True
            print("stalled", sent)  # our buffers are full: the reader reads nothing
        readable, _, _ = select.select([sys.stdin], [c], [], 30)
        if readable:
            sys.stdin.readline()
            print("sent", sent)
c.setblocking(True)
c.shutdown(socket.SHUT_WR)
print("done", sent)
sys.stdin.read()
`;

function rss(): number {
  return Deno.memoryUsage().rss;
}

python.test("a 256 MiB flood at a socket that reads nothing for a while keeps memory bounded", async () => {
  const { server, address } = listening();
  await using peer = new PythonPeer(FLOODER, String(address[1]), String(FLOOD));
  const [conn] = await server.accept();
  server.close();
  const base = rss();
  let peak = base;
  const sample = () => peak = Math.max(peak, rss());

  // Phase 1: the program reads nothing; timed-out, non-blocking and peeking
  // calls leave at most one bounded read in flight.
  // The bytes are there: a peek returns at once. A bound that a busy
  // machine cannot miss (10 ms did, before the first read landed).
  conn.settimeout(5);
  const line = await peer.line();
  assert(line.startsWith("stalled "), line);
  const stalledAt = Number(line.split(" ")[1]);
  const peeked = await conn.recv(100, MSG_PEEK);
  assertEquals(peeked.length > 0, true);
  for (let i = 0; i < 20; i++) {
    // Each call sees data ready; it consumes nothing.
    assertEquals((await conn.recv(16, MSG_PEEK)).length, 16);
    sample();
  }
  assertEquals((await conn.recv(1, MSG_DONTWAIT))[0], 0);
  sample();
  // All the peer could send while the program read nothing: the library's
  // buffers, the kernel's and the one byte read hold it.
  await peer.send("sent?");
  const sentLine = await peer.line();
  assert(sentLine.startsWith("sent "), sentLine);
  const held = Number(sentLine.split(" ")[1]);
  assert(held < LIMIT, `the peer sent ${(held / MiB).toFixed(1)} MiB into a socket read by nobody`);

  // Phase 2: read it all back in small pieces, in every mode.
  let got = 1;
  const buffer = new Uint8Array(65536);
  let calls = 0;
  let expectedByte = 1;
  for (; calls < 100_000; calls++) {
    let n: number;
    const mode = calls % 4;
    if (mode === 0) {
      conn.settimeout(null);
      n = await conn.recv_into(buffer);
    } else if (mode === 1) {
      conn.settimeout(5);
      const data = await conn.recv(32768);
      buffer.set(data);
      n = data.length;
    } else if (mode === 2) {
      conn.setblocking(false);
      try {
        n = await conn.recv_into(buffer, 4096);
      } catch (e) {
        assertInstanceOf(e, OSError);
        continue;
      }
    } else {
      conn.settimeout(5);
      const data = await conn.recv(1000, MSG_PEEK);
      assert(data.length > 0 || got === FLOOD);
      assertEquals(data[0], got === FLOOD ? undefined : got & 0xff);
      n = await conn.recv_into(buffer, Math.min(65536, Math.max(1, data.length)));
    }
    if (n === 0) break;
    // The stream is the pattern, unbroken: check both ends of each piece.
    assertEquals(buffer[0], expectedByte & 0xff);
    assertEquals(buffer[n - 1], (expectedByte + n - 1) & 0xff);
    expectedByte += n;
    got += n;
    if (calls % 256 === 0) sample();
  }
  sample();
  assertEquals(got, FLOOD);
  assertEquals(await peer.line(), `done ${FLOOD}`);
  conn.close();
  const grew = peak - base;
  console.log(
    `flood ${FLOOD / MiB} MiB (peer stalled after ${(stalledAt / MiB).toFixed(1)} MiB, ` +
      `${(held / MiB).toFixed(1)} MiB sent unread), ${calls} calls, ` +
      `rss ${(base / MiB).toFixed(0)} MiB → peak +${(grew / MiB).toFixed(1)} MiB`,
  );
  assert(grew < RSS_LIMIT, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
});

const UDP_FLOODER = `
import socket, sys
port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytearray(size)
for seq in range(count):
    payload[0:4] = seq.to_bytes(4, "big")
    s.sendto(payload, ("127.0.0.1", port))
print("done", count)
sys.stdin.read()
`;

python.test("a datagram flood at a socket that reads slowly queues nothing in the library", async () => {
  const COUNT = 200_000;
  const SIZE = 1400; // 280 MB in all
  using sock = socket(AF_INET, SOCK_DGRAM);
  sock.bind(["127.0.0.1", 0]);
  const port = (sock.getsockname() as [string, number])[1];
  const base = rss();
  let peak = base;
  await using peer = new PythonPeer(UDP_FLOODER, String(port), String(COUNT), String(SIZE));
  // Read slowly while the flood runs: one datagram now and then, with
  // timeouts that fire and leave one receive in flight.
  sock.settimeout(0.005);
  let during = 0;
  let lastSeq = -1;
  const done = peer.line();
  let finished = false;
  void done.then(() => finished = true, () => finished = true);
  for (let i = 0; i < 2000 && !finished; i++) {
    try {
      const [data] = await sock.recvfrom(2048);
      assertEquals(data.length, SIZE);
      const seq = new DataView(data.buffer, data.byteOffset).getUint32(0);
      assert(seq > lastSeq, `datagram ${seq} after ${lastSeq}`);
      lastSeq = seq;
      during++;
    } catch (e) {
      assertInstanceOf(e, TimeoutError);
    }
    peak = Math.max(peak, rss());
    await new Promise((r) => setTimeout(r, 1));
  }
  assertEquals(await done, `done ${COUNT}`);
  // What is left to read is what the kernel kept (its receive buffer), not
  // the flood: the library holds at most the one datagram in flight.
  sock.setblocking(false);
  let after = 0;
  for (; after < COUNT; after++) {
    try {
      const [data] = await sock.recvfrom(2048);
      const seq = new DataView(data.buffer, data.byteOffset).getUint32(0);
      assert(seq > lastSeq, `datagram ${seq} after ${lastSeq}`);
      lastSeq = seq;
    } catch (e) {
      assertInstanceOf(e, BlockingIOError);
      break;
    }
  }
  peak = Math.max(peak, rss());
  const grew = peak - base;
  console.log(
    `udp flood ${COUNT} × ${SIZE} B: ${during} read while it ran, ${after} left after it ` +
      `(the kernel's buffer), rss peak +${(grew / MiB).toFixed(1)} MiB`,
  );
  assert(after < 2000, `${after} datagrams were queued after the flood`);
  assert(grew < LIMIT, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
});
