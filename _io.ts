/**
 * The private machinery of `makefile`: a lock that keeps one read (or one
 * write) at a time, the read buffer that a timeout cannot empty, the write
 * queue, the text codecs and Python's newline decoder.
 *
 * @module
 */

import { quietIterator } from "./_base.ts";
import { LookupError } from "./errors.ts";

const EMPTY_BYTES = new Uint8Array(0);

/** The slab short results are copied into (as Node's `Buffer` pool). */
const POOL_SIZE = 16384;
/** Results up to this size come from the slab; longer ones get their own array. */
const POOLED_MAX = 1024;
let pool = new Uint8Array(POOL_SIZE);
let poolUsed = 0;

/**
 * A copy of `bytes` that the caller owns. A new `ArrayBuffer` costs far
 * more than copying a line, so results up to {@linkcode POOLED_MAX} bytes
 * are views into a shared slab that is filled once and never rewritten:
 * their `.buffer` holds other results too (`slice()` one before
 * transferring its buffer). A slab detached by such a transfer is replaced.
 */
export function copyOut(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return copyRange(bytes, 0, bytes.length);
}

/** As {@linkcode copyOut} for `bytes[from..to)`, without a view of the range. */
function copyRange(bytes: Uint8Array, from: number, to: number): Uint8Array<ArrayBuffer> {
  const n = to - from;
  if (n > POOLED_MAX) return bytes.slice(from, to) as Uint8Array<ArrayBuffer>;
  if (n === 0) return new Uint8Array(0);
  if (poolUsed + n > POOL_SIZE || pool.length === 0) {
    pool = new Uint8Array(POOL_SIZE);
    poolUsed = 0;
  }
  const at = poolUsed;
  // A short loop beats making a view for set().
  if (n <= 64) { for (let i = 0; i < n; i++) pool[at + i] = bytes[from + i]; }
  else pool.set(bytes.subarray(from, to), at);
  // Eight-byte alignment, so a result can back any typed array view.
  poolUsed = (at + n + 7) & ~7;
  return pool.subarray(at, at + n);
}

/** What the buffered layers need from the raw layer (a socket or memory). */
export interface RawReader {
  /** Reads into `buffer`; 0 at end of stream; throws when it cannot. */
  readinto(buffer: Uint8Array): Promise<number>;
}

/** What the write queue needs from the raw layer. */
export interface RawWriter {
  /** Writes some of `data`; resolves to the count taken. */
  write(data: Uint8Array): Promise<number>;
}

/** Runs async jobs one at a time, in call order. */
export class Lock {
  #busy = 0;
  #waiting: (() => void)[] = [];
  #after: (() => void) | undefined;

  /** `after` runs when each job settles, before whoever awaits the job resumes. */
  constructor(after?: () => void) {
    this.#after = after;
  }

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  /**
   * Takes the lock at once if it is free (true), for a job that calls
   * `release()` when it settles, before whoever awaits it resumes: the fast
   * paths' way to skip the promise `run` adds. False when it is taken.
   */
  hold(): boolean {
    if (this.#busy > 0) return false;
    this.#busy = 1;
    return true;
  }

  /** Ends a job started with `hold()`. */
  release(): void {
    this.#next();
  }

  /** Runs `job` after every job queued before it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#busy++ === 0) return this.#settle(job());
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() =>
      this.#settle(job())
    );
  }

  #settle<T>(result: Promise<T>): Promise<T> {
    result.then(this.#next, this.#next);
    return result;
  }

  #next = (): void => {
    this.#busy--;
    if (this.#waiting.length > 0) this.#waiting.shift()!();
    if (this.#after) this.#after();
  };
}

/**
 * Bytes received but not yet returned. A raw read lands in the free space
 * after `end`; a read that throws (timeout, non-blocking, abort) leaves what
 * is buffered untouched, so the next call finds it.
 */
export class ReadBuffer {
  #raw: RawReader;
  #buf: Uint8Array<ArrayBuffer>;
  #start = 0;
  #end = 0;
  /** Bytes at the front already searched for a newline. */
  scanned = 0;
  /** The buffer size asked for (`buffering`). */
  readonly size: number;

  constructor(raw: RawReader, size: number) {
    this.#raw = raw;
    this.size = Math.max(size, 1);
    this.#buf = new Uint8Array(this.size);
  }

  /** Buffered bytes. */
  get available(): number {
    return this.#end - this.#start;
  }

  /** One raw read into room for at least `want` more bytes; 0 at the end. */
  fill(want: number = this.size): Promise<number> {
    try {
      this.#room(Math.max(want, 1));
      return this.#raw.readinto(this.#buf.subarray(this.#end)).then(this.#filled);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #filled = (n: number): number => {
    this.#end += n;
    return n;
  };

  #room(want: number): void {
    const available = this.available;
    if (available === 0) this.#start = this.#end = 0;
    if (this.#buf.length - this.#end >= want) return;
    if (this.#buf.length - available >= want && this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, available + want));
      grown.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = grown;
    }
    this.#start = 0;
    this.#end = available;
  }

  /** Index (from the front) of `byte` at or after `from`, or -1. */
  indexOf(byte: number, from: number): number {
    // Searching the whole array spares a view per call; a hit past the
    // buffered bytes (stale data) counts as none.
    const i = this.#buf.indexOf(byte, this.#start + from);
    return i < 0 || i >= this.#end ? -1 : i - this.#start;
  }

  /** A view of the buffered bytes (valid until the next fill or take). */
  view(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /**
   * Removes and returns (a copy of) the first `n` buffered bytes. A short
   * copy shares its `ArrayBuffer` with other short results (see
   * {@linkcode copyOut}); the read buffer itself is never handed out, so
   * nothing a caller does to a result reaches bytes not yet read.
   */
  take(n: number): Uint8Array<ArrayBuffer> {
    return copyOut(this.takeView(n));
  }

  /**
   * As `take`, without the copy: a view that the next fill may overwrite,
   * for a caller that is done with it at once (the text layer decodes it).
   * A new array costs about 0.4 µs in Deno, a view much less.
   */
  takeView(n: number): Uint8Array<ArrayBuffer> {
    n = Math.min(n, this.available);
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    this.scanned = Math.max(0, this.scanned - n);
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      this.#shrink();
    }
    return out;
  }

  /** A huge read grew the buffer: give the memory back once it is empty. */
  #shrink(): void {
    if (this.#buf.length > 4 * this.size && this.#buf.length > 65536) {
      this.#buf = new Uint8Array(this.size);
    }
  }

  /** Puts `data` back in front of the buffered bytes (lines a failed `readlines` had taken). */
  unshift(data: Uint8Array): void {
    if (data.length === 0) return;
    const available = this.available;
    if (this.#start >= data.length) {
      this.#start -= data.length;
      this.#buf.set(data, this.#start);
    } else {
      const grown = new Uint8Array(Math.max(this.#buf.length, available + data.length));
      grown.set(data);
      grown.set(this.#buf.subarray(this.#start, this.#end), data.length);
      this.#buf = grown;
      this.#start = 0;
      this.#end = available + data.length;
    }
    this.scanned = 0;
  }

  /** Copies up to `target.length` buffered bytes into `target`. */
  takeInto(target: Uint8Array): number {
    const n = Math.min(target.length, this.available);
    target.set(this.#buf.subarray(this.#start, this.#start + n));
    this.#start += n;
    this.scanned = Math.max(0, this.scanned - n);
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return n;
  }

  /**
   * Removes and returns (as `take`) the first line, at most `limit` bytes
   * when `limit >= 0`, if a whole one is buffered; else null.
   */
  takeLine(limit: number): Uint8Array<ArrayBuffer> | null {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    let nl = -1;
    let i = start + this.scanned;
    // Lines are mostly short: a loop first, the builtin search for the rest.
    const near = Math.min(end, i + 128);
    for (; i < near; i++) {
      if (buf[i] === 0x0a) {
        nl = i;
        break;
      }
    }
    if (nl < 0 && i < end) {
      nl = buf.indexOf(0x0a, i);
      if (nl >= end) nl = -1;
    }
    let stop: number;
    if (nl >= 0) stop = limit >= 0 && nl + 1 - start > limit ? start + limit : nl + 1;
    else if (limit >= 0 && end - start >= limit) stop = start + limit;
    else {
      this.scanned = end - start;
      return null;
    }
    const out = copyRange(buf, start, stop);
    this.scanned = 0;
    if (stop === end) {
      this.#start = this.#end = 0;
      this.#shrink();
    } else this.#start = stop;
    return out;
  }

  /** The end (exclusive) of the first line, if a whole line is buffered. */
  lineEnd(limit: number): number {
    const nl = this.indexOf(0x0a, this.scanned);
    if (nl >= 0) {
      const end = nl + 1;
      return limit >= 0 && end > limit ? limit : end;
    }
    this.scanned = this.available;
    if (limit >= 0 && this.available >= limit) return limit;
    return -1;
  }
}

/**
 * Bytes written but not yet sent. `write` always takes all of its data;
 * `flush` sends from the front and, when the raw write throws (a timeout),
 * keeps what was not sent, in order, for the next flush.
 */
export class WriteQueue {
  #raw: RawWriter;
  #parts: Uint8Array[] = [];
  #pending = 0;
  /** Flush once this many bytes wait (0: every write goes straight out). */
  readonly size: number;

  constructor(raw: RawWriter, size: number) {
    this.#raw = raw;
    this.size = size;
  }

  /** Bytes waiting to be sent. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues `data`, a copy unless `owned` (the caller gives the array up);
   * true when the queue should be flushed.
   */
  push(data: Uint8Array, owned = false): boolean {
    if (data.length > 0) {
      this.#parts.push(owned ? data : data.slice());
      this.#pending += data.length;
    }
    return this.#pending > 0 && this.#pending >= this.size;
  }

  /**
   * Puts `data` (a copy unless `owned`) back at the front: the part of a
   * write that went straight out and failed, ahead of what was queued
   * while it was in flight.
   */
  unshift(data: Uint8Array, owned = false): void {
    if (data.length === 0) return;
    this.#parts.unshift(owned ? data : data.slice());
    this.#pending += data.length;
  }

  /**
   * Sends everything queued, including what is queued while it sends. A
   * write that fails leaves the queue as it was, for the next flush.
   */
  flush(): Promise<void> {
    if (this.#parts.length === 0) return Promise.resolve();
    // Coalesce what waits into one write; later writes queue behind it.
    if (this.#parts.length > 1) this.#parts = [join(this.#parts, this.#pending)];
    try {
      return this.#raw.write(this.#parts[0]).then(this.#sent);
    } catch (e) {
      return Promise.reject(e); // a raw layer that throws instead of rejecting
    }
  }

  // One handler for every write (a flush is the hot path of a line protocol).
  #sent = (n: number): Promise<void> | void => {
    const head = this.#parts[0];
    this.#pending -= n;
    if (n >= head.length) this.#parts.shift();
    else this.#parts[0] = head.subarray(n);
    if (this.#parts.length > 0) return this.flush();
  };
}

/** The `parts` (`size` bytes in all) in one new array. */
export function join(parts: readonly Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * `readlines(hint)` of the binary and the text file: lines until the end
 * of the stream, or until they total `hint` (bytes or characters) when
 * `hint > 0`. When a read fails (timeout, non-blocking, abort), the lines
 * already read go back to the file through `unread`, so none is lost.
 */
export async function readLines<T extends Uint8Array | string>(
  readline: () => Promise<T>,
  hint: number,
  unread: (lines: T[]) => void,
): Promise<T[]> {
  const lines: T[] = [];
  let total = 0;
  for (;;) {
    let line: T;
    try {
      line = await readline();
    } catch (e) {
      if (lines.length > 0) unread(lines);
      throw e;
    }
    if (line.length === 0) break;
    lines.push(line);
    total += line.length;
    if (hint > 0 && total >= hint) break;
  }
  return lines;
}

/** The async iterator of the binary and the text file: lines until the end of the stream. */
export function iterLines<T extends Uint8Array | string>(
  readline: () => Promise<T>,
): AsyncGenerator<T, void, void> {
  return quietIterator(lines(readline));
}

async function* lines<T extends Uint8Array | string>(
  readline: () => Promise<T>,
): AsyncGenerator<T, void, void> {
  for (;;) {
    const line = await readline();
    if (line.length === 0) return;
    yield line;
  }
}

// ---- text --------------------------------------------------------------

/** Python's `UnicodeError` family maps here: a `RangeError` with a name. */
export interface CodecErrors {
  decode(encoding: string, reason: string): Error;
  encode(encoding: string, reason: string): Error;
}

/** A text codec: an incremental decoder and an encoder. */
export interface Codec {
  /** The name Python would report. */
  readonly name: string;
  /** A fresh incremental decoder. */
  decoder(): (bytes: Uint8Array, final: boolean) => string;
  /** Encodes a whole string (`null` when the codec cannot encode). */
  readonly encode: ((text: string) => Uint8Array) | null;
  /** Bytes an encoder writes first (`utf-8-sig`). */
  readonly bom?: Uint8Array;
}

/** The error handlers CPython's codecs know, and the ones this library implements. */
const KNOWN_HANDLERS = [
  "strict",
  "ignore",
  "replace",
  "backslashreplace",
  "surrogateescape",
  "surrogatepass",
  "xmlcharrefreplace",
  "namereplace",
];
const READ_HANDLERS = KNOWN_HANDLERS.slice(0, 6);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Finds the codec for Python's `encoding` and `errors` names, or throws a
 * `RangeError` naming the argument.
 */
export function lookupCodec(
  encoding: string,
  errors: string,
  where: string,
  fail: CodecErrors,
): Codec {
  if (!KNOWN_HANDLERS.includes(errors)) {
    throw new LookupError(`${where}: errors: unknown error handler name '${errors}'`);
  }
  if (!READ_HANDLERS.includes(errors)) {
    throw new RangeError(
      `${where}: errors=${JSON.stringify(errors)} only applies to encoding; use one of ${
        READ_HANDLERS.join(", ")
      }`,
    );
  }
  const key = encoding.toLowerCase().replace(/[-_ ]/g, "");
  if (key === "utf8" || key === "u8" || key === "utf" || key === "utf8sig") {
    const sig = key === "utf8sig";
    const encoder = new TextEncoder();
    return {
      name: sig ? "utf-8-sig" : "utf-8",
      decoder() {
        if (errors !== "strict" && errors !== "replace") return utf8Decoder(errors, sig, fail);
        const decoder = new TextDecoder("utf-8", { fatal: errors === "strict", ignoreBOM: !sig });
        return (bytes, final) => {
          try {
            return decoder.decode(bytes, { stream: !final });
          } catch (e) {
            throw fail.decode("utf-8", e instanceof Error ? e.message : String(e));
          }
        };
      },
      encode(text) {
        if (text.isWellFormed()) return encoder.encode(text);
        if (errors === "replace" || errors === "ignore") {
          return encoder.encode(text.replace(LONE_SURROGATE, errors === "replace" ? "?" : ""));
        }
        return encodeSurrogates(text, errors, encoder, fail);
      },
      bom: sig ? new Uint8Array([0xef, 0xbb, 0xbf]) : undefined,
    };
  }
  if (["latin1", "iso88591", "l1", "8859", "cp819", "latin"].includes(key)) {
    return singleByte("latin-1", 0xff, errors, fail);
  }
  if (["ascii", "usascii", "646"].includes(key)) return singleByte("ascii", 0x7f, errors, fail);
  let label: string;
  try {
    label = new TextDecoder(encoding).encoding;
  } catch {
    throw new RangeError(`${where}: unknown encoding: ${encoding}`);
  }
  if (errors !== "strict" && errors !== "replace") {
    throw new RangeError(
      `${where}: errors=${JSON.stringify(errors)} is only supported for utf-8, latin-1 and ascii`,
    );
  }
  return {
    name: label,
    decoder() {
      const decoder = new TextDecoder(label, { fatal: errors === "strict" });
      return (bytes, final) => {
        try {
          return decoder.decode(bytes, { stream: !final });
        } catch (e) {
          throw fail.decode(label, e instanceof Error ? e.message : String(e));
        }
      };
    },
    encode: null,
  };
}

/**
 * `text` as bytes, in the slab of {@linkcode copyOut}, when every
 * character is ASCII (and there are not too many): what every writable
 * codec makes of it, without the cost of an encoder call and a new array.
 * Null otherwise.
 */
export function encodeAscii(text: string): Uint8Array<ArrayBuffer> | null {
  const n = text.length;
  if (n > POOLED_MAX || n === 0) return null;
  if (poolUsed + n > POOL_SIZE || pool.length === 0) {
    pool = new Uint8Array(POOL_SIZE);
    poolUsed = 0;
  }
  const at = poolUsed;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return null; // the slab's bytes past poolUsed are free still
    pool[at + i] = c;
  }
  poolUsed = (at + n + 7) & ~7;
  return pool.subarray(at, at + n);
}

function singleByte(name: string, max: number, errors: string, fail: CodecErrors): Codec {
  return {
    name,
    decoder() {
      return (bytes) => {
        let out = "";
        for (let i = 0; i < bytes.length; i += 8192) {
          let chunk: ArrayLike<number> = bytes.subarray(i, i + 8192);
          if (max < 0xff && (chunk as Uint8Array).some((b) => b > max)) {
            const kept: number[] = [];
            for (const b of chunk as Uint8Array) {
              if (b <= max) kept.push(b);
              else if (errors === "replace") kept.push(0xfffd);
              else if (errors === "surrogateescape") kept.push(0xdc00 + b);
              else if (errors === "backslashreplace") {
                for (const c of `\\x${b.toString(16).padStart(2, "0")}`) kept.push(c.charCodeAt(0));
              } else if (errors !== "ignore") {
                throw fail.decode(name, `byte 0x${b.toString(16)}: ordinal not in range(128)`);
              }
            }
            chunk = kept;
          }
          out += String.fromCharCode(...Array.from(chunk));
        }
        return out;
      };
    },
    encode(text) {
      const out = new Uint8Array(text.length * 10);
      let n = 0;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code <= max) out[n++] = code;
        else if (errors === "replace") out[n++] = 0x3f; // "?"
        else if (errors === "surrogateescape" && code >= 0xdc80 && code <= 0xdcff) {
          out[n++] = code - 0xdc00;
        } else if (errors === "backslashreplace") {
          const point = text.codePointAt(i)!;
          if (point > 0xffff) i++;
          const escape = point <= 0xff
            ? `\\x${point.toString(16).padStart(2, "0")}`
            : point <= 0xffff
            ? `\\u${point.toString(16).padStart(4, "0")}`
            : `\\U${point.toString(16).padStart(8, "0")}`;
          for (const c of escape) out[n++] = c.charCodeAt(0);
        } else if (errors !== "ignore") {
          throw fail.encode(
            name,
            `character '\\u${
              code.toString(16).padStart(4, "0")
            }' in position ${i}: ordinal not in range(${max + 1})`,
          );
        }
      }
      return out.subarray(0, n);
    },
  };
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * An incremental UTF-8 decoder for the error handlers `TextDecoder` lacks
 * (`ignore`, `backslashreplace`, `surrogateescape`, `surrogatepass`), with
 * CPython's error ranges: each maximal invalid subpart (Unicode's "maximal
 * subpart", as CPython and `TextDecoder`'s replacement follow) is one error;
 * an incomplete sequence at the end of a chunk waits for the next.
 */
function utf8Decoder(
  errors: string,
  sig: boolean,
  fail: CodecErrors,
): (bytes: Uint8Array, final: boolean) => string {
  // Only ever given complete, valid sequences; keeps a BOM as U+FEFF.
  const valid = new TextDecoder("utf-8", { ignoreBOM: true });
  let pending: Uint8Array = EMPTY_BYTES;
  let atStart = sig;
  const handle = (data: Uint8Array, from: number, to: number): string => {
    if (errors === "ignore") return "";
    let out = "";
    for (let k = from; k < to; k++) {
      const b = data[k];
      if (errors === "surrogateescape") out += String.fromCharCode(0xdc00 + b);
      else if (errors === "backslashreplace") out += `\\x${b.toString(16).padStart(2, "0")}`;
      else {
        throw fail.decode(
          "utf-8",
          `byte 0x${data[from].toString(16)} in position ${from}: ${
            to === data.length ? "unexpected end of data" : "invalid byte sequence"
          }`,
        );
      }
    }
    return out;
  };
  return (bytes, final) => {
    let data = bytes;
    if (pending.length > 0) {
      data = new Uint8Array(pending.length + bytes.length);
      data.set(pending);
      data.set(bytes, pending.length);
      pending = EMPTY_BYTES;
    }
    if (atStart) {
      const head = Math.min(3, data.length);
      let prefix = true;
      for (let k = 0; k < head; k++) if (data[k] !== UTF8_BOM[k]) prefix = false;
      if (prefix && head < 3 && !final) {
        pending = data.slice();
        return "";
      }
      atStart = false;
      if (prefix && head === 3) data = data.subarray(3);
    }
    const n = data.length;
    let out = "";
    let start = 0;
    let i = 0;
    while (i < n) {
      const b = data[i];
      if (b < 0x80) {
        i++;
        continue;
      }
      let need = 0;
      let lo = 0x80;
      let hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b === 0xe0) {
        need = 2;
        lo = 0xa0;
      } else if (b === 0xed) {
        need = 2;
        if (errors !== "surrogatepass") hi = 0x9f; // an encoded surrogate
      } else if (b >= 0xe1 && b <= 0xef) need = 2;
      else if (b === 0xf0) {
        need = 3;
        lo = 0x90;
      } else if (b >= 0xf1 && b <= 0xf3) need = 3;
      else if (b === 0xf4) {
        need = 3;
        hi = 0x8f;
      }
      let j = i + 1;
      let ok = need > 0;
      for (let k = 0; ok && k < need; k++, j++) {
        if (j >= n) ok = false;
        else {
          const c = data[j];
          if (c < (k === 0 ? lo : 0x80) || c > (k === 0 ? hi : 0xbf)) ok = false;
        }
        if (!ok) break;
      }
      if (ok) {
        if (b === 0xed && data[i + 1] >= 0xa0) {
          // surrogatepass: the surrogate itself, which TextDecoder would refuse.
          out += valid.decode(data.subarray(start, i)) +
            String.fromCharCode(0xd000 | ((data[i + 1] & 0x3f) << 6) | (data[i + 2] & 0x3f));
          start = j;
        }
        i = j;
        continue;
      }
      if (need > 0 && j >= n && !final) {
        // A sequence cut by the end of the chunk: wait for the rest.
        pending = data.slice(i);
        return out + valid.decode(data.subarray(start, i));
      }
      const end = need > 0 ? j : i + 1;
      out += valid.decode(data.subarray(start, i)) + handle(data, i, end);
      start = i = end;
    }
    return out + valid.decode(data.subarray(start, n));
  };
}

/** UTF-8 for text with lone surrogates, by CPython's `surrogateescape`, `surrogatepass`, `backslashreplace`. */
function encodeSurrogates(
  text: string,
  errors: string,
  encoder: TextEncoder,
  fail: CodecErrors,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  let last = 0;
  const add = (bytes: Uint8Array) => {
    parts.push(bytes);
    size += bytes.length;
  };
  for (const match of text.matchAll(LONE_SURROGATE)) {
    const at = match.index!;
    add(encoder.encode(text.slice(last, at)));
    last = at + 1;
    const code = text.charCodeAt(at);
    if (errors === "surrogateescape" && code >= 0xdc80 && code <= 0xdcff) {
      add(new Uint8Array([code - 0xdc00]));
    } else if (errors === "surrogatepass") {
      add(new Uint8Array([0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]));
    } else if (errors === "backslashreplace") {
      add(encoder.encode(`\\u${code.toString(16).padStart(4, "0")}`));
    } else {
      throw fail.encode(
        "utf-8",
        `character '\\u${code.toString(16)}' in position ${at}: surrogates not allowed`,
      );
    }
  }
  add(encoder.encode(text.slice(last)));
  return join(parts, size);
}

/**
 * Python's `IncrementalNewlineDecoder` on top of a codec: in universal mode
 * (`newline` `null` or `""`) a trailing `"\r"` is held back until the next
 * chunk shows whether `"\n"` follows; with `translate` every `"\r\n"` and
 * `"\r"` becomes `"\n"`.
 */
export class NewlineDecoder {
  #decode: (bytes: Uint8Array, final: boolean) => string;
  #universal: boolean;
  #translate: boolean;
  #pendingCR = false;

  constructor(
    decode: (bytes: Uint8Array, final: boolean) => string,
    universal: boolean,
    translate: boolean,
  ) {
    this.#decode = decode;
    this.#universal = universal;
    this.#translate = translate;
  }

  /** Decodes a chunk (`final` at the end of the stream). */
  decode(bytes: Uint8Array, final: boolean): string {
    let text = this.#decode(bytes, final);
    if (!this.#universal) return text;
    if (this.#pendingCR && (text.length > 0 || final)) {
      text = "\r" + text;
      this.#pendingCR = false;
    }
    if (!final && text.endsWith("\r")) {
      text = text.slice(0, -1);
      this.#pendingCR = true;
    }
    if (this.#translate && text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
    return text;
  }
}

/** The index just past `count` code points of `text` from `from`. */
export function codePointsEnd(text: string, from: number, count: number): number {
  let i = from;
  while (count > 0 && i < text.length) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    count--;
  }
  return i;
}

/** The number of code points in `text`. */
export function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
