/**
 * A TCP echo client: connects to 127.0.0.1:PORT (default 8000), sends a
 * message, half-closes (SHUT_WR) so the server sees the end, and prints
 * what comes back. It needs net permission for that one address.
 *
 *     deno run --allow-net=127.0.0.1:8000 examples/echo_client.ts 8000 "hello"
 *
 * @module
 */

import { SHUT_WR, socket } from "@seed/socket";

const port = Number(Deno.args[0] ?? 8000);
const message = Deno.args[1] ?? "Hello, echo server!";
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: echo_client.ts [PORT] [MESSAGE]  (1-65535, got ${Deno.args[0]})`);
  Deno.exit(2);
}

await using sock = socket();
sock.settimeout(10); // fail rather than hang if the server does not answer
await sock.connect(["127.0.0.1", port]);
console.log(
  `connected ${JSON.stringify(sock.getsockname())} -> ${JSON.stringify(sock.getpeername())}`,
);
await sock.sendall(message);
await sock.shutdown(SHUT_WR); // "that is all": the server's recv returns empty
const decoder = new TextDecoder();
let reply = "";
for (;;) {
  const data = await sock.recv(65536);
  if (data.length === 0) break; // the server closed: the whole echo is here
  reply += decoder.decode(data, { stream: true });
}
console.log(`received ${JSON.stringify(reply + decoder.decode())}`);
