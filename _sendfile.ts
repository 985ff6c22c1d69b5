/**
 * `sock.sendfile(file, offset, count)`: CPython's fallback path (read a
 * block, send it, until `count` bytes or the end of the file), over a
 * `Deno.FsFile` or any object with `read` and `seek`.
 *
 * @module
 */

import { describe } from "./_address.ts";
import { errno, OSError } from "./errors.ts";

/** A file `sendfile` can read: a `Deno.FsFile`, or anything with its `read` and `seek`. */
export interface SendableFile {
  /** Reads into `p`; resolves the count, or `null` at the end of the file. */
  read(p: Uint8Array): Promise<number | null>;
  /** Moves the position; `whence` 0 (`Deno.SeekMode.Start`) is from the start. */
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
}

/** Deno's reads are fastest with large blocks (CPython's fallback uses 8 KiB). */
const BLOCK = 65536;

/** Checks the arguments of `sendfile`, as CPython (`ValueError` there, `TypeError`/`RangeError` here). */
function check(file: unknown, offset: unknown, count: unknown): void {
  const f = file as Partial<SendableFile> | null;
  if (
    f === null || typeof f !== "object" || typeof f.read !== "function" ||
    typeof f.seek !== "function"
  ) {
    throw new TypeError(
      `sendfile(): file must be a Deno.FsFile or have read() and seek(), not ${describe(file)}`,
    );
  }
  if (typeof offset !== "number" || !Number.isInteger(offset)) {
    throw new TypeError(`sendfile(): offset must be an integer, not ${describe(offset)}`);
  }
  if (offset < 0) throw new RangeError(`sendfile(): negative offset (got ${offset})`);
  if (count !== null) {
    if (typeof count !== "number" || !Number.isInteger(count)) {
      throw new TypeError(`sendfile(): count must be an integer or null, not ${describe(count)}`);
    }
    if (count <= 0) {
      throw new RangeError(`sendfile(): count must be a positive integer (got ${count})`);
    }
  }
}

/**
 * `sock.sendfile(file, offset, count)`: checks the arguments before any
 * I/O, then sends `count` bytes (all to the end when `null`) of `file`
 * from `offset` with `sendall`, and leaves the file positioned after the
 * last byte sent, as CPython does. Resolves the bytes sent.
 * @ignore
 */
export async function sendfile(
  sock: { readonly closed: boolean; sendall(data: Uint8Array): Promise<void> },
  file: SendableFile,
  offset: number = 0,
  count: number | null = null,
): Promise<number> {
  if (sock.closed) throw new OSError(errno.EBADF, null);
  check(file, offset, count);
  await file.seek(offset, 0);
  let sent = 0;
  let failed = true;
  try {
    while (count === null || sent < count) {
      const size = count === null ? BLOCK : Math.min(BLOCK, count - sent);
      // A fresh block each time: the one just sent may still be referenced.
      const block = new Uint8Array(size);
      const n = await file.read(block);
      if (n === null || n === 0) break;
      await sock.sendall(n === size ? block : block.subarray(0, n));
      sent += n;
    }
    failed = false;
  } finally {
    // A failed seek must not hide the error that ended the sending.
    if (sent > 0) await file.seek(offset + sent, 0).catch((e) => failed ? 0 : Promise.reject(e));
  }
  return sent;
}
