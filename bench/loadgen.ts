/**
 * A keep-alive HTTP/1.1 load generator for the `http` rows of
 * `compare.ts`, used beside `ab -k` and `wrk` (and in their place where
 * they are not installed): `connections` connections each send
 * `GET / HTTP/1.1` and read the whole response (its `Content-Length`
 * body) before the next, until `requests` responses have come back in all.
 * Raw Deno, one reused read buffer per connection.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/loadgen.ts <port> [connections=20] [requests=20000]
 * ```
 *
 * Prints `{"seconds": …, "requests": …}`.
 *
 * @module
 */

import { writeAll } from "./peers/_io.ts";

const [port, connections, requests] = [0, 1, 2].map((i) =>
  Number(Deno.args[i] ?? [NaN, 20, 20000][i])
);
if (!(port > 0) || !(connections > 0) || !(requests > 0)) {
  throw new TypeError("usage: loadgen.ts <port> [connections] [requests]");
}

const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
const CONTENT_LENGTH = new TextEncoder().encode("content-length:");
let issued = 0;

/** Where the head ends (just past its blank line) in `buf[0..end)`, or -1. */
function headEnd(buf: Uint8Array, end: number): number {
  for (let i = 3; i < end; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/** The Content-Length in the head `buf[0..end)`, matched case-insensitively. */
function contentLength(buf: Uint8Array, end: number): number {
  outer: for (let i = 0; i + CONTENT_LENGTH.length < end; i++) {
    for (let k = 0; k < CONTENT_LENGTH.length; k++) {
      if ((buf[i + k] | 0x20) !== CONTENT_LENGTH[k] && buf[i + k] !== CONTENT_LENGTH[k]) {
        continue outer;
      }
    }
    let n = 0;
    for (let j = i + CONTENT_LENGTH.length; j < end; j++) {
      const c = buf[j];
      if (c >= 48 && c <= 57) n = n * 10 + c - 48;
      else if (c !== 32) break;
    }
    return n;
  }
  throw new Error("response without Content-Length");
}

async function worker(): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(65536);
  let len = 0;
  let done = 0;
  try {
    while (issued < requests) {
      issued++;
      await writeAll(conn, request);
      let head = -1;
      let need = Infinity;
      while (len < need) {
        const n = await conn.read(len === 0 ? buf : buf.subarray(len));
        if (n === null) throw new Error("server closed the connection");
        len += n;
        if (head < 0) {
          head = headEnd(buf, len);
          if (head > 0) need = head + contentLength(buf, head);
        }
        if (len === buf.length && len < need) throw new Error("response over 64 KiB");
      }
      if (!buf.subarray(0, 12).every((c, i) => c === "HTTP/1.1 200".charCodeAt(i))) {
        throw new Error("not a 200 response");
      }
      buf.copyWithin(0, need, len);
      len -= need;
      done++;
    }
  } finally {
    conn.close();
  }
  return done;
}

const t0 = performance.now();
const counts = await Promise.all(Array.from({ length: connections }, worker));
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, requests: counts.reduce((a, b) => a + b, 0) }));
