/**
 * The private machinery of `makefile`: a lock that keeps one read (or one
 * write) at a time, the read buffer that a timeout cannot empty, the write
 * queue, the text codecs and Python's newline decoder.
 *
 * @module
 */

import { quietIterator } from "./_base.ts";

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

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  /** Runs `job` after every job queued before it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#busy++ === 0) return this.#settle(job());
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() =>
      this.#settle(job())
    );
  }

  #settle<T>(result: Promise<T>): Promise<T> {
    const next = () => {
      this.#busy--;
      this.#waiting.shift()?.();
    };
    result.then(next, next);
    return result;
  }
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
  async fill(want: number = this.size): Promise<number> {
    this.#room(Math.max(want, 1));
    const n = await this.#raw.readinto(this.#buf.subarray(this.#end));
    this.#end += n;
    return n;
  }

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
    const i = this.#buf.subarray(this.#start + from, this.#end).indexOf(byte);
    return i < 0 ? -1 : i + from;
  }

  /** A view of the buffered bytes (valid until the next fill or take). */
  view(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /** Removes and returns (a copy of) the first `n` buffered bytes. */
  take(n: number): Uint8Array<ArrayBuffer> {
    return this.takeView(n).slice();
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
      // A huge read grew the buffer: give the memory back.
      if (this.#buf.length > 4 * this.size && this.#buf.length > 65536) {
        this.#buf = new Uint8Array(this.size);
      }
    }
    return out;
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

  /** Sends everything queued, including what is queued while it sends. */
  async flush(): Promise<void> {
    while (this.#parts.length > 0) {
      // Coalesce what waits into one write; later writes queue behind it.
      if (this.#parts.length > 1) this.#parts = [join(this.#parts, this.#pending)];
      const head = this.#parts[0];
      const n = await this.#raw.write(head);
      this.#pending -= n;
      if (n >= head.length) this.#parts.shift();
      else this.#parts[0] = head.subarray(n);
    }
  }
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
 * `hint > 0`.
 */
export async function readLines<T extends Uint8Array | string>(
  readline: () => Promise<T>,
  hint: number,
): Promise<T[]> {
  const lines: T[] = [];
  let total = 0;
  for (;;) {
    const line = await readline();
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

const ERROR_HANDLERS = ["strict", "replace", "ignore"];
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
  if (!ERROR_HANDLERS.includes(errors)) {
    throw new RangeError(
      `${where}: errors must be "strict", "replace" or "ignore", not ${JSON.stringify(errors)}`,
    );
  }
  const key = encoding.toLowerCase().replace(/[-_ ]/g, "");
  if (key === "utf8" || key === "u8" || key === "utf" || key === "utf8sig") {
    const sig = key === "utf8sig";
    if (errors === "ignore") {
      throw new RangeError(
        `${where}: errors="ignore" is not supported for UTF-8 (TextDecoder cannot skip bytes); use "strict" or "replace"`,
      );
    }
    const encoder = new TextEncoder();
    return {
      name: sig ? "utf-8-sig" : "utf-8",
      decoder() {
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
        if (!text.isWellFormed()) {
          if (errors === "strict") throw fail.encode("utf-8", "surrogates not allowed");
          text = text.replace(LONE_SURROGATE, errors === "replace" ? "?" : "");
        }
        return encoder.encode(text);
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
  if (errors === "ignore") {
    throw new RangeError(`${where}: errors="ignore" is only supported for latin-1 and ascii`);
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
              else if (errors === "strict") {
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
      const out = new Uint8Array(text.length);
      let n = 0;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code <= max) out[n++] = code;
        else if (errors === "replace") out[n++] = 0x3f; // "?"
        else if (errors === "strict") {
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
