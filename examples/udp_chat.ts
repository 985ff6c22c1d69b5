/**
 * A tiny chat among three peers on loopback, over UDP: each peer has one
 * bound datagram socket, sends each message to every other peer with
 * sendto, and reads its inbox with `for await (const [data, from] of sock)`,
 * which ends when the socket closes. Every step is printed.
 *
 *     deno run --allow-net=127.0.0.1 examples/udp_chat.ts
 *
 * @module
 */

import { AF_INET, type DatagramSocket, SOCK_DGRAM, socket } from "@seed/socket";

const decoder = new TextDecoder();

interface Peer {
  name: string;
  sock: DatagramSocket;
  address: [string, number];
  inbox: string[];
}

function join(name: string): Peer {
  const sock = socket(AF_INET, SOCK_DGRAM);
  sock.bind(["127.0.0.1", 0]); // port 0: the system picks a free port
  const address = sock.getsockname() as [string, number];
  console.log(`${name}: joined at ${address[0]}:${address[1]}`);
  return { name, sock, address, inbox: [] };
}

const peers = ["alice", "bob", "carol"].map(join);
const byPort = new Map(peers.map((p) => [p.address[1], p.name]));

// Five messages are sent below; UDP may drop some, so the wait is bounded.
let delivered = 0;
const allDelivered = Promise.withResolvers<void>();

// Each peer reads its inbox until its socket is closed.
const readers = peers.map(async (peer) => {
  for await (const [data, from] of peer.sock) {
    const sender = byPort.get(from[1] as number) ?? `${from[0]}:${from[1]}`;
    const line = decoder.decode(data);
    peer.inbox.push(`${sender}: ${line}`);
    console.log(`${peer.name}: got ${JSON.stringify(line)} from ${sender}`);
    if (++delivered === 5) allDelivered.resolve();
  }
  console.log(`${peer.name}: socket closed, inbox done`);
});

async function say(from: Peer, line: string, to: Peer[] = peers.filter((p) => p !== from)) {
  for (const peer of to) {
    await from.sock.sendto(line, peer.address);
    console.log(`${from.name}: sent ${JSON.stringify(line)} to ${peer.name}`);
  }
}

const [alice, bob, carol] = peers;
await say(alice, "hi all");
await say(bob, "hello alice, hello carol");
await say(carol, "psst, bob", [bob]);

// Wait until every message has arrived (at most 2 s), then leave.
let timer: ReturnType<typeof setTimeout> | undefined;
await Promise.race([
  allDelivered.promise,
  new Promise((resolve) => timer = setTimeout(resolve, 2000)),
]);
clearTimeout(timer);
for (const peer of peers) {
  console.log(`${peer.name}: leaving with ${peer.inbox.length} message(s)`);
  peer.sock.close(); // ends that peer's for-await loop
}
await Promise.all(readers);
