/**
 * File objects over stream sockets, as Python's `socket.makefile`: a raw
 * {@linkcode SocketIO} over the socket's `recv_into`/`send`, a buffered
 * binary {@linkcode SocketFile} (Python's `BufferedReader`,
 * `BufferedWriter`, `BufferedRWPair`) and a {@linkcode SocketTextFile}
 * (Python's `TextIOWrapper`). Every read and write is `async`.
 *
 * Bytes are never lost: the socket's timeout applies to each call, and a
 * call that times out (or finds nothing ready on a non-blocking socket)
 * leaves what it had read in the file's buffer for the next call.
 *
 * @example A line protocol
 * ```ts
 * import { socket } from "@seed/socket";
 *
 * await using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * await using client = socket();
 * await client.connect(server.getsockname() as [string, number]);
 * await using conn = (await server.accept())[0];
 *
 * await using out = client.makefile("w");
 * await out.write("HELO example.org\r\nQUIT\r\n");
 * await out.flush();
 *
 * await using lines = conn.makefile("r", { newline: "\r\n" });
 * console.log(await lines.readline()); // "HELO example.org\r\n"
 * console.log(await lines.readline()); // "QUIT\r\n"
 * ```
 *
 * @module
 */

import { OSError } from "./errors.ts";
import type { Data } from "./_options.ts";
import { checkBufsize, toBytes, writableView } from "./_options.ts";
import { describe, show } from "./_address.ts";
import {
  type Codec,
  codePoints,
  codePointsEnd,
  encodeAscii,
  iterLines,
  join,
  Lock,
  lookupCodec,
  NewlineDecoder,
  ReadBuffer,
  readLines,
  WriteQueue,
} from "./_io.ts";
import type { SocketBase } from "./_base.ts";

/**
 * What a file needs of its socket (a stream `Socket` is one), named here so
 * that this module does not import the socket module that imports it.
 */
type FileSocket = SocketBase & {
  recv_into(buffer: Uint8Array): Promise<number>;
  send(data: Uint8Array): Promise<number>;
  _unread(data: Uint8Array): void;
};

/** Python's `io.DEFAULT_BUFFER_SIZE`: the buffer size when none is given. */
export const DEFAULT_BUFFER_SIZE = 8192;

const EMPTY = new Uint8Array(0);
const LINESEP = Deno.build.os === "windows" ? "\r\n" : "\n";

/** Options of `sock.makefile(mode, options)`, as Python's keyword arguments. */
export interface MakefileOptions {
  /**
   * Buffer size in bytes; `undefined`/`null`/negative for
   * {@linkcode DEFAULT_BUFFER_SIZE}, `0` for an unbuffered raw
   * {@linkcode SocketIO} (binary modes only).
   */
  buffering?: number | null;
  /** Text modes: the encoding, `"utf-8"` by default (also `latin-1`, `ascii`, and any encoding `TextDecoder` reads). */
  encoding?: string | null;
  /** Text modes: `"strict"` (default), `"replace"` or `"ignore"`. */
  errors?: string | null;
  /**
   * Text modes, as Python's `TextIOWrapper`: `null` (default) reads `"\n"`,
   * `"\r"` and `"\r\n"` as line ends and translates them to `"\n"`; `""`
   * reads all three but leaves them as they are; `"\n"`, `"\r"` or `"\r\n"`
   * makes only that string end a line (and `"\n"` is written as it).
   */
  newline?: string | null;
}

/**
 * Python's `io.UnsupportedOperation`: reading a file opened for writing only,
 * or the reverse. An `OSError` without errno.
 *
 * @example
 * ```ts
 * import { UnsupportedOperation } from "@seed/socket";
 * console.log(new UnsupportedOperation("not readable").name);
 * ```
 */
export class UnsupportedOperation extends OSError {
  /**
   * Makes the error.
   *
   * @param message What is not supported.
   */
  constructor(message: string) {
    super(null, message);
  }
}

/**
 * Python's `UnicodeDecodeError`: bytes that are not valid in the file's
 * encoding (with `errors: "strict"`). A `RangeError`, as Python's is a
 * `ValueError`.
 *
 * @example
 * ```ts
 * import { UnicodeDecodeError } from "@seed/socket";
 * const err = new UnicodeDecodeError("utf-8", "invalid continuation byte");
 * console.log(err.encoding, err.message);
 * ```
 */
export class UnicodeDecodeError extends RangeError {
  /** The encoding that failed. */
  readonly encoding: string;
  /**
   * Makes the error.
   *
   * @param encoding The encoding.
   * @param reason Why the bytes could not be decoded.
   */
  constructor(encoding: string, reason: string) {
    super(`'${encoding}' codec can't decode: ${reason}`);
    this.encoding = encoding;
  }
  /** `"UnicodeDecodeError"`. */
  override get name(): string {
    return "UnicodeDecodeError";
  }
}

/**
 * Python's `UnicodeEncodeError`: text the file's encoding cannot represent
 * (with `errors: "strict"`).
 *
 * @example
 * ```ts
 * import { UnicodeEncodeError } from "@seed/socket";
 * console.log(new UnicodeEncodeError("ascii", "ordinal not in range(128)").message);
 * ```
 */
export class UnicodeEncodeError extends RangeError {
  /** The encoding that failed. */
  readonly encoding: string;
  /**
   * Makes the error.
   *
   * @param encoding The encoding.
   * @param reason Why the text could not be encoded.
   */
  constructor(encoding: string, reason: string) {
    super(`'${encoding}' codec can't encode ${reason}`);
    this.encoding = encoding;
  }
  /** `"UnicodeEncodeError"`. */
  override get name(): string {
    return "UnicodeEncodeError";
  }
}

const codecErrors = {
  decode: (encoding: string, reason: string) => new UnicodeDecodeError(encoding, reason),
  encode: (encoding: string, reason: string) => new UnicodeEncodeError(encoding, reason),
};

/**
 * The raw layer under a buffered file: something that reads into a buffer
 * and writes some bytes, as Python's `io.RawIOBase`. {@linkcode SocketIO}
 * is the one over a socket.
 */
export interface RawStream {
  /** Reads into `buffer`; resolves to the count, 0 at the end of the stream. */
  readinto(buffer: Uint8Array): Promise<number>;
  /** Writes some of `data`; resolves to the count taken. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the raw stream. */
  close(): void;
  /** True once closed. */
  readonly closed: boolean;
  /** The descriptor of the stream (the socket's `fileno()`). */
  fileno(): number;
}

/** Checks the argument of `writelines`: an iterable or an async iterable. */
function checkLines(lines: unknown): void {
  try {
    const it = lines as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
    if (
      typeof lines === "object" && lines !== null &&
      (typeof it[Symbol.iterator] === "function" || typeof it[Symbol.asyncIterator] === "function")
    ) return;
  } catch {
    // A revoked proxy: not iterable.
  }
  throw new TypeError(`writelines(): lines must be an iterable, not ${describe(lines)}`);
}

/** Checks that `raw` has what a buffered file calls on its raw stream. */
function checkRaw(raw: unknown, where: string): void {
  try {
    const r = raw as Record<string, unknown>;
    if (
      typeof raw === "object" && raw !== null && typeof r.readinto === "function" &&
      typeof r.write === "function" && typeof r.close === "function" &&
      typeof r.fileno === "function" && typeof r.closed === "boolean"
    ) return;
  } catch {
    // A revoked proxy: not a raw stream.
  }
  throw new TypeError(
    `${where}: raw must be a raw stream (readinto, write, close, fileno, closed), not ${
      describe(raw)
    }`,
  );
}

/**
 * True when `raw`'s writes read the bytes given only until they settle
 * (a {@linkcode SocketIO} over a blocking socket), so a write may pass the
 * caller's array through. With a timeout a socket may finish a write in
 * the background after the call returns, so the bytes must be a copy.
 */
function borrowsOnly(raw: RawStream): boolean {
  return raw instanceof SocketIO && raw._borrowsOnly();
}

function closedFile(): TypeError {
  return new TypeError("I/O operation on closed file");
}

function checkSize(value: unknown, where: string, name = "size"): number {
  if (value === undefined || value === null) return -1;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, not ${describe(value)}`);
  }
  return value;
}

/**
 * Python's `socket.SocketIO`: the unbuffered raw file over a socket,
 * returned by `makefile("rb", { buffering: 0 })` and used under every
 * buffered file. `readinto` is the socket's `recv_into`, `write` its
 * `send` (which may take fewer bytes than given). Closing it releases its
 * hold on the socket; the socket closes for real when it and all its files
 * are closed.
 *
 * Unlike CPython, which returns `None` when a non-blocking socket has
 * nothing, reads and writes reject with `BlockingIOError`, and a call that
 * timed out does not poison the file: the next call goes on.
 *
 * @example
 * ```ts ignore
 * import { socket } from "@seed/socket";
 * await using sock = socket();
 * await sock.connect(["127.0.0.1", 8000]);
 * using raw = sock.makefile("rwb", { buffering: 0 });
 * await raw.write(new TextEncoder().encode("ping"));
 * console.log(await raw.read(4));
 * ```
 */
export class SocketIO implements RawStream {
  #sock: FileSocket | null;
  #owner: FileSocket;
  #fileno: number;
  #reading: boolean;
  #writing: boolean;
  /** `"rb"`, `"wb"` or `"rwb"`. */
  readonly mode: string;

  /**
   * Makes a raw file over `sock`; prefer `sock.makefile(mode, { buffering: 0 })`.
   *
   * @param sock A stream socket.
   * @param mode `"r"`, `"w"` or `"rw"`, with or without `"b"`.
   */
  constructor(sock: FileSocket, mode: string) {
    if (!["r", "w", "rw", "rb", "wb", "rwb"].includes(mode)) {
      throw new RangeError(`SocketIO(): invalid mode ${show(mode)}`);
    }
    if (typeof (sock as Partial<FileSocket> | null)?._incref_socketios !== "function") {
      throw new TypeError(`SocketIO(): sock must be a stream socket, not ${describe(sock)}`);
    }
    sock._incref_socketios();
    this.#sock = sock;
    this.#owner = sock;
    this.#fileno = sock.fileno();
    this.#reading = mode.includes("r");
    this.#writing = mode.includes("w");
    this.mode = mode.includes("b") ? mode : mode + "b";
  }

  #open(): FileSocket {
    if (!this.#sock) throw closedFile();
    return this.#sock;
  }

  /**
   * Receives into `buffer` with one `recv_into`; resolves to the count, 0 at
   * the end of the stream.
   *
   * @example
   * ```ts ignore
   * const n = await raw.readinto(new Uint8Array(1024));
   * ```
   */
  readinto(buffer: ArrayBufferView | ArrayBuffer): Promise<number> {
    const sock = this.#sock;
    if (
      sock !== null && this.#reading && ArrayBuffer.isView(buffer) &&
      buffer instanceof Uint8Array && buffer.length > 0
    ) return sock.recv_into(buffer);
    return this.#readinto(buffer);
  }

  async #readinto(buffer: ArrayBufferView | ArrayBuffer): Promise<number> {
    const sock = this.#open();
    const view = writableView(buffer, "readinto()");
    if (!this.#reading) throw new UnsupportedOperation("File or stream is not readable.");
    if (view.length === 0) return 0;
    return await sock.recv_into(view);
  }

  /**
   * One receive of up to `size` bytes (`-1`: everything until the end).
   *
   * @example
   * ```ts ignore
   * const data = await raw.read(1024);
   * ```
   */
  read(size?: number): Promise<Uint8Array<ArrayBuffer>>;
  async read(size: number = -1): Promise<Uint8Array<ArrayBuffer>> {
    size = checkSize(size, "read()");
    if (size < 0) return await this.readall();
    const buffer = new Uint8Array(size);
    const n = await this.readinto(buffer);
    return buffer.subarray(0, n);
  }

  /**
   * Reads until the end of the stream.
   *
   * @example
   * ```ts ignore
   * const everything = await raw.readall();
   * ```
   */
  async readall(): Promise<Uint8Array<ArrayBuffer>> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const part = await this.read(DEFAULT_BUFFER_SIZE);
      if (part.length === 0) break;
      parts.push(part);
      size += part.length;
    }
    return join(parts, size);
  }

  /**
   * One `send`: resolves to the number of bytes taken (maybe fewer).
   *
   * @example
   * ```ts ignore
   * const n = await raw.write(new Uint8Array([1, 2, 3]));
   * ```
   */
  write(data: Data): Promise<number> {
    const sock = this.#sock;
    if (
      sock !== null && this.#writing && ArrayBuffer.isView(data) && data instanceof Uint8Array &&
      data.length > 0
    ) return sock.send(data);
    return this.#write(data);
  }

  async #write(data: Data): Promise<number> {
    const sock = this.#open();
    const bytes = toBytes(data, "write()");
    if (!this.#writing) throw new UnsupportedOperation("File or stream is not writable.");
    return await sock.send(bytes);
  }

  /**
   * True when opened for reading.
   *
   * @example
   * ```ts ignore
   * console.log(raw.readable());
   * ```
   */
  readable(): boolean {
    this.#open();
    return this.#reading;
  }

  /**
   * True when opened for writing.
   *
   * @example
   * ```ts ignore
   * console.log(raw.writable());
   * ```
   */
  writable(): boolean {
    this.#open();
    return this.#writing;
  }

  /**
   * Always false: a socket cannot seek.
   *
   * @example
   * ```ts ignore
   * console.log(raw.seekable()); // false
   * ```
   */
  seekable(): boolean {
    this.#open();
    return false;
  }

  /**
   * The socket's `fileno()`.
   *
   * @example
   * ```ts ignore
   * console.log(raw.fileno());
   * ```
   */
  fileno(): number {
    return this.#open().fileno();
  }

  /**
   * True when a write reads its bytes only until it settles: the socket
   * is open and blocking (a timed send may go on in the background).
   * @ignore
   */
  _borrowsOnly(): boolean {
    return this.#sock !== null && this.#sock.gettimeout() === null;
  }

  /** The socket's `fileno()` (`-1` once closed), as Python's `name`. */
  get name(): number {
    return this.#sock ? this.#fileno : -1;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#sock === null;
  }

  /**
   * Gives bytes a buffered file read ahead but did not return back to the
   * socket, in front of what it holds (also after this file is closed).
   * @ignore
   */
  _unread(data: Uint8Array): void {
    this.#owner._unread(data);
  }

  /**
   * Closes the file (not the socket, unless the socket's own `close()` was
   * called and this was its last file). Idempotent.
   *
   * @example
   * ```ts ignore
   * raw.close();
   * ```
   */
  close(): void {
    const sock = this.#sock;
    if (!sock) return;
    this.#sock = null;
    sock._decref_socketios();
  }

  /**
   * Closes the file (`using raw = sock.makefile("rb", { buffering: 0 })`).
   *
   * @example
   * ```ts ignore
   * { using raw = sock.makefile("rb", { buffering: 0 }); }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Closes the file (`await using`).
   *
   * @example
   * ```ts ignore
   * { await using raw = sock.makefile("rb", { buffering: 0 }); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/**
 * A buffered binary file, as Python's `BufferedReader` (mode `"rb"`),
 * `BufferedWriter` (`"wb"`) and `BufferedRWPair` (`"rwb"`): what
 * `sock.makefile("rb")` returns. Reads resolve to `Uint8Array`; writes
 * queue bytes until the buffer fills or `flush()` is called.
 *
 * Reads are serialised (one at a time, in call order); a read that rejects
 * (`TimeoutError`, `BlockingIOError`) keeps every byte it had received in
 * the buffer, so calling again continues exactly where it stopped. A
 * `write` always takes all of its data; if the flush it triggers fails, the
 * bytes stay queued, in order, for the next `flush`. A write with nothing
 * queued that fills the buffer (every write, unbuffered) goes straight to
 * the socket and may read the caller's array until its promise settles.
 *
 * Results of up to 1 KiB are copies that share one `ArrayBuffer` with other
 * results (as Node's pooled `Buffer`s): `slice()` one before transferring
 * its `.buffer`.
 *
 * @example
 * ```ts ignore
 * import { socket } from "@seed/socket";
 * await using sock = socket();
 * await sock.connect(["127.0.0.1", 8000]);
 * await using f = sock.makefile("rwb");
 * await f.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * await f.flush();
 * const status = await f.readline();
 * ```
 */
export class SocketFile {
  /** The raw layer (Python's `raw`). */
  readonly raw: RawStream;
  /** `"rb"`, `"wb"` or `"rwb"`. */
  readonly mode: string;
  #reader: ReadBuffer | null;
  #writer: WriteQueue | null;
  // A file closed while a read was in flight gives its read-ahead back.
  #readLock = new Lock(() => {
    if (this.raw.closed) this.#giveBack();
  });
  #writeLock = new Lock();

  /**
   * Buffers `raw`; prefer `sock.makefile("rb")`.
   *
   * @param raw The raw stream (a {@linkcode SocketIO}).
   * @param mode `"rb"`, `"wb"` or `"rwb"`.
   * @param bufferSize Bytes to buffer; 0 sends every write at once.
   */
  constructor(raw: RawStream, mode: string, bufferSize?: number);
  constructor(raw: RawStream, mode: string, bufferSize: number = DEFAULT_BUFFER_SIZE) {
    checkRaw(raw, "SocketFile()");
    if (typeof mode !== "string" || !["rb", "wb", "rwb"].includes(mode)) {
      throw new RangeError(`SocketFile(): mode must be "rb", "wb" or "rwb", not ${show(mode)}`);
    }
    if (typeof bufferSize !== "number" || !Number.isInteger(bufferSize)) {
      throw new TypeError(
        `SocketFile(): bufferSize must be an integer, not ${describe(bufferSize)}`,
      );
    }
    if (bufferSize > 0) checkBufsize(bufferSize, "SocketFile()", "bufferSize");
    this.raw = raw;
    this.mode = mode;
    const size = bufferSize > 0 ? bufferSize : 0;
    this.#reader = mode.includes("r") ? new ReadBuffer(raw, size || DEFAULT_BUFFER_SIZE) : null;
    this.#writer = mode.includes("w") ? new WriteQueue(raw, size) : null;
  }

  /** Runs a read job; a file closed meanwhile gives its read-ahead back. */
  #read<T>(job: () => Promise<T>): Promise<T> {
    return this.#readLock.run(job);
  }

  /** Hands unread buffered bytes back to the socket (binary files over a socket). */
  #giveBack(): void {
    const reader = this.#reader;
    const raw = this.raw as RawStream & { _unread?: (data: Uint8Array) => void };
    if (reader && reader.available > 0 && typeof raw._unread === "function") {
      raw._unread(reader.take(reader.available));
    }
  }

  // A read that took the read lock with hold() and failed lets it go.
  #readFailed = (e: unknown): never => {
    this.#readLock.release();
    throw e;
  };

  #readBuffer(): ReadBuffer {
    if (this.raw.closed) throw closedFile();
    if (!this.#reader) throw new UnsupportedOperation("read");
    return this.#reader;
  }

  #writeQueue(): WriteQueue {
    if (this.raw.closed) throw closedFile();
    if (!this.#writer) throw new UnsupportedOperation("write");
    return this.#writer;
  }

  /**
   * Reads `size` bytes, fewer only at the end of the stream; with `size`
   * `-1` (default) everything until the end.
   *
   * @example
   * ```ts ignore
   * const header = await f.read(4);
   * ```
   */
  read(size?: number): Promise<Uint8Array<ArrayBuffer>>;
  read(size: number = -1): Promise<Uint8Array<ArrayBuffer>> {
    try {
      size = checkSize(size, "read()");
      const reader = this.#readBuffer();
      if (size === 0) return Promise.resolve(EMPTY);
      if (size > 0 && !this.#readLock.busy && reader.available >= size) {
        return Promise.resolve(reader.take(size));
      }
      return this.#read(async () => {
        if (size < 0) {
          while (await reader.fill() > 0) { /* until the end */ }
          return reader.take(reader.available);
        }
        while (reader.available < size) {
          if (await reader.fill(size - reader.available) === 0) break;
        }
        return reader.take(size);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * At most one receive: the buffered bytes if there are any, else what
   * one `recv` brings (up to `size`, or the buffer size when `-1`).
   *
   * @example
   * ```ts ignore
   * const some = await f.read1(65536);
   * ```
   */
  read1(size?: number): Promise<Uint8Array<ArrayBuffer>>;
  read1(size: number = -1): Promise<Uint8Array<ArrayBuffer>> {
    try {
      size = checkSize(size, "read1()");
      if (size === 0) {
        this.#readBuffer();
        return Promise.resolve(EMPTY);
      }
      return this.#read1(size, (reader, want) => reader.take(want));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * As `read1(size)` for the text layer: `decode` gets a view of the bytes
   * (empty at the end of the stream), valid only while it runs, instead of
   * a copy.
   * @ignore
   */
  _read1Decoded<T>(size: number, decode: (bytes: Uint8Array) => T): Promise<T> {
    try {
      return this.#read1(size, (reader, want) => decode(reader.takeView(want)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** What one receive brings (or the buffered bytes), handed to `take`. */
  #read1<T>(size: number, take: (reader: ReadBuffer, want: number) => T): Promise<T> {
    const reader = this.#readBuffer();
    const want = size < 0 ? reader.size : size;
    if (!this.#readLock.busy) {
      if (reader.available > 0) return Promise.resolve(take(reader, want));
      if (this.#readLock.hold()) {
        // The lock is let go after `take`, so that a file closed meanwhile
        // gives back only what `take` left.
        return reader.fill(want).then(() => {
          try {
            return take(reader, want);
          } finally {
            this.#readLock.release();
          }
        }, this.#readFailed);
      }
    }
    return this.#read(async () => {
      if (reader.available === 0) await reader.fill(want);
      return take(reader, want);
    });
  }

  /**
   * Fills `buffer` (fewer bytes only at the end of the stream); resolves to
   * the count.
   *
   * @example
   * ```ts ignore
   * const buffer = new Uint8Array(16);
   * const n = await f.readinto(buffer);
   * ```
   */
  async readinto(buffer: ArrayBufferView | ArrayBuffer): Promise<number> {
    const view = writableView(buffer, "readinto()");
    const data = await this.read(view.length);
    view.set(data);
    return data.length;
  }

  /**
   * As `readinto`, with at most one receive.
   *
   * @example
   * ```ts ignore
   * const n = await f.readinto1(new Uint8Array(4096));
   * ```
   */
  async readinto1(buffer: ArrayBufferView | ArrayBuffer): Promise<number> {
    const view = writableView(buffer, "readinto1()");
    const data = await this.read1(view.length);
    view.set(data);
    return data.length;
  }

  /**
   * Reads one line, up to and including `"\n"` (`b"\n"`); at most `limit`
   * bytes when `limit >= 0`; an empty array at the end of the stream.
   *
   * @example
   * ```ts ignore
   * const line = await f.readline();
   * ```
   */
  readline(limit?: number): Promise<Uint8Array<ArrayBuffer>>;
  readline(limit: number = -1): Promise<Uint8Array<ArrayBuffer>> {
    try {
      limit = checkSize(limit, "readline()", "limit");
      const reader = this.#readBuffer();
      if (limit === 0) return Promise.resolve(EMPTY);
      if (!this.#readLock.busy) {
        const line = reader.takeLine(limit);
        if (line !== null) return Promise.resolve(line);
        if (this.#readLock.hold()) {
          // No line buffered and nothing before this call: receive until
          // one is, in handlers made once (the lock allows one such call).
          this.#lineLimit = limit;
          return reader.fill().then(this.#lineFilled, this.#readFailed);
        }
      }
      return this.#read(() => this.#readline(reader, limit));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async #readline(reader: ReadBuffer, limit: number): Promise<Uint8Array<ArrayBuffer>> {
    for (;;) {
      const line = reader.takeLine(limit);
      if (line !== null) return line;
      if (await reader.fill() === 0) return reader.take(reader.available);
    }
  }

  // readline's receive loop while it holds the read lock (see readline).
  #lineLimit = -1;

  #lineFilled = (n: number): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> => {
    const reader = this.#reader!;
    const line = n === 0 ? reader.take(reader.available) : reader.takeLine(this.#lineLimit);
    if (line === null) return reader.fill().then(this.#lineFilled, this.#readFailed);
    // Let go after taking the line: a file closed meanwhile gives back the rest.
    this.#readLock.release();
    return line;
  };

  /**
   * Reads lines until the end of the stream (or until they total `hint`
   * bytes, when `hint > 0`).
   *
   * @example
   * ```ts ignore
   * for (const line of await f.readlines()) console.log(line);
   * ```
   */
  readlines(hint?: number): Promise<Uint8Array<ArrayBuffer>[]>;
  async readlines(hint: number = -1): Promise<Uint8Array<ArrayBuffer>[]> {
    return await readLines(
      () => this.readline(),
      checkSize(hint, "readlines()", "hint"),
      (lines) => this.#reader?.unshift(join(lines, lines.reduce((n, l) => n + l.length, 0))),
    );
  }

  /**
   * The buffered bytes, after at most one receive when none are.
   *
   * @example
   * ```ts ignore
   * const next = await f.peek();
   * ```
   */
  peek(size?: number): Promise<Uint8Array<ArrayBuffer>>;
  peek(size: number = 0): Promise<Uint8Array<ArrayBuffer>> {
    try {
      checkSize(size, "peek()");
      const reader = this.#readBuffer();
      return this.#read(async () => {
        if (reader.available === 0) await reader.fill();
        return reader.view().slice();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Queues `data` (bytes, or a string sent as UTF-8) and sends the queue
   * when it reaches the buffer size; resolves to the byte count.
   *
   * @example
   * ```ts ignore
   * await f.write(new Uint8Array([1, 2, 3]));
   * ```
   */
  write(data: Data): Promise<number> {
    try {
      const bytes = toBytes(data, "write()");
      return this.#write(bytes, false, bytes.length);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * As `write`, for bytes the caller gives up (the text layer's freshly
   * encoded text): queued without a copy. Resolves to `count` (the text
   * layer's characters; the byte count by default).
   * @ignore
   */
  _writeOwned(bytes: Uint8Array, count: number = bytes.length): Promise<number> {
    try {
      return this.#write(bytes, true, count);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Writes `bytes`; resolves to `count` (the text layer counts characters). */
  #write(bytes: Uint8Array, owned: boolean, count: number): Promise<number> {
    const writer = this.#writeQueue();
    if (
      bytes.length > 0 && bytes.length >= writer.size && writer.pending === 0 &&
      !this.#writeLock.busy
    ) {
      // Nothing queued and nothing to gain from queueing (unbuffered, or
      // at least a buffer's worth): straight to the raw layer, as
      // CPython's BufferedWriter does. The caller's bytes are used in
      // place only where a raw write holds them no longer than it runs.
      const data = owned || borrowsOnly(this.raw) ? bytes : bytes.slice();
      if (this.#writeLock.hold()) {
        // Nearly always one raw write takes it all: handlers made once.
        this.#through = data;
        this.#throughCount = count;
        let sent: Promise<number>;
        try {
          sent = this.raw.write(data);
        } catch (e) {
          sent = Promise.reject(e); // a raw layer that throws instead of rejecting
        }
        return sent.then(this.#wroteThrough, this.#throughFailed);
      }
      return this.#writeLock.run(() => this.#writeThrough(writer, data, false, count));
    }
    if (!writer.push(bytes, owned)) return Promise.resolve(count);
    return this.#writeLock.run(async () => {
      await writer.flush();
      return count;
    });
  }

  // The write that went straight out holding the write lock (see #write).
  #through: Uint8Array = EMPTY;
  #throughCount = 0;

  #wroteThrough = (n: number): number | Promise<number> => {
    const data = this.#through;
    this.#through = EMPTY;
    if (n < data.length) {
      return this.#writeThrough(this.#writer!, data.subarray(n), true, this.#throughCount);
    }
    this.#writeLock.release();
    return this.#throughCount;
  };

  #throughFailed = (e: unknown): never => {
    // Kept, ahead of whatever was queued while this write was in flight.
    this.#writer!.unshift(this.#through);
    this.#through = EMPTY;
    this.#writeLock.release();
    throw e;
  };

  /**
   * Sends `data` in raw writes; what a failed write leaves goes to the
   * front of the queue. `held`: the caller took the write lock with
   * `hold()`, and this releases it. Resolves to `count`.
   */
  async #writeThrough(
    writer: WriteQueue,
    data: Uint8Array,
    held: boolean,
    count: number,
  ): Promise<number> {
    let sent = 0;
    try {
      while (sent < data.length) {
        sent += await this.raw.write(sent === 0 ? data : data.subarray(sent));
      }
    } catch (e) {
      // Kept, ahead of whatever was queued while this write was in flight.
      writer.unshift(data.subarray(sent));
      throw e;
    } finally {
      if (held) this.#writeLock.release();
    }
    return count;
  }

  /**
   * Writes each item in turn.
   *
   * @example
   * ```ts ignore
   * await f.writelines([new Uint8Array([1]), new Uint8Array([2])]);
   * ```
   */
  async writelines(lines: Iterable<Data> | AsyncIterable<Data>): Promise<void> {
    checkLines(lines);
    for await (const line of lines) await this.write(line);
  }

  /**
   * Sends everything queued.
   *
   * @example
   * ```ts ignore
   * await f.flush();
   * ```
   */
  flush(): Promise<void> {
    if (this.raw.closed) return Promise.reject(closedFile());
    const writer = this.#writer;
    if (!writer) return Promise.resolve();
    if (!this.#writeLock.busy && writer.pending === 0) return Promise.resolve();
    if (this.#writeLock.hold()) {
      return writer.flush().then(this.#flushed, this.#flushFailed);
    }
    return this.#writeLock.run(() => writer.flush());
  }

  // A flush that took the write lock with hold() lets it go as it settles.
  #flushed = (): void => {
    this.#writeLock.release();
  };

  #flushFailed = (e: unknown): never => {
    this.#writeLock.release();
    throw e;
  };

  /**
   * True when opened for reading.
   *
   * @example
   * ```ts ignore
   * console.log(f.readable());
   * ```
   */
  readable(): boolean {
    if (this.raw.closed) throw closedFile();
    return this.#reader !== null;
  }

  /**
   * True when opened for writing.
   *
   * @example
   * ```ts ignore
   * console.log(f.writable());
   * ```
   */
  writable(): boolean {
    if (this.raw.closed) throw closedFile();
    return this.#writer !== null;
  }

  /**
   * Always false: a socket cannot seek.
   *
   * @example
   * ```ts ignore
   * console.log(f.seekable()); // false
   * ```
   */
  seekable(): boolean {
    return false;
  }

  /**
   * The socket's `fileno()`.
   *
   * @example
   * ```ts ignore
   * console.log(f.fileno());
   * ```
   */
  fileno(): number {
    if (this.raw.closed) throw closedFile();
    return this.raw.fileno();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.raw.closed;
  }

  /**
   * Sends what is queued, then closes the file (and its raw layer). The
   * raw layer is closed even if the flush fails; the error is then
   * rethrown. Idempotent. Bytes the file had received but not returned go
   * back to the socket (CPython drops them), so `recv` — or a new file —
   * continues exactly where this file's reads stopped.
   *
   * @example
   * ```ts ignore
   * await f.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.raw.closed) return;
    try {
      if (this.#writer && this.#writer.pending > 0) await this.flush();
    } finally {
      if (!this.#readLock.busy) this.#giveBack(); // else when the read in flight ends
      this.raw.close();
    }
  }

  /**
   * Yields lines until the end of the stream.
   *
   * @example
   * ```ts ignore
   * for await (const line of f) console.log(line);
   * ```
   */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array<ArrayBuffer>, void, void> {
    return iterLines(() => this.readline());
  }

  /**
   * Closes the file (`await using f = sock.makefile("rb")`).
   *
   * @example
   * ```ts ignore
   * { await using f = sock.makefile("rb"); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Options of the {@linkcode SocketTextFile} constructor. */
export interface TextFileOptions {
  /** The encoding (default `"utf-8"`). */
  encoding?: string | null;
  /** `"strict"` (default), `"replace"` or `"ignore"`. */
  errors?: string | null;
  /** `null`, `""`, `"\n"`, `"\r"` or `"\r\n"`, as Python's `newline`. */
  newline?: string | null;
  /** The mode to report (`"r"`, `"w"`, `"rw"`). */
  mode?: string;
}

/**
 * A text file over a buffered socket file, as Python's `io.TextIOWrapper`:
 * what `sock.makefile("r")` (or `"w"`, `"rw"`) returns. Reads resolve to
 * strings decoded with `encoding` and split by Python's `newline` rules;
 * `read(n)` and `readline(limit)` count characters (code points).
 *
 * A read that rejects (`TimeoutError`, `BlockingIOError`) keeps what it had
 * received, so the next call continues the same line. Unlike a binary
 * file, a text file keeps the text it decoded ahead when it is closed (as
 * CPython's does): do not mix a text file's reads with `recv`.
 *
 * @example
 * ```ts ignore
 * import { socket } from "@seed/socket";
 * await using sock = socket();
 * await sock.connect(["127.0.0.1", 8000]);
 * await using f = sock.makefile("rw", { newline: "\r\n" });
 * await f.write("NOOP\n"); // sent as "NOOP\r\n"
 * await f.flush();
 * console.log(await f.readline());
 * ```
 */
export class SocketTextFile {
  /** The binary file underneath (Python's `buffer`). */
  readonly buffer: SocketFile;
  /** The encoding's name. */
  readonly encoding: string;
  /** The error handler: `"strict"`, `"replace"` or `"ignore"`. */
  readonly errors: string;
  /** The mode given to `makefile` (`"r"`, `"w"`, `"rw"`). */
  readonly mode: string;
  #codec: Codec;
  #newline: string | null;
  #decoder: NewlineDecoder | null;
  #text = "";
  #scanned = 0;
  #lock = new Lock();
  #wroteAny = false;

  /**
   * Wraps a binary file; prefer `sock.makefile("r")`.
   *
   * @param buffer The binary file.
   * @param options Encoding, errors, newline and mode.
   */
  constructor(buffer: SocketFile, options?: TextFileOptions);
  constructor(buffer: SocketFile, options: TextFileOptions = {}) {
    const newline = checkNewline(options.newline, "SocketTextFile()");
    const errors = options.errors ?? "strict";
    const encoding = options.encoding ?? "utf-8";
    if (typeof encoding !== "string") {
      throw new TypeError(`encoding must be a string, not ${describe(encoding)}`);
    }
    if (typeof errors !== "string") {
      throw new TypeError(`errors must be a string, not ${describe(errors)}`);
    }
    this.#codec = lookupCodec(encoding, errors, "makefile()", codecErrors);
    if (buffer.mode.includes("w") && !this.#codec.encode) {
      throw new RangeError(
        `makefile(): encoding ${
          JSON.stringify(encoding)
        } can be read but not written (write supports utf-8, latin-1 and ascii)`,
      );
    }
    this.buffer = buffer;
    this.encoding = this.#codec.name;
    this.errors = errors;
    this.mode = options.mode ?? buffer.mode.replace("b", "");
    this.#newline = newline;
    this.#decoder = buffer.mode.includes("r")
      ? new NewlineDecoder(
        this.#codec.decoder(),
        newline === null || newline === "",
        newline === null,
      )
      : null;
  }

  /** The `newline` setting (`null` for universal newlines). */
  get newline(): string | null {
    return this.#newline;
  }

  #reading(): NewlineDecoder {
    if (this.buffer.closed) throw closedFile();
    if (!this.#decoder) throw new UnsupportedOperation("not readable");
    return this.#decoder;
  }

  /** Decodes one more receive; false at the end of the stream. */
  #fill(): Promise<boolean> {
    // Decoded straight from the read buffer: no copy of the bytes per line.
    return this.buffer._read1Decoded(DEFAULT_BUFFER_SIZE, this.#decodeChunk).then(this.#append);
  }

  #decodeChunk = (bytes: Uint8Array): string | null =>
    bytes.length === 0 ? null : this.#decoder!.decode(bytes, false);

  #append = (text: string | null): boolean => {
    if (text === null) {
      this.#text += this.#decoder!.decode(EMPTY, true);
      return false;
    }
    this.#text += text;
    return true;
  };

  // readline's receive loop while it holds the lock (see readline).
  #lineLimit = -1;

  #lineFilled = (more: boolean): string | Promise<string> => {
    const limit = this.#lineLimit;
    let end = this.#lineEnd(limit, false);
    if (end < 0) {
      if (more) return this.#fill().then(this.#lineFilled, this.#lineFailed);
      const last = this.#lineEnd(limit, true);
      end = last >= 0 ? last : this.#text.length;
    }
    this.#lock.release();
    return this.#take(end);
  };

  #lineFailed = (e: unknown): never => {
    this.#lock.release();
    throw e;
  };

  #take(end: number): string {
    const out = this.#text.slice(0, end);
    this.#text = this.#text.slice(end);
    this.#scanned = Math.max(0, this.#scanned - end);
    return out;
  }

  /** The end of the first buffered line (at most `limit` characters), or -1. */
  #lineEnd(limit: number, final: boolean): number {
    const text = this.#text;
    let end = -1;
    const newline = this.#newline;
    if (newline === null || newline === "\n") {
      const i = text.indexOf("\n", this.#scanned);
      if (i >= 0) end = i + 1;
      else this.#scanned = text.length;
    } else if (newline === "") {
      let i = this.#scanned;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x0a) {
          end = i + 1;
          break;
        }
        if (c === 0x0d) {
          // The decoder holds back a final "\r" until it knows what follows.
          end = text.charCodeAt(i + 1) === 0x0a ? i + 2 : i + 1;
          break;
        }
      }
      if (end < 0) this.#scanned = text.length;
    } else {
      const i = text.indexOf(newline, this.#scanned);
      if (i >= 0) end = i + newline.length;
      else this.#scanned = Math.max(0, text.length - newline.length + 1);
    }
    if (limit >= 0) {
      const cut = codePointsEnd(text, 0, limit);
      if (end >= 0 ? end > cut : cut < text.length || codePoints(text) >= limit) {
        return cut;
      }
    }
    if (end < 0 && final && text.length > 0) return text.length;
    return end;
  }

  /**
   * Reads `size` characters, fewer only at the end of the stream; with
   * `size` `-1` (default) everything until the end.
   *
   * @example
   * ```ts ignore
   * const all = await f.read();
   * ```
   */
  read(size?: number): Promise<string>;
  read(size: number = -1): Promise<string> {
    try {
      size = checkSize(size, "read()");
      this.#reading();
      if (size === 0) return Promise.resolve("");
      return this.#lock.run(async () => {
        if (size < 0) {
          while (await this.#fill()) { /* until the end */ }
          return this.#take(this.#text.length);
        }
        for (;;) {
          const end = codePointsEnd(this.#text, 0, size);
          if (end < this.#text.length || codePoints(this.#text) >= size) return this.#take(end);
          if (!await this.#fill()) return this.#take(this.#text.length);
        }
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Reads one line with its line end (translated to `"\n"` when `newline`
   * is `null`); at most `limit` characters when `limit >= 0`; `""` at the
   * end of the stream.
   *
   * @example
   * ```ts ignore
   * const line = await f.readline();
   * ```
   */
  readline(limit?: number): Promise<string>;
  readline(limit: number = -1): Promise<string> {
    try {
      limit = checkSize(limit, "readline()", "limit");
      this.#reading();
      if (limit === 0) return Promise.resolve("");
      if (!this.#lock.busy) {
        const end = this.#lineEnd(limit, false);
        if (end >= 0) return Promise.resolve(this.#take(end));
        if (this.#lock.hold()) {
          // No line buffered and nothing before this call: receive until
          // one is, in handlers made once (the lock allows one such call).
          this.#lineLimit = limit;
          return this.#fill().then(this.#lineFilled, this.#lineFailed);
        }
      }
      return this.#lock.run(async () => {
        for (;;) {
          const end = this.#lineEnd(limit, false);
          if (end >= 0) return this.#take(end);
          if (!await this.#fill()) {
            const last = this.#lineEnd(limit, true);
            return this.#take(last >= 0 ? last : this.#text.length);
          }
        }
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Reads lines until the end of the stream (or until they total `hint`
   * characters, when `hint > 0`).
   *
   * @example
   * ```ts ignore
   * const lines = await f.readlines();
   * ```
   */
  readlines(hint?: number): Promise<string[]>;
  async readlines(hint: number = -1): Promise<string[]> {
    return await readLines(
      () => this.readline(),
      checkSize(hint, "readlines()", "hint"),
      (lines) => {
        this.#text = lines.join("") + this.#text;
        this.#scanned = 0;
      },
    );
  }

  /**
   * Encodes and queues `text` (with `"\n"` written as `newline` when that
   * is `"\r"` or `"\r\n"`); resolves to the number of characters.
   *
   * @example
   * ```ts ignore
   * await f.write("hello\n");
   * ```
   */
  write(text: string): Promise<number> {
    try {
      if (typeof text !== "string") {
        throw new TypeError(`write() argument must be a string, not ${describe(text)}`);
      }
      if (this.buffer.closed) throw closedFile();
      if (!this.buffer.mode.includes("w")) throw new UnsupportedOperation("not writable");
      const newline = this.#newline ?? LINESEP;
      const out = newline !== "\n" && newline !== "" ? text.replaceAll("\n", newline) : text;
      // ASCII is the same bytes in every codec that writes.
      const ascii = encodeAscii(out);
      let bytes = ascii ?? this.#codec.encode!(out);
      if (!this.#wroteAny && this.#codec.bom && out.length > 0) {
        const withBom = new Uint8Array(this.#codec.bom.length + bytes.length);
        withBom.set(this.#codec.bom);
        withBom.set(bytes, this.#codec.bom.length);
        bytes = withBom;
      }
      if (out.length > 0) this.#wroteAny = true;
      // All ASCII: one code point per character.
      const count = ascii !== null ? text.length : codePoints(text);
      return this.buffer._writeOwned(bytes, count);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Writes each string in turn.
   *
   * @example
   * ```ts ignore
   * await f.writelines(["a\n", "b\n"]);
   * ```
   */
  async writelines(lines: Iterable<string> | AsyncIterable<string>): Promise<void> {
    checkLines(lines);
    for await (const line of lines) await this.write(line);
  }

  /**
   * Sends everything queued.
   *
   * @example
   * ```ts ignore
   * await f.flush();
   * ```
   */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /**
   * True when opened for reading.
   *
   * @example
   * ```ts ignore
   * console.log(f.readable());
   * ```
   */
  readable(): boolean {
    return this.buffer.readable();
  }

  /**
   * True when opened for writing.
   *
   * @example
   * ```ts ignore
   * console.log(f.writable());
   * ```
   */
  writable(): boolean {
    return this.buffer.writable();
  }

  /**
   * Always false: a socket cannot seek.
   *
   * @example
   * ```ts ignore
   * console.log(f.seekable()); // false
   * ```
   */
  seekable(): boolean {
    return false;
  }

  /**
   * The socket's `fileno()`.
   *
   * @example
   * ```ts ignore
   * console.log(f.fileno());
   * ```
   */
  fileno(): number {
    return this.buffer.fileno();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.buffer.closed;
  }

  /**
   * Sends what is queued and closes the file. Idempotent.
   *
   * @example
   * ```ts ignore
   * await f.close();
   * ```
   */
  close(): Promise<void> {
    return this.buffer.close();
  }

  /**
   * Yields lines until the end of the stream.
   *
   * @example
   * ```ts ignore
   * for await (const line of f) console.log(line);
   * ```
   */
  [Symbol.asyncIterator](): AsyncGenerator<string, void, void> {
    return iterLines(() => this.readline());
  }

  /**
   * Closes the file (`await using f = sock.makefile("r")`).
   *
   * @example
   * ```ts ignore
   * { await using f = sock.makefile("r"); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function checkNewline(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    throw new TypeError(`${where}: newline must be a string or null, not ${describe(value)}`);
  }
  if (!["", "\n", "\r", "\r\n"].includes(value)) {
    throw new RangeError(`${where}: illegal newline value: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Python's `socket.makefile(mode, buffering, encoding=, errors=, newline=)`;
 * `Socket.makefile` calls it.
 * @ignore
 */
export function makefile(
  sock: FileSocket,
  mode: unknown,
  options: MakefileOptions,
): SocketIO | SocketFile | SocketTextFile {
  if (typeof mode !== "string") {
    throw new TypeError(`makefile(): mode must be a string, not ${describe(mode)}`);
  }
  if (![...mode].every((c) => c === "r" || c === "w" || c === "b")) {
    throw new RangeError(`makefile(): invalid mode ${JSON.stringify(mode)} (only r, w, b allowed)`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`makefile(): options must be an object, not ${describe(options)}`);
  }
  try {
    // Read once: a getter or a proxy answers the checks and the use alike.
    const { buffering, encoding, errors, newline } = options;
    options = { buffering, encoding, errors, newline };
  } catch {
    throw new TypeError(`makefile(): options must be an object, not ${describe(options)}`);
  }
  const writing = mode.includes("w");
  const reading = mode.includes("r") || !writing;
  const binary = mode.includes("b");
  const rawMode = (reading ? "r" : "") + (writing ? "w" : "");
  let buffering = options.buffering ?? -1;
  if (typeof buffering !== "number" || !Number.isInteger(buffering)) {
    throw new TypeError(`makefile(): buffering must be an integer, not ${describe(buffering)}`);
  }
  if (buffering === 0 && !binary) {
    throw new RangeError("makefile(): unbuffered streams must be binary (buffering 0 needs 'b')");
  }
  if (buffering > 0) checkBufsize(buffering, "makefile()", "buffering");
  if (buffering < 0) buffering = DEFAULT_BUFFER_SIZE;
  const text = binary ? null : {
    encoding: checkName(options.encoding, "encoding"),
    errors: checkName(options.errors, "errors"),
    newline: checkNewline(options.newline, "makefile()"),
    mode,
  };
  // Check the text options before taking a reference on the socket.
  if (text) {
    lookupCodec(text.encoding ?? "utf-8", text.errors ?? "strict", "makefile()", codecErrors);
  }
  const raw = new SocketIO(sock, rawMode);
  // From here the socket counts this file: anything that fails must give
  // the reference back, or close() would never close the socket.
  try {
    if (buffering === 0) return raw;
    const buffer = new SocketFile(raw, rawMode + "b", buffering);
    if (!text) return buffer;
    return new SocketTextFile(buffer, text);
  } catch (e) {
    raw.close();
    throw e;
  }
}

/** Checks a text option that names something (`encoding`, `errors`): a string or null. */
function checkName(value: unknown, name: string): string | null | undefined {
  if (value === undefined || value === null || typeof value === "string") return value;
  throw new TypeError(`makefile(): ${name} must be a string or null, not ${describe(value)}`);
}
