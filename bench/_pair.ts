/**
 * A connected pair of library sockets, shared by the `deno bench` files.
 *
 * @module
 */

import { IPPROTO_TCP, type Socket, socket, TCP_NODELAY } from "../mod.ts";

/** Two library sockets connected over loopback, `TCP_NODELAY` set on both. */
export async function libraryPair(): Promise<[Socket, Socket]> {
  const server = socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const a = socket();
  await a.connect(server.getsockname() as [string, number]);
  const [b] = await server.accept();
  server.close();
  for (const s of [a, b]) s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  return [a, b];
}
