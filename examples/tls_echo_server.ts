/**
 * A TLS echo server: a listening socket wrapped with `server_side: true`,
 * then one task per connection, each sending back what it receives. A
 * client that fails its handshake makes only its own `accept` fail.
 *
 *     deno run --allow-net=127.0.0.1:8443 --allow-read=cert.pem,key.pem \
 *       examples/tls_echo_server.ts 8443 cert.pem key.pem
 *
 * Try it with `openssl s_client -connect 127.0.0.1:8443` or Python's `ssl`.
 *
 * @module
 */

import { socket } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";

const [portArg = "8443", certfile = "cert.pem", keyfile = "key.pem"] = Deno.args;
const port = Number(portArg);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: tls_echo_server.ts [PORT] [CERT] [KEY]  (got port ${portArg})`);
  Deno.exit(2);
}

const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
ctx.load_cert_chain(certfile, keyfile);

const plain = socket();
plain.bind(["127.0.0.1", port]);
plain.listen();
await using server = await ctx.wrap_socket(plain, { server_side: true });
console.log(`TLS echo server listening on ${JSON.stringify(server.getsockname())}`);

async function handle(conn: ssl.SSLSocket): Promise<void> {
  let total = 0;
  try {
    for (;;) {
      const data = await conn.recv(65536);
      if (data.length === 0) break;
      await conn.sendall(data);
      total += data.length;
    }
    console.log(`echoed ${total} bytes, closed`);
  } catch (e) {
    console.log(`connection failed: ${e}`);
  } finally {
    conn.close();
  }
}

for (;;) {
  try {
    const [conn, peer] = await server.accept();
    console.log(`${JSON.stringify(peer)}: handshake done`);
    handle(conn);
  } catch (e) {
    if (server.closed) break;
    console.log(`handshake failed: ${e instanceof Error ? e.message : e}`);
  }
}
