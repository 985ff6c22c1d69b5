/**
 * Load: 200 concurrent clients, each echoing random-sized chunks through one
 * server socket, every byte verified, the whole run bounded in time.
 */

import { SHUT_WR, type Socket, socket } from "@seed/socket";
import { assert, assertEquals, concat, listening, pseudoRandomBytes, within } from "./_util.ts";

const CLIENTS = 200;
const LIMIT_MS = 30_000;

/** Echoes everything back until EOF, then closes. */
async function echo(conn: Socket): Promise<void> {
  try {
    for (;;) {
      const data = await conn.recv(65536);
      if (data.length === 0) break;
      await conn.sendall(data);
    }
  } finally {
    conn.close();
  }
}

async function client(address: [string, number], id: number): Promise<number> {
  using sock = socket();
  await sock.connect(address);
  // Random sizes from a seeded generator: reproducible, different per client.
  const sizes = pseudoRandomBytes(24, id + 1);
  const chunks = Array.from(sizes, (s, i) => pseudoRandomBytes(1 + s * 97, id * 100 + i + 1));
  const expected = concat(chunks);
  const receiving = (async () => {
    const parts: Uint8Array[] = [];
    let got = 0;
    for (let i = 0; i < expected.length + 1; i++) {
      const part = await sock.recv(1 + (i * 7919) % 40000);
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return { data: concat(parts), got };
  })();
  for (const chunk of chunks) await sock.sendall(chunk);
  await sock.shutdown(SHUT_WR);
  const { data, got } = await receiving;
  assertEquals(got, expected.length, `client ${id}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (data[i] !== expected[i]) throw new Error(`client ${id}: byte ${i} differs`);
  }
  return got;
}

Deno.test(`${CLIENTS} concurrent clients echo random-sized chunks, every byte verified`, async () => {
  const { server, address } = listening();
  const handlers: Promise<void>[] = [];
  const serving = (async () => {
    for await (const [conn] of server) handlers.push(echo(conn));
  })();
  const started = performance.now();
  try {
    const totals = await within(
      Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(address, id))),
      LIMIT_MS,
      `${CLIENTS} echo clients`,
    );
    const bytes = totals.reduce((a, b) => a + b, 0);
    assert(bytes > CLIENTS * 1000);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${CLIENTS} clients echoed ${(bytes / 2 ** 20).toFixed(1)} MiB each way in ${
        seconds.toFixed(2)
      } s`,
    );
  } finally {
    server.close();
    await serving;
    await Promise.allSettled(handlers);
  }
  assertEquals(handlers.length, CLIENTS);
});
