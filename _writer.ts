/**
 * The writer: the only code that writes to a stream connection. It owns the
 * partial `send`, `sendall` (whole-call deadline included), the write a
 * timed-out call left in flight (later writes queue behind it, the end of
 * stream and the close follow it), the half-close, and the writable web
 * stream.
 *
 * The fast paths (a blocking or timed `sendall`, a blocking `send`, each with
 * nothing in flight) are one Deno write and their promise; a rejection is
 * marked handled only on its way out (see `quiet`), never per call.
 *
 * @module
 */

import { SHUT_WR } from "./constants.ts";
import { OSError, TimeoutError } from "./errors.ts";
import { badf, type Link, quiet } from "./_base.ts";
import type { Deadline, Slot, Timers } from "./_deadlines.ts";
import type { StreamConn } from "./_transport.ts";

const EMPTY = new Uint8Array(0);

function ignoreValue(): void {}

/** A timed sendall in flight; the writer reuses one from call to call. */
interface TimedWrite extends Slot {
  /** In use by a call (a concurrent sendall makes its own). */
  busy: boolean;
  /** On the timer's list (a second, concurrent sendall), not a slot. */
  readonly listed: boolean;
  conn: StreamConn | null;
  bytes: Uint8Array;
  off: number;
  current: Promise<number> | null;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  written: (n: number) => void;
  failed: (e: unknown) => void;
  next: () => void;
}

/** What the writable stream writes through: the socket's own calls. */
interface StreamSink {
  sendall(data: Uint8Array): Promise<void>;
  shutdown(how: number): Promise<void>;
}

/**
 * One stream socket's sending side.
 * @ignore
 */
export class Writer {
  /** The connection written to; null until connected and after close. */
  conn: StreamConn | null = null;
  /** A write Deno may still have in flight after a call returned. */
  writing: Promise<void> | null = null;
  /** How a write finished in the background failed, for the next call. */
  writeError: unknown = null;
  /** shutdown(SHUT_WR) was called. */
  shutWr = false;
  #link: Link;
  #timedWrite: TimedWrite | null = null;
  // The socket's timers, kept from the first timed sendall on.
  #timers: Timers | null = null;
  // Fast-path writes in flight (they keep no promise in `writing`), and
  // who waits for them to end (a hand-over).
  #pending = 0;
  #drained: PromiseWithResolvers<void> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  constructor(link: Link) {
    this.#link = link;
  }

  /** True when a call may go straight to Deno: nothing in flight or to report. */
  free(): boolean {
    return !this.shutWr && this.writing === null && this.writeError === null;
  }

  /** Blocking send with nothing in flight: one Deno write, its count. */
  sendFast(conn: StreamConn, data: Uint8Array): Promise<number> {
    this.#pending++;
    const sent: Promise<number> = conn.write(data).then(
      this.#sent ??= this.#sentCount.bind(this),
      (e) => this.#writeFailed(sent, e),
    );
    return sent;
  }

  #sent: ((n: number) => number) | null = null;

  #sentCount(n: number): number {
    this.#done();
    return n;
  }

  /** A fast-path write ended. */
  #done(): void {
    if (--this.#pending === 0 && this.#drained !== null) {
      this.#drained.resolve();
      this.#drained = null;
    }
  }

  /**
   * One write within `deadline`. With a timeout or in non-blocking mode, a
   * write Deno has started but not finished when time runs out is completed
   * in the background and counted as taken, as the kernel's send buffer
   * would; the next send waits for it.
   */
  async send(bytes: Uint8Array, deadline: Deadline): Promise<number> {
    const conn = await this.#beforeWrite(deadline);
    if (bytes.length === 0) return 0;
    if (deadline.timeout === null && !deadline.signal) {
      return await this.#write(conn, bytes);
    }
    const state = { background: false };
    const op = conn.write(bytes);
    this.#track(
      op.then(async (n) => {
        // The caller counted all of it as taken: finish the job.
        for (let off = n; state.background && off < bytes.length;) {
          off += await conn.write(bytes.subarray(off));
        }
      }),
      state,
    );
    try {
      return await this.#link.waitFor(op, deadline, "write");
    } catch (e) {
      if (this.#link.closed()) throw badf(e);
      const aborted = deadline.signal?.aborted && e === deadline.signal.reason;
      if (!(e instanceof OSError) && !aborted) throw this.#link.fail(e);
      // Time ran out (or the caller gave up) while Deno writes: the bytes
      // are taken and finish in the background, ahead of the next send.
      state.background = true;
      if (aborted) throw e;
      return bytes.length;
    }
  }

  /**
   * Blocking sendall: the whole buffer to Deno, the rest again if it took
   * less. The promise is marked handled only on the way to a rejection.
   */
  sendallFast(conn: StreamConn, bytes: Uint8Array): Promise<void> {
    this.#pending++;
    if (this.#allConn !== null) return this.#sendallBeside(conn, bytes);
    this.#allConn = conn;
    this.#allBytes = bytes;
    return this.#allSent = conn.write(bytes).then(
      this.#onAll ??= this.#allWritten.bind(this),
      this.#onAllFailed ??= this.#allFailed.bind(this),
    );
  }

  /**
   * A blocking sendall made while another is in flight: its own handlers.
   * Apart from sendallFast, whose variables the closures would otherwise
   * put in a context allocated on every call.
   */
  #sendallBeside(conn: StreamConn, bytes: Uint8Array): Promise<void> {
    const sent: Promise<void> = conn.write(bytes).then(
      (n) => this.#wrote(conn, bytes, n, sent),
      (e) => this.#writeFailed(sent, e),
    );
    return sent;
  }

  // The one blocking sendall in flight, kept in the writer so that its
  // handlers are made once, as bound methods (an arrow function stored on
  // the writer would keep each socket alive until a full collection; see
  // the Reader's handlers).
  #allConn: StreamConn | null = null;
  #allBytes: Uint8Array = EMPTY;
  #allSent: Promise<void> | null = null;
  #onAll: ((n: number) => void | Promise<void>) | null = null;
  #onAllFailed: ((e: unknown) => never) | null = null;

  #allWritten(n: number): void | Promise<void> {
    const conn = this.#allConn!;
    const bytes = this.#allBytes;
    const sent = this.#allSent!;
    this.#allConn = this.#allSent = null;
    this.#allBytes = EMPTY;
    return this.#wrote(conn, bytes, n, sent);
  }

  #allFailed(e: unknown): never {
    const sent = this.#allSent!;
    this.#allConn = this.#allSent = null;
    this.#allBytes = EMPTY;
    return this.#writeFailed(sent, e);
  }

  /** A blocking sendall's first write took `n` bytes: done, or write the rest. */
  #wrote(
    conn: StreamConn,
    bytes: Uint8Array,
    n: number,
    sent: Promise<void>,
  ): void | Promise<void> {
    if (n >= bytes.length) return this.#done();
    quiet(sent); // marked handled only on the way to a possible rejection
    return this.#sendRest(conn, bytes, n);
  }

  #writeFailed(sent: Promise<unknown>, e: unknown): never {
    this.#done();
    quiet(sent);
    throw this.#link.fail(e);
  }

  /**
   * sendall with a timeout: writes as the blocking path, its deadline in a
   * timer slot. A write still in flight when time runs out is kept in
   * `writing`, so the next send waits for it.
   */
  sendallTimed(conn: StreamConn, bytes: Uint8Array, timeout: number): Promise<void> {
    // One state per writer, reused; a second sendall made while one is in
    // flight gets its own, listed.
    let write = this.#timedWrite;
    const timers = this.#timers ??= this.#link.timers();
    if (write === null) {
      write = this.#timedWrite = this.#makeTimedWrite(false);
      timers.slot(write);
    }
    if (write.busy) write = this.#makeTimedWrite(true);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    write.promise = promise;
    write.ms = timeout * 1000;
    write.busy = write.waiting = true;
    this.#pending++;
    write.conn = conn;
    write.bytes = bytes;
    write.off = 0;
    write.resolve = resolve;
    write.reject = reject;
    if (write.listed) {
      write.at = performance.now() + write.ms;
      timers.watch(write);
    } else {
      write.at = NaN;
      timers.armSlot(write);
    }
    write.next();
    return promise;
  }

  /** sendall on the general path: every write within the one deadline. */
  async sendall(bytes: Uint8Array, deadline: Deadline): Promise<void> {
    const conn = await this.#beforeWrite(deadline);
    const timed = deadline.timeout !== null || deadline.signal !== undefined;
    for (let off = 0; off < bytes.length;) {
      if (!timed) {
        off += await this.#write(conn, bytes.subarray(off));
        continue;
      }
      const op = conn.write(bytes.subarray(off));
      this.#track(op, { background: false });
      try {
        off += await this.#link.waitFor(op, deadline, "write");
      } catch (e) {
        if (deadline.signal?.aborted && e === deadline.signal.reason) throw e; // as API.md says
        throw this.#link.closed() ? badf(e) : this.#link.fail(e);
      }
    }
  }

  /**
   * Ends the sending direction. A timed-out send's bytes still being
   * written go first: the end of stream follows them in the background, as
   * the kernel queues its FIN behind the send buffer (Python's shutdown
   * never waits for the peer to read).
   */
  async shutdown(): Promise<void> {
    const conn = this.conn;
    if (conn === null || this.shutWr) return;
    this.shutWr = true;
    const writing = this.writing;
    if (writing) {
      writing.then(() => {
        if (this.conn === conn) return conn.closeWrite();
      }).catch(() => {});
      return;
    }
    try {
      await conn.closeWrite();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotConnected)) throw this.#link.fail(e);
    }
  }

  /** The socket's writable web stream (made on first use), writing through `sock.sendall`. */
  stream(sock: StreamSink): WritableStream<Uint8Array> {
    return this.#writable ??= socketWritable(sock);
  }

  /** Resolves once no write is in flight (the hand-over waits for it). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.#pending > 0) {
        await (this.#drained ??= Promise.withResolvers<void>()).promise;
      } else if (this.writing !== null) await this.writing;
      else return;
    }
  }

  /** True when no write of any kind is in flight. */
  settled(): boolean {
    return this.#pending === 0 && this.writing === null;
  }

  /** True when a send would not wait (select's "writable"). */
  ready(): boolean {
    return this.writing === null || this.shutWr || this.writeError !== null;
  }

  /**
   * Lets go of the connection. Bytes a send counted as taken may still be
   * on their way: `close` runs after them, as the kernel still delivers its
   * send buffer after close().
   */
  release(close: (conn: StreamConn) => void): void {
    const conn = this.conn;
    this.conn = null;
    if (conn === null) return;
    if (this.writing) this.writing.then(() => close(conn));
    else close(conn);
  }

  async #beforeWrite(deadline: Deadline): Promise<StreamConn> {
    const conn = this.conn!;
    if (this.writing) {
      try {
        await this.#link.waitFor(this.writing, deadline, "write");
      } catch (e) {
        throw this.#link.closed() ? badf(e) : e;
      }
      this.#link.checkOpen();
    }
    const failure = this.writeError;
    if (failure) {
      this.writeError = null;
      throw this.#link.fail(failure);
    }
    return conn;
  }

  async #write(conn: StreamConn, bytes: Uint8Array): Promise<number> {
    try {
      return await conn.write(bytes);
    } catch (e) {
      throw this.#link.fail(e);
    }
  }

  async #sendRest(conn: StreamConn, bytes: Uint8Array, off: number): Promise<void> {
    try {
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    } catch (e) {
      throw this.#link.fail(e);
    } finally {
      this.#done();
    }
  }

  /** Keeps a started write so that later sends queue behind it. */
  #track(op: Promise<unknown>, state: { background: boolean }): void {
    const tracked: Promise<void> = op.then(() => {}, (e) => {
      if (state.background) this.writeError = e;
    }).then(() => {
      if (this.writing === tracked) this.writing = null;
    });
    this.writing = tracked;
  }

  /** `listed`: on the timer's list (a second, concurrent sendall). */
  #makeTimedWrite(listed: boolean): TimedWrite {
    const timers = this.#link.timers();
    const finish = (): void => {
      this.#done();
      write.busy = write.waiting = false;
      write.bytes = EMPTY;
      write.conn = null;
      if (listed) timers.unwatch(write);
    };
    const write: TimedWrite = {
      at: 0,
      ms: 0,
      listed,
      busy: false,
      waiting: false,
      conn: null,
      bytes: EMPTY,
      off: 0,
      current: null,
      promise: null!,
      resolve: ignoreValue,
      reject: ignoreValue,
      expire: () => {
        this.#track(write.current!, { background: false });
        // Its write is still in flight and will call `written`: never reuse it.
        if (this.#timedWrite === write) {
          this.#timedWrite = null;
          timers.unslot(write);
        }
        finish();
        quiet(write.promise);
        write.reject(new TimeoutError());
      },
      written: (n) => {
        if (!write.waiting) return;
        write.off += n;
        if (write.off < write.bytes.length) return write.next();
        finish();
        write.resolve();
      },
      failed: (e) => {
        if (!write.waiting) return;
        finish();
        quiet(write.promise);
        write.reject(this.#link.closed() ? badf(e) : this.#link.fail(e));
      },
      next: () => {
        const { bytes, off } = write;
        write.current = write.conn!.write(off === 0 ? bytes : bytes.subarray(off));
        write.current.then(write.written, write.failed);
      },
    };
    return write;
  }
}

/**
 * A sink that sends each chunk with `sendall` (so a pipe waits for the
 * network: backpressure); close half-closes.
 * @ignore
 */
function socketWritable(sock: StreamSink): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      await sock.sendall(chunk);
    },
    async close() {
      await sock.shutdown(SHUT_WR);
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}
