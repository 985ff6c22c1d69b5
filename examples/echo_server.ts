/**
 * A TCP echo server: sends back every byte it receives, one task per
 * connection, until the client closes. The port comes from the first
 * argument (default 8000); it needs net permission for that one address.
 *
 *     deno run --allow-net=127.0.0.1:8000 examples/echo_server.ts 8000
 *
 * Stop it with Ctrl+C. Try it with examples/echo_client.ts.
 *
 * @module
 */

import { type Socket, socket, type SocketAddress } from "@seed/socket";

const port = Number(Deno.args[0] ?? 8000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: echo_server.ts [PORT]  (1-65535, got ${Deno.args[0]})`);
  Deno.exit(2);
}

async function handle(conn: Socket, peer: SocketAddress): Promise<void> {
  let total = 0;
  try {
    for (;;) {
      const data = await conn.recv(65536);
      if (data.length === 0) break; // the client closed its side
      await conn.sendall(data);
      total += data.length;
    }
    console.log(`${JSON.stringify(peer)}: echoed ${total} bytes, closed`);
  } catch (e) {
    console.log(`${JSON.stringify(peer)}: ${e}`);
  } finally {
    conn.close();
  }
}

await using server = socket();
server.bind(["127.0.0.1", port]);
server.listen();
console.log(`echo server listening on ${JSON.stringify(server.getsockname())}`);
for await (const [conn, peer] of server) {
  console.log(`${JSON.stringify(peer)}: connected`);
  handle(conn, peer);
}
