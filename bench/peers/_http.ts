/**
 * The keep-alive HTTP/1.1 exchange every benchmark HTTP server speaks: one
 * fixed response with a 1 KiB body per request head, the request's end
 * found by its blank line. Shared by the raw Deno and library peers and the
 * Deno load generator; imports nothing.
 *
 * @module
 */

/** The response to every request: 200, keep-alive, `body` bytes of "x". */
export function response(body: number): Uint8Array {
  const head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n" +
    `Content-Length: ${body}\r\n\r\n`;
  return new TextEncoder().encode(head + "x".repeat(body));
}

/**
 * Request heads complete in `buf[0..end)`: returns how many end there and
 * the offset just past the last one. `from` is where the previous scan
 * stopped, so a blank line split across reads is still found.
 */
export function heads(buf: Uint8Array, from: number, end: number): [count: number, used: number] {
  let count = 0;
  let used = 0;
  for (let i = Math.max(from, 3); i < end; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      count++;
      used = i + 1;
    }
  }
  return [count, used];
}
