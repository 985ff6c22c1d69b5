/**
 * An HTTPS GET with Python's `ssl` recipe: a socket, `connect`, then
 * `create_default_context().wrap_socket(sock, { server_hostname })`. The
 * server is checked against Deno's trust store (its bundled roots; the
 * system's with `DENO_TLS_CA_STORE=system`; plus any `--cert FILE`).
 *
 *     deno run --allow-net=example.com:443 examples/https_get.ts https://example.com/
 *     DENO_TLS_CA_STORE=system deno run --allow-net=example.com:443 examples/https_get.ts https://example.com/
 *
 * Prints the status line, the TLS details and the body's size.
 *
 * @module
 */

import { socket } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";

const url = new URL(Deno.args[0] ?? "https://example.com/");
if (url.protocol !== "https:") {
  console.error(`usage: https_get.ts https://HOST[:PORT]/PATH  (got ${url.href})`);
  Deno.exit(2);
}
const host = url.hostname.replace(/^\[|\]$/g, "");
const port = Number(url.port || 443);

const ctx = ssl.create_default_context();
await using sock = socket();
sock.settimeout(10);
await sock.connect([host, port]);
await using tls = await ctx.wrap_socket(sock, { server_hostname: host });

const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
  `Connection: close\r\nUser-Agent: https_get.ts\r\n\r\n`;
await tls.sendall(request);

const chunks: Uint8Array[] = [];
let size = 0;
for (;;) {
  const data = await tls.recv(65536);
  if (data.length === 0) break;
  chunks.push(data);
  size += data.length;
}
const response = new Uint8Array(size);
let offset = 0;
for (const chunk of chunks) {
  response.set(chunk, offset);
  offset += chunk.length;
}
const text = new TextDecoder().decode(response);
const headerEnd = text.indexOf("\r\n\r\n");
console.log(text.slice(0, text.indexOf("\r\n")));
console.log(`subject: ${JSON.stringify(tls.getpeercert()?.subject)}`);
console.log(`body: ${headerEnd < 0 ? 0 : size - headerEnd - 4} bytes`);
