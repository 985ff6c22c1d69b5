/**
 * The fast paths the benchmarks rely on (blocking recv/recv_into/sendall
 * straight to Deno, a reused read buffer, one shared timer per socket for
 * timeouts) keep every guarantee of the general path.
 */

import { SHUT_WR, TimeoutError } from "@seed/socket";
import { assert, assertEquals, assertRejects, connectedPair, text } from "./_util.ts";

async function recvExactly(
  sock: { recv(n: number): Promise<Uint8Array> },
  size: number,
): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for (let got = 0; got < size;) {
    const part = await sock.recv(65536);
    if (part.length === 0) throw new Error("closed early");
    parts.push(part);
    got += part.length;
  }
  return parts;
}

Deno.test("read memory a closed socket leaves to the next socket never holds bytes a caller got", async () => {
  const kept: Uint8Array[][] = [];
  const fills = [0x61, 0x62, 0x63, 0x64];
  for (const [i, fill] of fills.entries()) {
    // Small reads (copied out of the read buffer) and large ones (handed
    // out whole), on sockets closed one after another.
    const size = i % 2 === 0 ? 1024 : 65536;
    await using pair = await connectedPair();
    await pair.client.sendall(new Uint8Array(size).fill(fill));
    kept.push(await recvExactly(pair.server, size));
    const into = new Uint8Array(16);
    await pair.client.sendall(new Uint8Array(16).fill(fill));
    for (let got = 0; got < 16;) got += await pair.server.recv_into(into.subarray(got));
    assert(into.every((b) => b === fill));
  }
  fills.forEach((fill, i) => {
    for (const part of kept[i]) assert(part.every((b) => b === fill), `socket ${i}`);
  });
});

for (const timeout of [null, 5]) {
  Deno.test(`recv(65536) results never share memory with later reads (timeout ${timeout})`, async () => {
    await using pair = await connectedPair();
    pair.server.settimeout(timeout);
    for (const size of [1024, 65536]) {
      const kept: Uint8Array[][] = [];
      for (const fill of [0x61, 0x62, 0x63]) {
        await pair.client.sendall(new Uint8Array(size).fill(fill));
        kept.push(await recvExactly(pair.server, size));
      }
      [0x61, 0x62, 0x63].forEach((fill, i) => {
        for (const part of kept[i]) {
          assert(part.every((b) => b === fill), `size ${size}, read ${i}`);
        }
      });
    }
  });
}

Deno.test("short reads of many sockets at once never leave a caller bytes another read overwrites", async () => {
  // Reads of up to 2 KiB share memory across sockets; what a caller got
  // must be its own. 40 sockets read at once (more than one 64 KiB slab of
  // 2 KiB cells), by recv, recv_into and a timed recv_into, twice over.
  const pairs = await Promise.all(Array.from({ length: 40 }, () => connectedPair()));
  try {
    pairs.forEach((pair, i) => {
      if (i % 3 === 2) pair.server.settimeout(5);
    });
    const round = async (base: number): Promise<Uint8Array[]> => {
      const reads = pairs.map(async (pair, i) => {
        if (i % 3 === 0) return (await recvExactly(pair.server, 100))[0];
        const into = new Uint8Array(65536);
        const n = await pair.server.recv_into(into);
        return into.subarray(0, n);
      });
      await Promise.all(
        pairs.map((pair, i) => pair.client.sendall(new Uint8Array(100).fill(base + i))),
      );
      return await Promise.all(reads);
    };
    const first = await round(0);
    const second = await round(100);
    for (const got of [...first, ...second]) assertEquals(got.length, 100);
    first.forEach((got, i) => assert(got.every((b) => b === i), `first round, socket ${i}`));
    second.forEach((got, i) =>
      assert(got.every((b) => b === 100 + i), `second round, socket ${i}`)
    );
  } finally {
    for (const pair of pairs) await pair[Symbol.asyncDispose]();
  }
});

Deno.test("recv_into reads into the caller's buffer and reports the end as 0", async () => {
  await using pair = await connectedPair();
  const buf = new Uint8Array(16);
  await pair.client.sendall("hello");
  let n = 0;
  while (n < 5) n += await pair.server.recv_into(buf.subarray(n), 5 - n);
  assertEquals(text(buf.subarray(0, 5)), "hello");
  await pair.client.shutdown(SHUT_WR);
  assertEquals(await pair.server.recv_into(buf), 0);
  assertEquals(await pair.server.recv(10), new Uint8Array(0));
});

Deno.test("two blocking recv calls at once are served in order", async () => {
  await using pair = await connectedPair();
  const first = pair.server.recv(4);
  const second = pair.server.recv(4);
  await pair.client.sendall("abcd");
  assertEquals(text(await first), "abcd");
  await pair.client.sendall("efgh");
  assertEquals(text(await second), "efgh");
});

Deno.test("a short timeout after a long one fires on time, and loses nothing", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(5);
  await pair.client.sendall("x");
  assertEquals(text(await pair.server.recv(1)), "x"); // leaves a 5 s timer armed
  pair.server.settimeout(0.05);
  const start = performance.now();
  await assertRejects(pair.server.recv(1), TimeoutError);
  const took = performance.now() - start;
  assert(took >= 40 && took < 2000, `timed out after ${took.toFixed(0)} ms`);
  await pair.client.sendall("y");
  assertEquals(text(await pair.server.recv(1)), "y");
});

Deno.test("timed recv_into and sendall after a run of quick timed calls time out neither early nor much late", async () => {
  await using pair = await connectedPair();
  pair.client.settimeout(0.15);
  pair.server.settimeout(0.15);
  const buf = new Uint8Array(4);
  // Many calls between two firings of the socket's timer, each its own deadline.
  for (let i = 0; i < 200; i++) {
    await pair.client.sendall("ping");
    for (let got = 0; got < 4;) got += await pair.server.recv_into(buf.subarray(got));
    assertEquals(text(buf), "ping");
  }
  for (const round of [0, 1]) {
    const start = performance.now();
    await assertRejects(pair.server.recv_into(buf), TimeoutError);
    const took = performance.now() - start;
    assert(took >= 150 && took < 2000, `round ${round}: timed out after ${took.toFixed(0)} ms`);
  }
  await pair.client.sendall("late");
  pair.server.settimeout(5);
  for (let got = 0; got < 4;) got += await pair.server.recv_into(buf.subarray(got));
  assertEquals(text(buf), "late");
});

Deno.test("two calls waiting at once on one socket each time out at their own deadline", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.3);
  const start = performance.now();
  const slow = assertRejects(pair.server.recv(1), TimeoutError).then(() => performance.now());
  pair.server.settimeout(0.05); // the same socket: its timer is re-armed earlier
  await assertRejects(pair.server.recv(1), TimeoutError);
  const fast = performance.now();
  const late = await slow;
  assert(fast - start < 250, `short timeout after ${(fast - start).toFixed(0)} ms`);
  assert(late - start >= 290, `long timeout after ${(late - start).toFixed(0)} ms`);
});

Deno.test("recv_into with a timeout: bytes that arrive after the timeout go to the next call", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(0.05);
  const buf = new Uint8Array(8);
  await pair.client.sendall("ab");
  assertEquals(await pair.server.recv_into(buf), 2);
  assertEquals(text(buf.subarray(0, 2)), "ab");
  await assertRejects(pair.server.recv_into(buf), TimeoutError);
  buf.fill(0);
  await pair.client.sendall("late");
  // The read that timed out is still in flight: its bytes must not land in
  // `buf` behind the caller's back, and the next call must get them.
  pair.server.settimeout(5);
  const other = new Uint8Array(8);
  let n = 0;
  while (n < 4) n += await pair.server.recv_into(other.subarray(n), 4 - n);
  assertEquals(text(other.subarray(0, 4)), "late");
  assertEquals(buf, new Uint8Array(8));
  await pair.client.shutdown(SHUT_WR);
  assertEquals(await pair.server.recv_into(other), 0);
});

Deno.test("sendall with a timeout: a send that times out still keeps the stream in order", async () => {
  await using pair = await connectedPair();
  pair.client.settimeout(0.05);
  await pair.client.sendall("first,");
  // Nobody reads: 64 MiB cannot fit in the kernel's buffers within 50 ms.
  const big = new Uint8Array(64 << 20).fill(0x78);
  await assertRejects(pair.client.sendall(big), TimeoutError);
  pair.client.settimeout(30);
  const tail = pair.client.sendall(",last");
  const got: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const part = await pair.server.recv(1 << 20);
    got.push(part);
    total += part.length;
    if (text(part.subarray(Math.max(0, part.length - 5))) === ",last") break;
  }
  await tail;
  const all = new Uint8Array(total);
  let off = 0;
  for (const part of got) {
    all.set(part, off);
    off += part.length;
  }
  assertEquals(text(all.subarray(0, 6)), "first,");
  // Whatever part of the big send went out is whole 'x' bytes, before ",last".
  assert(all.subarray(6, total - 5).every((b) => b === 0x78));
});
