/**
 * The reader: the only code that reads a stream connection. It owns the one
 * read Deno may have in flight, the receive buffer, the end of stream,
 * resets and read errors, `MSG_PEEK` and `MSG_WAITALL`, `recv_into`, the
 * readable web stream, and what a timeout, an abort, a close or a hand-over
 * does to a read in flight: Deno cannot cancel a read, so its bytes land in
 * the buffer and the next call returns them, or go to the connection's new
 * owner.
 *
 * The fast paths (a blocking `recv`/`recv_into`, a timed `recv_into`, each
 * with nothing buffered) are one Deno read and their promise; their
 * handlers and the timed read's state are made once per reader.
 *
 * @module
 */

import { MSG_PEEK, MSG_WAITALL } from "./constants.ts";
import { BlockingIOError, errno, OSError, TimeoutError } from "./errors.ts";
import { badf, type Link, quiet } from "./_base.ts";
import { detachedError, isDetached } from "./_options.ts";
import type { Deadline, Slot, Timers } from "./_deadlines.ts";
import type { CallOptions } from "./_base.ts";
import type { StreamConn } from "./_transport.ts";

/** How much a peek, a poll or select reads ahead. */
const PEEK_CHUNK = 65536;
/** The size a default (non-BYOB) stream reader asks for. */
const STREAM_CHUNK = 65536;
const EMPTY = new Uint8Array(0);

function ignoreValue(): void {}

/** The timed recv_into a reader has in flight, reused from call to call. */
interface TimedRead extends Slot {
  buffer: Uint8Array;
  whole: Uint8Array;
  /** What the caller got: marked handled before it rejects (see quiet). */
  promise: Promise<number>;
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
  done: (n: number | null) => void;
  failed: (e: unknown) => void;
}

/** What the readable stream reads through: the socket's own `recv_into`. */
interface StreamSource {
  recv_into(buffer: Uint8Array, nbytes: number, options: CallOptions): Promise<number>;
}

/**
 * One stream socket's receiving side.
 * @ignore
 */
export class Reader {
  /** The connection read from; null until connected and after close. */
  conn: StreamConn | null = null;
  /** The one read Deno may have in flight (its bytes come here). */
  reading: Promise<unknown> | null = null;
  /** Bytes received and not yet returned. */
  #queue = new ByteQueue();
  #memory = new ReadMemory();
  #readError: unknown = null;
  #eof = false;
  #shutRd = false;
  #link: Link;
  #timedRead: TimedRead | null = null;
  // The socket's timers, kept once the timed read has its slot there.
  #timers: Timers | null = null;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  // The buffer the blocking fast paths read into, and recvIntoFast's caller's buffer.
  #whole: Uint8Array | null = null;
  #into: Uint8Array = EMPTY;

  constructor(link: Link) {
    this.#link = link;
  }

  /**
   * True when a call may go straight to Deno: nothing buffered, no read in
   * flight, no end or error to report first.
   */
  idle(): boolean {
    return this.#queue.size === 0 && this.reading === null && !this.#eof && !this.#shutRd &&
      this.#readError === null;
  }

  /**
   * Blocking recv_into with nothing buffered: one Deno read into the reused
   * buffer, copied into the caller's. Never straight into the caller's
   * buffer: it may be detached (transferred) while the read waits, and the
   * bytes would leave with it. The promise returned is also `reading`, so
   * that a call made meanwhile waits for it.
   */
  recvIntoFast(conn: StreamConn, buffer: Uint8Array): Promise<number> {
    const size = this.#memory.size(buffer.length);
    const whole = this.#whole = this.#memory.borrow(size);
    this.#into = buffer;
    const view = whole.length === size ? whole : whole.subarray(0, size);
    return this.reading = conn.read(view).then(
      this.#onCount ??= this.#readCount.bind(this),
      this.#onFail ??= this.#readFailed.bind(this),
    );
  }

  /** Blocking recv with nothing buffered: one Deno read into reused memory. */
  recvFast(conn: StreamConn, bufsize: number): Promise<Uint8Array> {
    const size = this.#memory.size(bufsize);
    const whole = this.#whole = this.#memory.borrow(size);
    const view = whole.length === size ? whole : whole.subarray(0, size);
    return this.reading = conn.read(view).then(
      this.#onBytes ??= this.#readBytes.bind(this),
      this.#onFail ??= this.#readFailed.bind(this),
    );
  }

  /**
   * recv_into with a timeout and nothing buffered: one Deno read into the
   * reused buffer, copied into `buffer` if the caller still waits, else kept
   * for the next call (so a timeout loses nothing). Its deadline is a timer
   * slot; its state and handlers are made once (idle() allows one such read
   * at a time), so a call allocates little more than its promise.
   */
  recvIntoTimed(conn: StreamConn, buffer: Uint8Array, timeout: number): Promise<number> {
    let read = this.#timedRead;
    if (read === null) {
      read = this.#timedRead = this.#makeTimedRead();
      this.#timers = this.#link.timers();
      this.#timers.slot(read);
    }
    const size = this.#memory.size(buffer.length);
    const whole = this.#memory.borrow(size);
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    read.promise = promise;
    read.at = NaN;
    read.ms = timeout * 1000;
    read.waiting = true;
    read.buffer = buffer;
    read.whole = whole;
    read.resolve = resolve;
    read.reject = reject;
    this.#timers!.armSlot(read);
    this.reading = conn.read(whole.length === size ? whole : whole.subarray(0, size))
      .then(read.done, read.failed);
    return promise;
  }

  /** recv on the general path (flags checked, the socket connected). */
  async recv(bufsize: number, flags: number, deadline: Deadline): Promise<Uint8Array> {
    if (flags & MSG_WAITALL && !(flags & MSG_PEEK)) {
      const out = new Uint8Array(bufsize);
      return out.subarray(0, await this.#receiveAll(out, deadline));
    }
    if (flags & MSG_WAITALL) await this.#peekAll(bufsize, deadline);
    return await this.#receive(bufsize, deadline, (flags & MSG_PEEK) !== 0);
  }

  /** recv_into on the general path: fills `target`, returns the count. */
  async recvInto(target: Uint8Array, flags: number, deadline: Deadline): Promise<number> {
    // Deno never reads into the caller's buffer: it may be detached
    // (transferred) while the call waits, and the bytes would go with it.
    let got: Uint8Array;
    const peek = (flags & MSG_PEEK) !== 0;
    // Sized now: a buffer detached while the call waits has length 0.
    const size = target.length;
    if (flags & MSG_WAITALL && !peek) {
      const all = new Uint8Array(size);
      got = all.subarray(0, await this.#receiveAll(all, deadline));
    } else {
      if (flags & MSG_WAITALL) await this.#peekAll(size, deadline);
      got = await this.#receive(size, deadline, peek);
    }
    if (isDetached(target.buffer)) {
      if (!peek && !this.#link.closed()) this.unread(got);
      throw detachedError("recv_into()", "buffer");
    }
    target.set(got);
    return got.length;
  }

  /**
   * The socket's readable web stream (made on first use, and again after
   * a cancel or an error), reading through `sock.recv_into`.
   */
  stream(sock: StreamSource): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= socketReadable(sock, () => this.#readable = null);
  }

  /** After shutdown(SHUT_RD): what has arrived is returned, then empty, never a wait. */
  shutdown(): void {
    this.#shutRd = true;
  }

  /**
   * Puts bytes back at the front of the buffer, so that the next receive
   * returns them first.
   */
  unread(data: Uint8Array): void {
    this.#queue.unshift(data);
  }

  /**
   * Lets go of the connection for a new owner (STARTTLS, detach): takes the
   * buffered bytes, and hands over the read in flight, if any, as `pending`
   * instead of waiting for it. Deno cannot cancel a read, and one abandoned
   * by a timeout may end only with bytes the peer sends after the new layer
   * starts (a STARTTLS server answers nothing before the ClientHello).
   * `pending` settles once that read ends: with the bytes it brought that no
   * caller took (empty when a receive still waiting took them: read on),
   * `null` at the end of the stream, or the read's error. The new owner's
   * input is `buffered`, then `pending`'s bytes, then its own reads, which
   * must not start before `pending` settles. A receive still waiting on the
   * general path gets `ENOTCONN` (or `EBADF` once the socket is closed)
   * rather than reading on for itself.
   */
  handOver(): { buffered: Uint8Array; pending: Promise<Uint8Array | null> | null } {
    const buffered = this.#queue.takeAll();
    const reading = this.reading;
    this.conn = null;
    if (reading === null) return { buffered, pending: null };
    // The read's own handlers put its bytes, end or error into the read
    // state (a receive still waiting takes its bytes first): take them there.
    const pending = reading.then(ignoreValue, ignoreValue).then(() => {
      const bytes = this.#queue.takeAll();
      if (bytes.length > 0) return bytes;
      const failure = this.#readError;
      this.#readError = null;
      if (failure !== null) throw failure;
      return this.#eof ? null : bytes;
    });
    return { buffered, pending: quiet(pending) };
  }

  /** True when a receive would not wait (select's "readable"). */
  ready(): boolean {
    return this.#queue.size > 0 || this.#eof || this.#shutRd || this.#readError !== null;
  }

  /** A read ahead (started if none) that select can wait on, or null if ready. */
  watch(): Promise<unknown> | null {
    const conn = this.conn;
    if (conn === null || this.ready()) return null;
    return this.reading ??= this.#readAhead(conn, PEEK_CHUNK);
  }

  /** Drops the buffer (the socket closed); the read memory serves the next socket. */
  release(): void {
    this.conn = null;
    this.#queue.clear();
    this.#memory.recycle();
  }

  /**
   * Over a new connection (a hand-over): what was buffered has been taken;
   * the end and errors of the old one are forgotten.
   */
  restart(conn: StreamConn): void {
    this.conn = conn;
    this.#eof = false;
    this.#readError = null;
    this.#memory.give(null);
  }

  // ---- the fast paths' handlers, made on first use and kept ---------------

  // Bound methods, not arrow functions: V8 keeps an arrow function made in
  // a method and stored on its object alive through young-generation
  // collections, so each socket that read would live until a full one.
  #onCount: ((n: number | null) => number) | null = null;
  #onBytes: ((n: number | null) => Uint8Array) | null = null;
  #onFail: ((e: unknown) => never) | null = null;

  #readCount(n: number | null): number {
    const reading = this.reading;
    this.reading = null;
    const whole = this.#whole!;
    const into = this.#into;
    this.#whole = null;
    this.#into = EMPTY;
    if (n === null) {
      this.#eof = true;
      this.#memory.give(whole);
      return 0;
    }
    this.#memory.grow(n);
    if (isDetached(into.buffer)) {
      // Detached (transferred) while the call waited: the bytes stay for
      // the next receive.
      this.#queue.push(this.#memory.keep(whole, n));
      if (reading !== null) quiet(reading); // the caller may have abandoned it
      throw detachedError("recv_into()", "buffer");
    }
    into.set(n === whole.length ? whole : whole.subarray(0, n));
    this.#memory.give(whole);
    return n;
  }

  #readBytes(n: number | null): Uint8Array {
    this.reading = null;
    const whole = this.#whole!;
    this.#whole = null;
    if (n !== null) {
      this.#memory.grow(n);
      return this.#memory.keep(whole, n);
    }
    this.#eof = true;
    this.#memory.give(whole);
    return EMPTY;
  }

  #readFailed(e: unknown): never {
    // `reading` is the promise the caller got, about to reject: the caller
    // may have abandoned it.
    if (this.reading !== null) quiet(this.reading);
    this.reading = null;
    if (this.#whole !== null) {
      this.#memory.give(this.#whole);
      this.#whole = null;
    }
    this.#into = EMPTY;
    throw this.#link.fail(e);
  }

  #makeTimedRead(): TimedRead {
    const read: TimedRead = {
      at: 0,
      ms: 0,
      waiting: false,
      buffer: EMPTY,
      whole: EMPTY,
      promise: null!,
      resolve: ignoreValue,
      reject: ignoreValue,
      expire: () => {
        read.waiting = false;
        quiet(read.promise);
        read.reject(new TimeoutError());
      },
      done: (n) => {
        const { whole, buffer } = read;
        read.buffer = read.whole = EMPTY;
        this.reading = null;
        if (n === null) this.#eof = true;
        else this.#memory.grow(n);
        if (!read.waiting) {
          if (n === null) this.#memory.give(whole);
          else this.#queue.push(this.#memory.keep(whole, n));
          return;
        }
        read.waiting = false;
        if (isDetached(buffer.buffer)) {
          // Detached (transferred) while the call waited: the bytes stay
          // for the next receive.
          if (n === null) this.#memory.give(whole);
          else this.#queue.push(this.#memory.keep(whole, n));
          quiet(read.promise);
          return read.reject(detachedError("recv_into()", "buffer"));
        }
        if (n === null) {
          this.#memory.give(whole);
          return read.resolve(0);
        }
        buffer.set(n === whole.length ? whole : whole.subarray(0, n));
        this.#memory.give(whole);
        read.resolve(n);
      },
      failed: (e) => {
        this.reading = null;
        this.#memory.give(read.whole);
        read.buffer = read.whole = EMPTY;
        if (!read.waiting) {
          this.#readError = e;
          return;
        }
        read.waiting = false;
        quiet(read.promise);
        read.reject(this.#link.fail(e));
      },
    };
    return read;
  }

  // ---- the general path ---------------------------------------------------

  /** One receive: buffered bytes first, else one read from Deno. */
  async #receive(
    size: number,
    deadline: Deadline,
    peek: boolean,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    let polled = false;
    for (;;) {
      const conn = this.#connected();
      if (this.#queue.size > 0) {
        // A peek sees all that has arrived, not only what was read ahead.
        if (peek && !polled && this.#queue.size < size && !this.#eof && !this.#shutRd) {
          polled = true;
          await this.#poll(conn, size);
          continue;
        }
        return peek ? this.#queue.peek(size) : this.#queue.take(size);
      }
      if (this.#eof) return EMPTY;
      if (this.#shutRd) {
        // After SHUT_RD, Linux returns what has already arrived, never blocks.
        if (polled) return EMPTY;
        polled = true;
        await this.#poll(conn, size);
        continue;
      }
      const failure = this.#readError;
      if (failure) {
        this.#readError = null;
        throw this.#link.fail(failure);
      }
      if (!this.reading && deadline.timeout === null && !deadline.signal && !peek) {
        // Blocking with nothing buffered: read straight into the result.
        return await this.#readDirect(conn, into ?? new Uint8Array(size));
      }
      // A peek reads one bounded chunk ahead so that it sees what has arrived.
      this.reading ??= this.#readAhead(conn, peek ? Math.max(size, PEEK_CHUNK) : size);
      await this.#wait(this.reading, deadline);
    }
  }

  /**
   * The connection to read on; `ENOTCONN` once it was handed over (a
   * receive that waited through a hand-over: its read went to the new owner).
   */
  #connected(): StreamConn {
    const conn = this.conn;
    if (conn === null) throw new OSError(errno.ENOTCONN);
    return conn;
  }

  /** Waits for the read in flight within `deadline`; EBADF if closed meanwhile. */
  async #wait(reading: Promise<unknown>, deadline: Deadline): Promise<void> {
    try {
      await this.#link.waitFor(reading, deadline, "read");
    } catch (e) {
      throw this.#link.closed() ? badf(e) : e;
    }
    this.#link.checkOpen();
  }

  /** MSG_PEEK with MSG_WAITALL: waits until `size` bytes (or the end) are buffered, as Linux. */
  async #peekAll(size: number, deadline: Deadline): Promise<void> {
    while (this.#queue.size < size && !this.#eof && !this.#shutRd && this.#readError === null) {
      this.reading ??= this.#readAhead(
        this.#connected(),
        Math.max(size - this.#queue.size, PEEK_CHUNK),
      );
      try {
        await this.#link.waitFor(this.reading, deadline, "read");
      } catch (e) {
        if (e instanceof BlockingIOError && this.#queue.size > 0 && !this.#link.closed()) return;
        throw this.#link.closed() ? badf(e) : e;
      }
      this.#link.checkOpen();
    }
  }

  /** Gives bytes that have already arrived one macrotask to land; never blocks. */
  async #poll(conn: StreamConn, size: number): Promise<void> {
    if (this.#readError) return;
    this.reading ??= this.#readAhead(conn, Math.max(size, PEEK_CHUNK));
    try {
      await this.#link.waitFor(this.reading, { timeout: 0, start: performance.now() }, "read");
    } catch {
      // Nothing more yet: the read stays in flight for the next call.
    }
    this.#link.checkOpen();
  }

  async #readDirect(conn: StreamConn, buffer: Uint8Array): Promise<Uint8Array> {
    let settle!: () => void;
    this.reading = new Promise<void>((resolve) => settle = resolve);
    try {
      const n = await conn.read(buffer);
      if (n === null) {
        this.#eof = true;
        return EMPTY;
      }
      return buffer.subarray(0, n);
    } catch (e) {
      throw this.#link.fail(e);
    } finally {
      this.reading = null;
      settle();
    }
  }

  #readAhead(conn: StreamConn, asked: number): Promise<void> {
    const size = this.#memory.size(asked);
    const whole = this.#memory.borrow(size);
    return conn.read(whole.length === size ? whole : whole.subarray(0, size)).then((n) => {
      this.reading = null;
      if (n !== null) {
        this.#memory.grow(n);
        return this.#queue.push(this.#memory.keep(whole, n));
      }
      this.#eof = true;
      this.#memory.give(whole);
    }, (e) => {
      this.reading = null;
      this.#readError = e;
      this.#memory.give(whole);
    });
  }

  /** Fills `target` (MSG_WAITALL); on failure gives back what it took. */
  async #receiveAll(target: Uint8Array, deadline: Deadline): Promise<number> {
    let got = 0;
    try {
      while (got < target.length) {
        const rest = target.subarray(got);
        const part = await this.#receive(rest.length, deadline, false, rest);
        if (part.length === 0) break;
        if (part.buffer !== rest.buffer || part.byteOffset !== rest.byteOffset) rest.set(part);
        got += part.length;
      }
    } catch (e) {
      // Non-blocking, MSG_WAITALL returns what was there, as on Linux.
      if (e instanceof BlockingIOError && got > 0 && !this.#link.closed()) return got;
      // A timeout or abort mid-way loses nothing: the next call gets these first.
      if (!this.#link.closed() && got > 0) this.unread(target.slice(0, got));
      throw e;
    }
    return got;
  }
}

/** Received bytes not yet returned, in order, as the chunks they arrived in. */
class ByteQueue {
  /** How many bytes are queued. */
  size = 0;
  #chunks: Uint8Array[] = [];

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.size += chunk.length;
  }

  take(size: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length <= size && (first.length === size || this.#chunks.length === 1)) {
      this.#chunks.shift();
      this.size -= first.length;
      return first;
    }
    if (first.length > size) {
      this.#chunks[0] = first.subarray(size);
      this.size -= size;
      return first.subarray(0, size);
    }
    const out = this.peek(size);
    let left = out.length;
    while (left > 0) {
      const chunk = this.#chunks[0];
      if (chunk.length <= left) {
        this.#chunks.shift();
        left -= chunk.length;
      } else {
        this.#chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    this.size -= out.length;
    return out;
  }

  peek(size: number): Uint8Array {
    return concat(this.#chunks, Math.min(size, this.size));
  }

  /** Puts bytes back at the front. */
  unshift(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.unshift(data);
    this.size += data.length;
  }

  /** Takes every queued byte. */
  takeAll(): Uint8Array {
    if (this.size === 0) return EMPTY;
    const all = concat(this.#chunks, this.size);
    this.clear();
    return all;
  }

  clear(): void {
    if (this.#chunks.length > 0) this.#chunks = [];
    this.size = 0;
  }
}

// Read buffers closed sockets left: a new ArrayBuffer per connection costs
// more than the rest of an accept's JavaScript.
const spareMemory: Uint8Array[] = [];
/**
 * Reads of up to CELL bytes go into a cell of a shared slab rather than an
 * ArrayBuffer of the socket's own: each ArrayBuffer costs about 1.5 KiB
 * besides its bytes, which doubles what a thousand connections exchanging
 * small messages hold. A cell is never given to a caller (its bytes are
 * copied out) and goes back to the free list as soon as its read ends.
 */
const CELL = 2048;
const SLAB = 32 * CELL;
const freeCells: Uint8Array[] = [];
/** The most free cells kept (slabs whose cells are all dropped are collected). */
const MAX_FREE_CELLS = 1024;
/** The longest first read of a socket (one cell), and the most a limit grows to (see ReadMemory.size). */
const FIRST_READ = CELL;
const MAX_READ = 1 << 26;
const MAX_SPARE_MEMORY = 16;

function takeCell(): Uint8Array {
  const cell = freeCells.pop();
  if (cell !== undefined) return cell;
  const slab = new ArrayBuffer(SLAB);
  for (let offset = SLAB - CELL; offset > 0; offset -= CELL) {
    freeCells.push(new Uint8Array(slab, offset, CELL));
  }
  return new Uint8Array(slab, 0, CELL);
}

/** True for a cell: every buffer a socket owns is longer than CELL. */
function isCell(memory: Uint8Array): boolean {
  return memory.length === CELL;
}

function freeCell(cell: Uint8Array): void {
  if (freeCells.length < MAX_FREE_CELLS) freeCells.push(cell);
}

/**
 * The memory reads go into: a cell for a short read, else the last read's
 * buffer, kept for the next one. A fresh buffer per read costs V8 new,
 * untouched memory (page faults) until a GC frees the old ones.
 */
class ReadMemory {
  #scratch: Uint8Array | null = null;
  #limit = FIRST_READ;

  /**
   * How much of a read of `asked` bytes to ask Deno for. A socket's first
   * reads are short, and each read that fills its limit doubles it, so a
   * bulk transfer reaches the caller's size within a few reads while ten
   * thousand connections exchanging small messages each keep a small
   * buffer (the caller's own buffer is never read into; see recvIntoFast).
   * A receive may return fewer bytes than asked, as recv(2) does.
   */
  size(asked: number): number {
    return asked <= this.#limit ? asked : this.#limit;
  }

  /** A read brought `n` bytes: if that is the whole limit, the next may be twice as long. */
  grow(n: number): void {
    if (n >= this.#limit && this.#limit < MAX_READ) this.#limit *= 2;
  }

  /**
   * A buffer of at least `size` bytes for the one read in flight: the last
   * read's buffer when it is big enough, else a cell for a short read,
   * else one a closed socket left.
   */
  borrow(size: number): Uint8Array {
    const scratch = this.#scratch;
    if (scratch !== null && scratch.length >= size) {
      this.#scratch = null;
      return scratch;
    }
    if (size <= CELL) return takeCell();
    this.#scratch = null;
    const spare = scratch ?? spareMemory.pop();
    return spare !== undefined && spare.length >= size ? spare : new Uint8Array(size);
  }

  /**
   * The socket closed: its buffer (never one a caller holds a view of, nor
   * one a read still in flight fills) goes to the next socket's first read.
   */
  recycle(): void {
    const scratch = this.#scratch;
    this.#scratch = null;
    if (scratch !== null && spareMemory.length < MAX_SPARE_MEMORY) spareMemory.push(scratch);
  }

  /**
   * The `n` bytes a read left in `whole`, for the caller to own. A small
   * result is copied and `whole` kept for the next read (recv(65536) of a
   * 1 KiB message allocates 1 KiB, not 64 KiB); a large one takes `whole`.
   * A cell's bytes are always copied.
   */
  keep(whole: Uint8Array, n: number): Uint8Array {
    if (isCell(whole)) {
      const bytes = whole.slice(0, n);
      freeCell(whole);
      return bytes;
    }
    if (n > whole.length >> 2) return whole.subarray(0, n);
    this.#scratch = whole;
    return whole.slice(0, n);
  }

  /** Hands a buffer back for the next read (null: drop it). */
  give(whole: Uint8Array | null): void {
    if (whole !== null && isCell(whole)) freeCell(whole);
    else this.#scratch = whole;
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1 && parts[0].length === size) return parts[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    if (offset >= size) break;
    const piece = part.length > size - offset ? part.subarray(0, size - offset) : part;
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * A byte stream that reads the socket only when its reader asks
 * (`highWaterMark` 0) through the socket's `recv_into`: nothing sits in the
 * stream's queue, so `recv` after `releaseLock()` continues where the stream
 * stopped. Cancelling aborts the receive in flight, whose bytes the socket
 * keeps; after a cancel or an error `onCancel` lets the socket make a fresh
 * stream next time.
 * @ignore
 */
function socketReadable(
  sock: StreamSource,
  onCancel: () => void,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const cancelled = new AbortController();
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: STREAM_CHUNK,
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
