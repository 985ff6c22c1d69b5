/**
 * Web streams over a stream socket: `sock.readable` pulls through
 * `recv_into` on demand and `sock.writable` sends through `sendall`, so the
 * socket's own buffer and in-flight read stay the single source of bytes.
 *
 * @module
 */

import { SHUT_WR } from "./constants.ts";
import type { Socket } from "./socket.ts";

/** The size a default (non-BYOB) reader asks for. */
const CHUNK = 65536;

/**
 * A byte stream that reads the socket only when its reader asks
 * (`highWaterMark` 0): nothing sits in the stream's queue, so `recv` after
 * `releaseLock()` continues where the stream stopped. Cancelling aborts the
 * receive in flight, whose bytes the socket keeps; after a cancel or an
 * error `onCancel` lets the socket make a fresh stream next time.
 * @ignore
 */
export function socketReadable(
  sock: Socket,
  onCancel: () => void,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const cancelled = new AbortController();
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: CHUNK,
    async pull(controller) {
      // autoAllocateChunkSize guarantees a BYOB request for every pull.
      const request = controller.byobRequest!;
      const view = request.view!;
      const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      let n: number;
      try {
        n = await sock.recv_into(target, 0, { signal: cancelled.signal });
      } catch (e) {
        // The stream errors (TimeoutError, BlockingIOError...); the socket
        // keeps its bytes and `sock.readable` makes a fresh stream next time.
        onCancel();
        throw e;
      }
      if (n === 0) {
        controller.close();
        request.respond(0);
        return;
      }
      request.respond(n);
    },
    cancel(reason) {
      // The socket stays open (its owner closes it) and keeps what arrives.
      cancelled.abort(reason ?? new DOMException("stream cancelled", "AbortError"));
      onCancel();
    },
  }, { highWaterMark: 0 });
}

/**
 * A sink that sends each chunk with `sendall`; close half-closes.
 * @ignore
 */
export function socketWritable(sock: Socket): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      await sock.sendall(chunk);
    },
    async close() {
      await sock.shutdown(SHUT_WR);
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}
