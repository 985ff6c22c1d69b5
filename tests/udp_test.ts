/**
 * Datagram sockets: round trips, auto-bind under scoped permissions, the
 * 64 KiB limit, truncation, connect() filtering, no loss after timeouts,
 * async iteration, a 10,000-datagram run, a CPython peer, options, and the
 * behaviour without --unstable-net.
 */

import {
  AF_INET,
  AF_INET6,
  BlockingIOError,
  type DatagramSocket,
  errno,
  inet_aton,
  inet_pton,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
  MSG_DONTWAIT,
  MSG_PEEK,
  OSError,
  PermissionError,
  SO_BROADCAST,
  SO_ERROR,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_DGRAM,
  socket,
  SOL_SOCKET,
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
  pseudoRandomBytes,
  python,
  readUntilNewline,
  runWithInput,
  text,
} from "./_util.ts";
import { unhandledDuring } from "./_peer.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

function udp(host = "127.0.0.1"): DatagramSocket {
  const sock = socket(host.includes(":") ? AF_INET6 : AF_INET, SOCK_DGRAM);
  sock.bind([host, 0]);
  return sock;
}

/** Runs `code` (a module importing the library as MOD) in a child deno. */
async function childDeno(flags: string[], code: string): Promise<{ ok: boolean; out: string }> {
  const result = await runWithInput(
    "deno",
    ["run", "--no-config", "--no-prompt", "--quiet", ...flags, "-"],
    code,
  );
  return {
    ok: result.success,
    out: text(result.stdout) + text(result.stderr),
  };
}

Deno.test("udp: a round trip, addresses checked on both sides (IPv4 and IPv6)", async (t) => {
  for (const host of ["127.0.0.1", "::1"]) {
    await t.step(host, async () => {
      using server = udp(host);
      using client = udp(host);
      const serverAddress = server.getsockname();
      const clientAddress = client.getsockname();
      assertEquals((serverAddress as unknown[]).length, host === "::1" ? 4 : 2);
      assertEquals(await client.sendto("ping", serverAddress as [string, number]), 4);
      const [data, from] = await server.recvfrom(1024);
      assertEquals(text(data), "ping");
      assertEquals(from, clientAddress);
      assertEquals(await server.sendto(data, from as [string, number]), 4);
      const [echo, back] = await client.recvfrom(1024);
      assertEquals(text(echo), "ping");
      assertEquals(back, serverAddress);
    });
  }
});

Deno.test("udp: an unbound socket binds itself on sendto, to loopback for a loopback peer", async () => {
  using server = udp();
  using client = socket(AF_INET, SOCK_DGRAM);
  assertEquals(client.getsockname(), ["0.0.0.0", 0]);
  await client.sendto(new Uint8Array([1, 2, 3]), server.getsockname());
  const [host, port] = client.getsockname() as [string, number];
  assertEquals(host, "127.0.0.1");
  assert(port > 0);
  const [, from] = await server.recvfrom(16);
  assertEquals(from, [host, port]);
  // An explicit bind after auto-bind is EINVAL, as on Linux.
  assertThrows(() => client.bind(["127.0.0.1", 0]), OSError, /Errno 22/);
});

Deno.test("udp: auto-bind works under --allow-net=127.0.0.1 alone (child process)", async () => {
  const { ok, out } = await childDeno(
    ["--unstable-net", "--allow-net=127.0.0.1"],
    `import { AF_INET, SOCK_DGRAM, socket } from "${MOD}";
     const server = socket(AF_INET, SOCK_DGRAM);
     server.bind(["127.0.0.1", 0]);
     const client = socket(AF_INET, SOCK_DGRAM);
     await client.sendto("hello", server.getsockname());
     const [data, from] = await server.recvfrom(64);
     await server.sendto(data, from);
     const [echo] = await client.recvfrom(64);
     console.log(JSON.stringify({ echo: new TextDecoder().decode(echo), from, me: client.getsockname() }));
     client.close(); server.close();`,
  );
  assert(ok, out);
  const result = JSON.parse(out.trim());
  assertEquals(result.echo, "hello");
  assertEquals(result.from, result.me);
  assertEquals(result.me[0], "127.0.0.1");
});

Deno.test("udp: without --unstable-net, socket(AF_INET, SOCK_DGRAM) throws an error naming the flag", async () => {
  const { ok, out } = await childDeno(
    ["--allow-net=127.0.0.1"],
    `import { AF_INET, SOCK_DGRAM, socket } from "${MOD}";
     console.log("listenDatagram:", typeof (Deno as unknown as Record<string, unknown>).listenDatagram);
     try {
       socket(AF_INET, SOCK_DGRAM);
       console.log("created");
     } catch (e) {
       console.log("error:", (e as Error).name, (e as { errno?: number }).errno, (e as Error).message);
     }`,
  );
  assert(ok, out);
  // The child really runs without the flag (--no-config: the project's
  // "unstable" setting does not apply).
  assert(out.includes("listenDatagram: undefined"), out);
  assert(out.includes("error: OSError 93"), out);
  assert(out.includes("--unstable-net"), out);
});

Deno.test("udp: 65,507 bytes go to IPv4, 65,508 fail with EMSGSIZE before sending; 65,527 for IPv6", async (t) => {
  for (const [host, limit] of [["127.0.0.1", 65507], ["::1", 65527]] as const) {
    await t.step(host, async () => {
      using server = udp(host);
      using client = udp(host);
      const big = pseudoRandomBytes(limit, 7);
      assertEquals(await client.sendto(big, server.getsockname()), limit);
      const [data] = await server.recvfrom(70000);
      assertEquals(data, big);
      const err = await assertRejects(
        client.sendto(new Uint8Array(limit + 1), server.getsockname()),
        OSError,
      );
      assertEquals(err.errno, errno.EMSGSIZE);
      // Nothing was sent: the next datagram the server sees is the small one.
      await client.sendto("after", server.getsockname());
      assertEquals(text((await server.recvfrom(100))[0]), "after");
    });
  }
});

Deno.test("udp: a datagram longer than bufsize is truncated, the rest discarded", async () => {
  using server = udp();
  using client = udp();
  const to = server.getsockname();
  const payload = pseudoRandomBytes(100, 3);
  // Blocking recvfrom, recv_into, recvfrom_into, and the timed path.
  await client.sendto(payload, to);
  await client.sendto("next", to);
  assertEquals((await server.recvfrom(10))[0], payload.subarray(0, 10));
  assertEquals(text((await server.recvfrom(10))[0]), "next");
  await client.sendto(payload, to);
  const buffer = new Uint8Array(64);
  assertEquals(await server.recv_into(buffer, 20), 20);
  assertEquals(buffer.subarray(0, 20), payload.subarray(0, 20));
  await client.sendto(payload, to);
  const [n, from] = await server.recvfrom_into(buffer);
  assertEquals([n, from], [64, client.getsockname()]);
  assertEquals(buffer, payload.subarray(0, 64));
  server.settimeout(5);
  await client.sendto(payload, to);
  await client.sendto("tail", to);
  assertEquals((await server.recvfrom(5))[0], payload.subarray(0, 5));
  assertEquals(text((await server.recvfrom(100))[0]), "tail");
});

Deno.test("udp: recvfrom_into calls made while one waits each get the next datagram, in order, none lost", async () => {
  using server = socket(AF_INET, SOCK_DGRAM);
  using client = socket(AF_INET, SOCK_DGRAM);
  server.bind(["127.0.0.1", 0]);
  const to = server.getsockname();
  const first = new Uint8Array(8), second = new Uint8Array(8), third = new Uint8Array(3);
  // The first call waits in Deno's receive; the others wait for it.
  const calls = [
    server.recvfrom_into(first),
    server.recvfrom_into(second),
    server.recvfrom_into(third),
  ];
  await client.sendto("one", to);
  await client.sendto("two", to);
  await client.sendto("three", to);
  const me = client.getsockname();
  assertEquals(await Promise.all(calls), [[3, me], [3, me], [3, me]]);
  assertEquals(text(first.subarray(0, 3)), "one");
  assertEquals(text(second.subarray(0, 3)), "two");
  // A datagram longer than the buffer: the rest is discarded, as Linux does.
  assertEquals(text(third), "thr");
  await client.sendto("four", to);
  assertEquals(await server.recvfrom_into(first), [4, me]);
  assertEquals(text(first.subarray(0, 4)), "four");
});

Deno.test("udp: recvfrom_into takes what the stream recv_into takes: an ArrayBuffer, a DataView, a Uint16Array", async () => {
  using server = udp();
  using client = udp();
  await using pair = await connectedPair();
  const payload = pseudoRandomBytes(20, 11);
  const bytesOf = (target: ArrayBufferView | ArrayBuffer) =>
    target instanceof ArrayBuffer
      ? new Uint8Array(target)
      : new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  // 16 bytes each; the DataView sits in the middle of a larger buffer.
  const targets = (): [string, ArrayBufferView | ArrayBuffer][] => [
    ["ArrayBuffer", new ArrayBuffer(16)],
    ["DataView", new DataView(new ArrayBuffer(24), 4, 16)],
    ["Uint16Array", new Uint16Array(8)],
  ];
  // Blocking (received straight into the target) and timed (queued, copied).
  for (const timeout of [null, 5]) {
    server.settimeout(timeout);
    for (const [what, target] of targets()) {
      await client.sendto(payload, server.getsockname());
      const [n, from] = await server.recvfrom_into(target);
      assertEquals([n, from], [16, client.getsockname()], what);
      assertEquals(bytesOf(target), payload.subarray(0, 16), what);
    }
  }
  const dataView = new DataView(new ArrayBuffer(24), 4, 16);
  await client.sendto(payload, server.getsockname());
  assertEquals(await server.recv_into(dataView, 6), 6);
  assertEquals(
    new Uint8Array(dataView.buffer),
    concat([new Uint8Array(4), payload.subarray(0, 6), new Uint8Array(14)]),
  );
  // The stream socket's recv_into, for the same targets; the first call goes
  // into the target itself, any rest of the 16 bytes through a byte view.
  for (const [what, target] of targets()) {
    await pair.client.sendall(payload.subarray(0, 16));
    let got = 0;
    for (let i = 0; i < 16 && got < 16; i++) {
      const view = bytesOf(target).subarray(got);
      got += await pair.server.recv_into(i === 0 ? target : view);
    }
    assertEquals(bytesOf(target), payload.subarray(0, 16), what);
  }
});

Deno.test("udp: MSG_PEEK leaves the datagram queued", async () => {
  using server = udp();
  using client = udp();
  await client.sendto("peeked", server.getsockname());
  assertEquals(text((await server.recvfrom(100, MSG_PEEK))[0]), "peeked");
  assertEquals(text((await server.recvfrom(3, MSG_PEEK))[0]), "pee");
  assertEquals(text((await server.recvfrom(100))[0]), "peeked");
});

Deno.test("udp: connect() sets the default peer and filters what recv delivers", async () => {
  using a = udp();
  using b = udp();
  using stranger = udp();
  await assertRejects(a.send("x"), OSError, /Errno 89/); // EDESTADDRREQ
  assertThrows(() => a.getpeername(), OSError, /Errno 107/);
  await a.connect(b.getsockname() as [string, number]);
  assertEquals(a.getpeername(), b.getsockname());
  await stranger.sendto("not for you", a.getsockname());
  await b.sendto("from b", a.getsockname());
  assertEquals(text(await a.recv(100)), "from b");
  await a.send("reply");
  const [data, from] = await b.recvfrom(100);
  assertEquals([text(data), from], ["reply", a.getsockname()]);
  // A name is resolved at connect: datagrams from 127.0.0.1 still match.
  await a.connect(["localhost", (b.getsockname() as [string, number])[1]]);
  assertEquals(a.getpeername(), b.getsockname());
  await stranger.sendto("again not", a.getsockname());
  await b.sendto("still b", a.getsockname());
  a.settimeout(5);
  assertEquals(text(await a.recv(100)), "still b");
});

Deno.test("udp: a datagram arriving after a TimeoutError is returned by the next recvfrom", async () => {
  using server = udp();
  using client = udp();
  server.settimeout(0.05);
  const started = performance.now();
  await assertRejects(server.recvfrom(100), TimeoutError);
  assertGreaterOrEqual(performance.now() - started, 40);
  await client.sendto("late", server.getsockname());
  await client.sendto("later", server.getsockname());
  const [first, from] = await server.recvfrom(100);
  assertEquals([text(first), from], ["late", client.getsockname()]);
  assertEquals(text((await server.recvfrom(100))[0]), "later");
});

Deno.test("udp: non-blocking mode and aborts lose nothing", async () => {
  using server = udp();
  using client = udp();
  server.setblocking(false);
  const err = await assertRejects(server.recvfrom(100), BlockingIOError);
  assertEquals(err.errno, errno.EAGAIN);
  await client.sendto("one", server.getsockname());
  // Deno delivers within a macrotask: poll a bounded number of times.
  let got: Uint8Array | null = null;
  for (let i = 0; i < 100 && !got; i++) {
    got = await server.recvfrom(100).then(([d]) => d, () => null);
  }
  assertEquals(text(got!), "one");
  server.setblocking(true);
  await assertRejects(server.recvfrom(100, MSG_DONTWAIT), BlockingIOError);
  const controller = new AbortController();
  const pending = server.recvfrom(100, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assertRejects(pending, Error, /stop/);
  await client.sendto("two", server.getsockname());
  assertEquals(text((await server.recvfrom(100))[0]), "two");
  // A send with an aborted signal rejects with its reason and sends nothing.
  const aborted = AbortSignal.abort(new Error("never sent"));
  await assertRejects(
    client.sendto("lost", server.getsockname(), { signal: aborted }),
    Error,
    /never sent/,
  );
  await client.sendto("three", 0, server.getsockname(), { signal: new AbortController().signal });
  assertEquals(text((await server.recvfrom(100))[0]), "three");
});

Deno.test("udp: recvfrom on an unbound socket waits for a binding; close rejects with EBADF", async () => {
  using sock = socket(AF_INET, SOCK_DGRAM);
  sock.settimeout(0.02);
  await assertRejects(sock.recvfrom(10), TimeoutError);
  sock.settimeout(null);
  const pending = sock.recvfrom(10);
  sock.close();
  const err = await assertRejects(pending, OSError);
  assertEquals(err.errno, errno.EBADF);
  await assertRejects(sock.sendto("x", ["127.0.0.1", 9]), OSError, /Errno 9/);
  assertEquals(sock.fileno(), -1);
});

Deno.test("udp: async iteration yields datagrams and ends when the socket closes", async () => {
  const server = udp();
  using client = udp();
  const seen: string[] = [];
  const loop = (async () => {
    for await (const [data, from] of server) {
      assertEquals(from, client.getsockname());
      seen.push(text(data));
      if (seen.length === 3) server.close();
    }
  })();
  for (const word of ["a", "b", "c"]) await client.sendto(word, server.getsockname());
  await loop;
  assertEquals(seen, ["a", "b", "c"]);
  assert(server.closed);
});

Deno.test("udp: await using closes the socket", async () => {
  let kept: DatagramSocket;
  {
    await using sock = udp();
    kept = sock;
    assert(sock.fileno() >= 0);
  }
  assertEquals(kept.fileno(), -1);
});

/** Sends 10,000 numbered datagrams; the receiver checks each one that arrives. */
async function flood(pace: number): Promise<void> {
  using server = udp();
  using client = udp();
  const to = server.getsockname();
  const total = 10_000;
  const size = 64;
  const seen = new Uint8Array(total);
  let received = 0;
  let corrupt = 0;
  const deadline = performance.now() + 30_000;
  server.settimeout(0.5);
  const receiving = (async () => {
    while (received < total && performance.now() < deadline) {
      let data: Uint8Array;
      try {
        [data] = await server.recvfrom(size);
      } catch (e) {
        if (e instanceof TimeoutError) break; // the sender is done; the rest were lost
        throw e;
      }
      const index = new DataView(data.buffer, data.byteOffset).getUint32(0);
      const expected = pseudoRandomBytes(size - 4, index + 1);
      if (
        data.length !== size || index >= total || seen[index] ||
        data.subarray(4).some((b, i) => b !== expected[i])
      ) {
        corrupt++;
        continue;
      }
      seen[index] = 1;
      received++;
    }
  })();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const datagram = new Uint8Array(size);
    new DataView(datagram.buffer).setUint32(0, i);
    datagram.set(pseudoRandomBytes(size - 4, i + 1), 4);
    await client.sendto(datagram, to);
    // Deno completes a UDP send without a macrotask: unless the sender
    // yields now and then, the whole burst runs before the receiver reads.
    if (pace && i % pace === pace - 1) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await receiving;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `10,000 datagrams of ${size} bytes, ${pace ? `yielding every ${pace}` : "one burst"}: ` +
      `${received} received intact, ${total - received} lost, ${corrupt} corrupt or duplicated, ` +
      `${seconds.toFixed(2)} s`,
  );
  assertEquals(corrupt, 0);
  assert(received > 0);
}

Deno.test("udp: 10,000 datagrams over loopback, each one that arrives verified, losses counted", async (t) => {
  await t.step("paced sender", () => flood(50));
  await t.step("one burst (the kernel's receive buffer overflows)", () => flood(0));
});

python.test("udp: a CPython peer exchanges datagrams with the library", async () => {
  const code = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
for _ in range(int(sys.argv[1])):
    data, addr = s.recvfrom(65535)
    s.sendto(("%s:%d|" % addr).encode() + data[::-1], addr)
s.close()
`;
  const rounds = 20;
  const proc = new Deno.Command("python3", {
    args: ["-c", code, String(rounds)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const head = await readUntilNewline(proc.stdout);
  const port = Number(head.trim());
  assert(port > 0, `python said ${head}`);
  using sock = socket(AF_INET, SOCK_DGRAM);
  sock.settimeout(10);
  for (let i = 0; i < rounds; i++) {
    const payload = pseudoRandomBytes(1 + i * 1000, i + 1);
    await sock.sendto(payload, ["127.0.0.1", port]);
    const [reply, from] = await sock.recvfrom(65535);
    assertEquals(from, ["127.0.0.1", port]);
    const [me, myPort] = sock.getsockname() as [string, number];
    const prefix = new TextEncoder().encode(`${me}:${myPort}|`);
    assertEquals(reply, concat([prefix, payload.slice().reverse()]));
  }
  const status = await proc.output();
  assert(status.success, text(status.stderr));
});

Deno.test("udp: socket options", async (t) => {
  await t.step("SO_TYPE, SO_REUSEADDR, SO_BROADCAST", async () => {
    using sock = socket(AF_INET, SOCK_DGRAM);
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_BROADCAST), 0);
    // Linux refuses the broadcast address until SO_BROADCAST is set.
    const err = await assertRejects(sock.sendto("x", ["<broadcast>", 9]), PermissionError);
    assertEquals(err.errno, errno.EACCES);
    sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
    // SO_REUSEADDR on both lets two sockets share a port.
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    sock.bind(["127.0.0.1", 0]);
    using other = socket(AF_INET, SOCK_DGRAM);
    other.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    other.bind(sock.getsockname());
    assertEquals(other.getsockname(), sock.getsockname());
    using third = socket(AF_INET, SOCK_DGRAM);
    assertThrows(() => third.bind(sock.getsockname()), OSError, /Errno 98/);
  });

  await t.step("multicast membership, loop and TTL (IPv4)", async () => {
    using sock = udp();
    assertEquals(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP), 1);
    assertEquals(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL), 1);
    // No group yet: Deno has no way to set the TTL.
    assertThrows(() => sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 4), OSError, /Errno 92/);
    const mreq = concat([inet_aton("239.255.42.1"), inet_aton("127.0.0.1")]);
    sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq);
    sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 4);
    assertEquals(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL), 4);
    sock.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    assertEquals(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    sock.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq);
    // The next blocking call waits for Deno to finish the changes.
    await sock.sendto("flush", sock.getsockname());
    assertEquals(text((await sock.recvfrom(16))[0]), "flush");
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
    assertThrows(() => sock.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq), OSError, /Errno 99/);
    const unicast = concat([inet_aton("10.0.0.1"), inet_aton("0.0.0.0")]);
    assertThrows(
      () => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, unicast),
      OSError,
      /Errno 22/,
    );
    assertThrows(() => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, 1), TypeError);
    assertThrows(() => sock.getsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP), OSError, /Errno 92/);
  });

  await t.step("multicast membership (IPv6), and a join made before bind", async () => {
    using sock = socket(AF_INET6, SOCK_DGRAM);
    const mreq = new Uint8Array(20);
    mreq.set(inet_pton(AF_INET6, "ff02::1:3"));
    new DataView(mreq.buffer).setUint32(16, 1, true); // interface index 1 (loopback)
    sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq); // applied at bind
    sock.bind(["::1", 0]);
    sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
    assertEquals(sock.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);
    sock.setsockopt(IPPROTO_IPV6, IPV6_LEAVE_GROUP, mreq);
    await sock.sendto("flush", sock.getsockname());
    assertEquals(text((await sock.recvfrom(16))[0]), "flush");
    assertEquals(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  });

  await t.step("a join Deno refuses rejects the next call, and leaves no membership", async () => {
    using sock = udp();
    // 203.0.113.9 (TEST-NET-3) is no interface of this host.
    const mreq = concat([inet_aton("239.255.42.2"), inet_aton("203.0.113.9")]);
    sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq);
    const err = await assertRejects(sock.sendto("x", sock.getsockname()), OSError);
    // ENODEV has no name in errors.ts: its number and text still come through.
    if (Deno.build.os === "linux") assertEquals([err.errno, err.strerror], [19, "No such device"]);
    assertThrows(() => sock.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq), OSError, /Errno 99/);
    await sock.sendto("works again", sock.getsockname());
    assertEquals(text((await sock.recvfrom(16))[0]), "works again");
  });

  await t.step("what Deno cannot do is ENOPROTOOPT", () => {
    using v6 = socket(AF_INET6, SOCK_DGRAM);
    assertEquals(v6.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 1);
    assertThrows(() => v6.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 5), OSError, /Errno 92/);
    assertThrows(() => v6.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 5), OSError, /Errno 92/);
    using v4 = socket(AF_INET, SOCK_DGRAM);
    assertThrows(() => v4.setsockopt(IPPROTO_IP, 1, /* IP_TOS */ 5), OSError, /Errno 92/);
  });
});

Deno.test("udp: bad arguments are TypeError/RangeError before any I/O", async () => {
  using sock = udp();
  await assertRejects(sock.sendto(42 as unknown as string, ["127.0.0.1", 9]), TypeError);
  await assertRejects(sock.sendto("x", ["127.0.0.1", 70000]), RangeError);
  await assertRejects(sock.sendto("x", "127.0.0.1" as unknown as [string, number]), TypeError);
  await assertRejects(sock.recvfrom(-1), RangeError);
  await assertRejects(sock.recvfrom(10, 0x8000), RangeError);
  await assertRejects(sock.recvfrom_into(new Uint8Array(4), 8), RangeError);
  assertThrows(() => socket(AF_INET, 99), OSError, /Errno 22/);
  const err = assertThrows(() => socket(AF_INET, SOCK_DGRAM, 6), OSError);
  assertEquals(err.errno, errno.EPROTONOSUPPORT);
  using s6 = socket(AF_INET6, SOCK_DGRAM, 17);
  assertEquals(s6.proto, 17);
});

python.test("udp: a CPython client talks to a library server (empty and 65,507-byte datagrams too)", async () => {
  using server = udp();
  const [, port] = server.getsockname() as [string, number];
  server.settimeout(10);
  const client = python(
    `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for size in (0, 1, 1400, 65507):
    s.sendto(bytes(i % 251 for i in range(size)), ("127.0.0.1", int(sys.argv[1])))
    data, addr = s.recvfrom(65535)
    assert addr == ("127.0.0.1", int(sys.argv[1])), addr
    print(len(data), data == bytes(i % 251 for i in range(size))[::-1])
print("%s:%d" % s.getsockname())`,
    String(port),
  );
  const peers = new Set<string>();
  for (const size of [0, 1, 1400, 65507]) {
    const [data, from] = await server.recvfrom(65535);
    assertEquals(data, Uint8Array.from({ length: size }, (_, i) => i % 251));
    peers.add(JSON.stringify(from));
    await server.sendto(data.slice().reverse(), from as [string, number]);
  }
  const lines = (await client).trim().split("\n");
  assertEquals(lines.slice(0, 4), ["0 True", "1 True", "1400 True", "65507 True"]);
  // CPython's client bound itself to the wildcard; it sent from 127.0.0.1.
  const [, clientPort] = lines[4].split(":");
  assertEquals([...peers], [JSON.stringify(["127.0.0.1", Number(clientPort)])]);
});

Deno.test("udp: recvfrom calls made while one is in flight each get their own datagram; none lost", async () => {
  // The first call takes the fast path (one Deno receive); the others wait
  // for it, blocking or timed, and then receive in turn.
  using server = udp();
  using client = udp();
  const first = server.recvfrom(100);
  const second = server.recvfrom(100);
  server.settimeout(5);
  const third = server.recvfrom(100);
  for (const word of ["a", "b", "c"]) await client.sendto(word, server.getsockname());
  const got = (await Promise.all([first, second, third])).map(([data]) => text(data));
  assertEquals(got.toSorted(), ["a", "b", "c"]);
  assertEquals(got[0], "a");
});

for (
  const [name, call] of [
    ["recvfrom", (s: ReturnType<typeof udp>) => s.recvfrom(100)],
    ["recvfrom_into", (s: ReturnType<typeof udp>) => s.recvfrom_into(new Uint8Array(100))],
  ] as const
) {
  Deno.test(`udp: a fast ${name} nobody awaits does not become an unhandled rejection when the socket closes`, async () => {
    const seen = await unhandledDuring(() => {
      const sock = udp();
      void call(sock); // in flight when the socket closes
      sock.close();
      return Promise.resolve();
    });
    assertEquals(seen, []);
  });
}
