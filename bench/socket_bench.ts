/**
 * Micro-benchmarks of the stream socket's hot paths, each next to the raw
 * Deno call it wraps (the baseline of its group). Both ends live in this
 * process on loopback, so a figure is the library's own cost per call plus
 * one trip through the kernel.
 *
 * ```sh
 * deno task bench      # runs every bench/*_bench.ts
 * ```
 *
 * @module
 */

import {
  AF_INET,
  ConnectionRefusedError,
  errno,
  fromErrno,
  IPPROTO_TCP,
  SOCK_DGRAM,
  socket,
  TCP_NODELAY,
  toOSError,
} from "../mod.ts";
import { libraryPair } from "./_pair.ts";
import { readExact, recvExact, writeAll } from "./peers/_io.ts";

const SMALL = 64;
const BIG = 1 << 20;

/**
 * Three connected pairs: a library socket whose far end is raw Deno (so a
 * recv or send bench measures one library call), raw Deno at both ends (the
 * baseline), and the library at both ends (round trips).
 */
async function pairs() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  const client = socket();
  await client.connect(["127.0.0.1", port]);
  const clientPeer = await listener.accept();
  const rawClient = await Deno.connect({ hostname: "127.0.0.1", port });
  const rawPeer = await listener.accept();
  listener.close();

  const [libA, libB] = await libraryPair();

  client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  for (const c of [clientPeer, rawClient, rawPeer]) c.setNoDelay(true);
  return { client, clientPeer, rawClient, rawPeer, libA, libB };
}

const { client, clientPeer, rawClient, rawPeer, libA, libB } = await pairs();
globalThis.addEventListener("unload", () => {
  for (const s of [client, libA, libB]) s.close();
  for (const c of [clientPeer, rawClient, rawPeer]) c.close();
});

const small = new Uint8Array(SMALL);
const smallIn = new Uint8Array(SMALL);
const big = new Uint8Array(BIG);
const drainBuf = new Uint8Array(65536);
const readBuf = new Uint8Array(65536);

// ---- receiving 64 bytes (the peer writes them with raw Deno) -------------------

Deno.bench(
  "raw Deno: conn.read(reused buffer)",
  { group: "recv 64 B", baseline: true },
  async () => {
    await writeAll(rawPeer, small);
    await readExact(rawClient, smallIn);
  },
);

Deno.bench("raw Deno: conn.read(new Uint8Array(65536))", { group: "recv 64 B" }, async () => {
  await writeAll(rawPeer, small);
  for (let got = 0; got < SMALL;) got += (await rawClient.read(new Uint8Array(65536)))!;
});

Deno.bench("recv_into(reused buffer)", { group: "recv 64 B" }, async () => {
  await writeAll(clientPeer, small);
  await recvExact(client, smallIn);
});

Deno.bench(
  "recv(65536): new bytes per call (a copy of what arrived)",
  { group: "recv 64 B" },
  async () => {
    await writeAll(clientPeer, small);
    for (let got = 0; got < SMALL;) got += (await client.recv(65536)).length;
  },
);

Deno.bench("recv_into with settimeout(5)", { group: "recv 64 B" }, async (b) => {
  client.settimeout(5);
  b.start();
  await writeAll(clientPeer, small);
  await recvExact(client, smallIn);
  b.end();
  client.settimeout(null);
});

// ---- sending 64 bytes (the peer reads them with raw Deno) ----------------------

Deno.bench("raw Deno: conn.write", { group: "send 64 B", baseline: true }, async () => {
  await writeAll(rawClient, small);
  await readExact(rawPeer, smallIn);
});

Deno.bench("sendall", { group: "send 64 B" }, async () => {
  await client.sendall(small);
  await readExact(clientPeer, smallIn);
});

Deno.bench("sendall with settimeout(5)", { group: "send 64 B" }, async (b) => {
  client.settimeout(5);
  b.start();
  await client.sendall(small);
  await readExact(clientPeer, smallIn);
  b.end();
  client.settimeout(null);
});

// ---- a 64-byte round trip, both ends in this process -----------------------------

Deno.bench("raw Deno round trip", { group: "round trip 64 B", baseline: true }, async () => {
  await writeAll(rawClient, small);
  await readExact(rawPeer, readBuf.subarray(0, SMALL));
  await writeAll(rawPeer, readBuf.subarray(0, SMALL));
  await readExact(rawClient, smallIn);
});

Deno.bench("library round trip (sendall / recv_into)", { group: "round trip 64 B" }, async () => {
  await libA.sendall(small);
  await recvExact(libB, readBuf.subarray(0, SMALL));
  await libB.sendall(readBuf.subarray(0, SMALL));
  await recvExact(libA, smallIn);
});

// ---- 1 MiB in one call; the peer drains it -----------------------------------------

async function drain(conn: Deno.Conn, total: number): Promise<void> {
  for (let got = 0; got < total;) {
    const n = await conn.read(drainBuf);
    if (n === null) throw new Error("closed");
    got += n;
  }
}

Deno.bench("raw Deno: write loop", { group: "send 1 MiB", baseline: true }, async () => {
  await Promise.all([writeAll(rawClient, big), drain(rawPeer, BIG)]);
});

Deno.bench("sendall (one buffer handed to Deno)", { group: "send 1 MiB" }, async () => {
  await Promise.all([client.sendall(big), drain(clientPeer, BIG)]);
});

// ---- a 64-byte datagram, sent and received in this process ------------------------

const rawA = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const rawB = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const udpA = socket(AF_INET, SOCK_DGRAM);
const udpB = socket(AF_INET, SOCK_DGRAM);
udpA.bind(["127.0.0.1", 0]);
udpB.bind(["127.0.0.1", 0]);
const udpBAddress = udpB.getsockname();
const datagramIn = new Uint8Array(2048);
globalThis.addEventListener("unload", () => {
  for (const s of [rawA, rawB]) s.close();
  for (const s of [udpA, udpB]) s.close();
});

Deno.bench(
  "raw Deno: send / receive(reused buffer)",
  { group: "datagram 64 B", baseline: true },
  async () => {
    await rawA.send(small, rawB.addr);
    await rawB.receive(datagramIn);
  },
);

Deno.bench("raw Deno: send / receive() (new buffer each)", { group: "datagram 64 B" }, async () => {
  await rawA.send(small, rawB.addr);
  await rawB.receive();
});

Deno.bench("sendto / recvfrom(65536)", { group: "datagram 64 B" }, async () => {
  await udpA.sendto(small, udpBAddress);
  await udpB.recvfrom(65536);
});

Deno.bench("sendto / recvfrom_into(reused buffer)", { group: "datagram 64 B" }, async () => {
  await udpA.sendto(small, udpBAddress);
  await udpB.recvfrom_into(datagramIn);
});

// ---- errno mapping ---------------------------------------------------------------

const refused = new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
Object.assign(refused, { code: "ECONNREFUSED" });
const reset = new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)");
const plain = new Error("something else");

Deno.bench("reference: new Error() (what any error costs)", { group: "errno mapping" }, () => {
  new Error("Connection refused");
});

Deno.bench("toOSError: Deno error with .code", { group: "errno mapping", baseline: true }, () => {
  const e = toOSError(refused, { address: "127.0.0.1:1" });
  if (!(e instanceof ConnectionRefusedError)) throw new Error("wrong class");
});

Deno.bench("toOSError: Deno error class, no .code", { group: "errno mapping" }, () => {
  toOSError(reset);
});

Deno.bench("toOSError: a foreign Error", { group: "errno mapping" }, () => {
  toOSError(plain);
});

Deno.bench("fromErrno(ECONNREFUSED)", { group: "errno mapping" }, () => {
  fromErrno(errno.ECONNREFUSED);
});

// ---- address validation (public bind/connect argument checks) ---------------------

const unbound = socket();
globalThis.addEventListener("unload", () => unbound.close());

Deno.bench("bind(): bad port rejected (RangeError)", { group: "address checks" }, () => {
  try {
    unbound.bind(["127.0.0.1", 70000]);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
});

Deno.bench("bind(): bad shape rejected (TypeError)", { group: "address checks" }, () => {
  try {
    unbound.bind(["127.0.0.1"] as unknown as [string, number]);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
});

Deno.bench(
  "connect(): valid address checked, then EISCONN",
  { group: "address checks", baseline: true },
  async () => {
    try {
      await client.connect(["127.0.0.1", 8080]);
    } catch (e) {
      if ((e as { errno?: number }).errno !== errno.EISCONN) throw e;
    }
  },
);

Deno.bench(
  "connect(): IPv6 tuple checked on an AF_INET socket",
  { group: "address checks" },
  async () => {
    try {
      await client.connect(["::1", 8080]);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
    }
  },
);
