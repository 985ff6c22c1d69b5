/**
 * The exact-length read and write loops the benchmark peers and
 * `socket_bench.ts` share: raw Deno (`writeAll`, `readExact`) and the
 * library (`recvExact`). Imports only a type, so the raw Deno peer does
 * not load the library.
 *
 * @module
 */

import type { Socket } from "../../mod.ts";

/** Writes all of `data` to a raw Deno connection. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await conn.write(off === 0 ? data : data.subarray(off));
  }
}

/** Fills `buf` from a raw Deno connection; throws if the peer closes first. */
export async function readExact(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  for (let got = 0; got < buf.length;) {
    const n = await conn.read(got === 0 ? buf : buf.subarray(got));
    if (n === null) throw new Error("peer closed early");
    got += n;
  }
}

/**
 * Opens `count` connections with at most `limit` opens in flight, then
 * resolves with all of them (the fan-in client's first phase; see
 * `Params.connecting`).
 */
export async function openAll<T>(
  count: number,
  limit: number,
  open: () => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await open();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return out;
}

/** Fills `buf` with `recv_into`; throws if the peer closes first. */
export async function recvExact(sock: Socket, buf: Uint8Array): Promise<void> {
  for (let got = 0; got < buf.length;) {
    const n = got === 0
      ? await sock.recv_into(buf)
      : await sock.recv_into(buf.subarray(got), buf.length - got);
    if (n === 0) throw new Error("peer closed early");
    got += n;
  }
}
