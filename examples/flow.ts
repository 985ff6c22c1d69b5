/**
 * The seed's flow, narrated: a TCP server and a client in one process on
 * 127.0.0.1, twelve steps, each printed as it happens with the real
 * addresses.
 *
 *     deno task demo
 *     deno run --allow-net=127.0.0.1 examples/flow.ts
 *
 * Server: socket() → bind() → listen() → accept() → recv() → send() → close().
 * Client: socket() → connect() → send() → recv() → close().
 *
 * @module
 */

import { AF_INET, SOCK_STREAM, socket, type SocketAddress } from "@seed/socket";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function show(address: SocketAddress): string {
  return typeof address === "string" ? JSON.stringify(address) : `${address[0]}:${address[1]}`;
}

function step(n: number, who: "server" | "client", what: string): void {
  console.log(`${String(n).padStart(2)}. ${who.padEnd(6)} ${what}`);
}

// 1. The server makes a socket: IPv4 (AF_INET), a byte stream (SOCK_STREAM = TCP).
const server = socket(AF_INET, SOCK_STREAM);
step(1, "server", `socket(AF_INET, SOCK_STREAM) created (fileno ${server.fileno()})`);

// 2. It binds to an address; port 0 asks the OS for any free port.
server.bind(["127.0.0.1", 0]);
const address = server.getsockname() as [string, number];
step(2, "server", `bind(["127.0.0.1", 0]) -> bound to ${show(address)}`);

// 3. It listens: from now on the OS queues incoming connections.
server.listen(5);
step(3, "server", `listen(5) -> listening on ${show(address)}`);

// 4. The client makes its own socket.
const client = socket(AF_INET, SOCK_STREAM);
step(4, "client", `socket(AF_INET, SOCK_STREAM) created (fileno ${client.fileno()})`);

// 5. It connects to the server's address (the OS picks the client's port).
step(5, "client", `connect(["${address[0]}", ${address[1]}]) -> connecting to ${show(address)}`);
const connecting = client.connect(address);

// 6. The server accepts: a new socket for this one connection, and the peer's address.
const [conn, peer] = await server.accept();
await connecting;
step(6, "server", `accept() -> new connection from ${show(peer)} (fileno ${conn.fileno()})`);
console.log(
  `           client is connected: ${show(client.getsockname())} -> ${show(client.getpeername())}`,
);

// 7. The client sends a request.
const request = "Hello, server!";
await client.sendall(request);
step(
  7,
  "client",
  `sendall(${JSON.stringify(request)}) -> ${encoder.encode(request).length} bytes sent`,
);

// 8. The server receives it (recv returns what has arrived, up to 1024 bytes).
const received = await conn.recv(1024);
step(
  8,
  "server",
  `recv(1024) -> ${received.length} bytes: ${JSON.stringify(decoder.decode(received))}`,
);

// 9. The server replies on the same connection.
const reply = `Hello, ${show(peer)}! You said: ${decoder.decode(received)}`;
const sent = await conn.send(reply);
step(9, "server", `send(${JSON.stringify(reply)}) -> ${sent} bytes sent`);

// 10. The client receives the reply.
const answer = await client.recv(1024);
step(
  10,
  "client",
  `recv(1024) -> ${answer.length} bytes: ${JSON.stringify(decoder.decode(answer))}`,
);

// 11. The client closes its socket; the server's next recv sees end-of-stream.
client.close();
step(11, "client", `close() -> closed (fileno now ${client.fileno()})`);

// 12. The server sees the end (an empty recv), closes the connection, then stops listening.
const end = await conn.recv(1024);
conn.close();
server.close();
step(
  12,
  "server",
  `recv(1024) -> ${end.length} bytes (peer closed); close() connection and listener`,
);
