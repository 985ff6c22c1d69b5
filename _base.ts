/**
 * What every socket kind shares: its identity (family, type, proto, fileno),
 * the open/closed state, and the blocking state machine (blocking, timeout,
 * non-blocking, abort signals) that every waiting call goes through.
 *
 * Deno cannot cancel a read or an accept it has started, and a connect goes
 * on as CPython's does until the socket closes: a call
 * that times out or is aborted leaves the operation in flight, and the socket
 * keeps it so that the next call receives its result. {@linkcode SocketBase.waitFor}
 * only stops *waiting*; it never drops a promise.
 *
 * @module
 */

import { BlockingIOError, errno, OSError, toOSError } from "./errors.ts";
import type { Address, SocketAddress, Target } from "./_address.ts";
import { checkAddress, describe, formatTarget } from "./_address.ts";
import {
  type CallOptions,
  checkTimeout,
  type Deadline,
  Timers,
  WAIT_FOREVER,
} from "./_deadlines.ts";
import { checkFlags, type OptionName, protocolOf, splitOptions } from "./_options.ts";
import { socketRepr } from "./_repr.ts";
import {
  type Ancillary,
  type MessageSocket,
  recvmsg,
  type RecvmsgResult,
  sendmsg,
} from "./_omissions.ts";
import type { Data } from "./_options.ts";
import { MSG_DONTWAIT } from "./constants.ts";

export { checkTimeout } from "./_deadlines.ts";
export type { Deadline, TimedWait } from "./_deadlines.ts";

export type { CallOptions } from "./_deadlines.ts";

/**
 * The common start of a blocking call of `sock`: its flags checked against
 * `allowed`, the socket open, and the call's deadline (`MSG_DONTWAIT` makes
 * this one call non-blocking). `flags` may be left out before the options,
 * as in `recv(n, { signal })`.
 * @ignore
 */
export function beginCall(
  sock: SocketBase,
  flags: number | CallOptions | undefined,
  options: CallOptions | undefined,
  allowed: number,
  where: string,
): { flags: number; deadline: Deadline } {
  return reach.begin(sock, flags, options, allowed, where);
}

/**
 * Closes `sock` for real now, open files or not (a `detach` leaves nothing
 * for them to read).
 * @ignore
 */
export function closeNow(sock: SocketBase): void {
  reach.closeNow(sock);
}

/**
 * What a socket's parts (reader, writer) get of it: its open state,
 * timers, waits, and `fail` (the socket's own error mapping, given the
 * socket: one function for every socket of a kind, not a closure each).
 * @ignore
 */
export function partLink<S extends SocketBase>(
  sock: S,
  fail: (sock: S, e: unknown) => OSError,
): Link {
  return new PartLink(sock, fail as (sock: SocketBase, e: unknown) => OSError);
}

/**
 * The options a socket's own state answers, on every kind: `SO_TYPE`,
 * `SO_DOMAIN`, `SO_PROTOCOL`, `SO_ACCEPTCONN` (`listening`) and
 * `SO_ERROR` (`takeError`, cleared by reading); null for the others.
 * @ignore
 */
export function stateOption(
  sock: SocketBase,
  name: OptionName,
  listening: boolean,
  takeError: () => OSError | null,
): number | null {
  switch (name) {
    case "type":
      return sock.type;
    case "domain":
      return sock.family;
    case "protocol":
      return protocolOf(sock.family, sock.type, sock.proto);
    case "acceptconn":
      return listening ? 1 : 0;
    case "error":
      return takeError()?.errno ?? 0;
  }
  return null;
}

/** A wait of a subclass's own that names no operation: plain `EAGAIN`. */
function wouldBlockPlain(): OSError {
  return new BlockingIOError(errno.EAGAIN);
}

/** The protected calls of SocketBase that PartLink offers (set in its static block). */
let reach: {
  timers(sock: SocketBase): Timers;
  waitFor<T>(sock: SocketBase, op: Promise<T>, deadline: Deadline, kind: BlockingCall): Promise<T>;
  checkOpen(sock: SocketBase): void;
  closeNow(sock: SocketBase): void;
  begin(
    sock: SocketBase,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    allowed: number,
    where: string,
  ): { flags: number; deadline: Deadline };
};

let defaultTimeout: number | null = null;

/**
 * Sets the timeout that new sockets start with, in seconds (`null`: block
 * forever; `0`: non-blocking), as Python's `socket.setdefaulttimeout`.
 *
 * @example
 * ```ts
 * import { getdefaulttimeout, setdefaulttimeout } from "@seed/socket";
 * setdefaulttimeout(5);
 * console.log(getdefaulttimeout()); // 5
 * setdefaulttimeout(null);
 * ```
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout, "setdefaulttimeout()");
}

/**
 * The timeout new sockets start with (`null` unless changed).
 *
 * @example
 * ```ts
 * import { getdefaulttimeout } from "@seed/socket";
 * console.log(getdefaulttimeout()); // null
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

let nextFileno = 3;
const openFilenos = new Map<number, SocketBase>();

/**
 * The open socket that holds `fileno`, if any (for `select`).
 * @ignore
 */
export function socketByFileno(fileno: number): SocketBase | undefined {
  return openFilenos.get(fileno);
}

function allocateFileno(owner: SocketBase): number {
  // Never reuse a number while a socket holding it is open.
  while (openFilenos.has(nextFileno)) nextFileno++;
  const n = nextFileno++;
  if (nextFileno > 0x7fffffff) nextFileno = 3;
  openFilenos.set(n, owner);
  return n;
}

/**
 * The part of Python's socket that every kind shares: family, type, proto,
 * `fileno`, `close`, disposal, and the timeout / blocking mode with its
 * waiting rules. {@linkcode Socket} (streams) and {@linkcode DatagramSocket}
 * extend it.
 *
 * @example
 * ```ts
 * import { SocketBase, socket } from "@seed/socket";
 * using sock = socket();
 * console.log(sock instanceof SocketBase, sock.gettimeout());
 * ```
 */
export abstract class SocketBase {
  /** The address family given at creation (`AF_INET`, `AF_INET6`, `AF_UNIX`). */
  readonly family: number;
  /** The socket type given at creation (`SOCK_STREAM` or `SOCK_DGRAM`). */
  readonly type: number;
  /** The protocol given at creation (0 unless set). */
  readonly proto: number;
  #timeout: number | null = defaultTimeout;
  // 0 until fileno() first gives the socket a number; -1 once closed. On
  // first use, not in the constructor: a socket registered in the table
  // while it is being built outlives young-generation collections when
  // both ends of a connection are library sockets (bench/gc.ts), and most
  // sockets never need a number.
  #fileno = 0;
  #timers: Timers | null = null;
  // Files made by makefile() that are still open, and whether close() was
  // called while they were (CPython's _io_refs and _closed).
  #ioRefs = 0;
  #closeRequested = false;

  /**
   * Records the socket's identity.
   *
   * @param family The address family.
   * @param type The socket type.
   * @param proto The protocol number.
   */
  constructor(family: number, type: number, proto: number) {
    this.family = family;
    this.type = type;
    this.proto = proto;
  }

  /**
   * A small non-negative integer unique among this process's open sockets
   * (given on the first call), or `-1` once closed. Deno exposes no OS
   * descriptor, so this number is the library's own: use it as a key
   * (`select`, dictionaries), not with OS calls.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * const sock = socket();
   * console.log(sock.fileno() >= 0);
   * sock.close();
   * console.log(sock.fileno()); // -1
   * ```
   */
  fileno(): number {
    if (this.#fileno === 0) this.#fileno = allocateFileno(this);
    return this.#fileno;
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.#fileno === -1;
  }

  /**
   * True once `close()` has been called, even while open `makefile` files
   * or duplicates defer the real close (CPython's `_closed`, shown by repr).
   * @ignore
   */
  get _closeCalled(): boolean {
    return this.#closeRequested || this.#fileno === -1;
  }

  /**
   * Sets the timeout of blocking calls, in seconds: `null` waits forever
   * (blocking mode), `0` makes the socket non-blocking, a positive number
   * makes each call reject with `TimeoutError` when it cannot finish in time.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.settimeout(2.5);
   * console.log(sock.gettimeout(), sock.getblocking()); // 2.5 true
   * ```
   */
  settimeout(timeout: number | null): void {
    this.checkOpen(); // EBADF once closed, as CPython
    this.#timeout = checkTimeout(timeout, "settimeout()");
  }

  /**
   * The timeout in seconds, `0` when non-blocking, `null` when blocking.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * console.log(sock.gettimeout()); // null
   * ```
   */
  gettimeout(): number | null {
    return this.#timeout;
  }

  /**
   * `setblocking(false)` is `settimeout(0)`; `setblocking(true)` is
   * `settimeout(null)`.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.setblocking(false);
   * console.log(sock.gettimeout()); // 0
   * ```
   */
  setblocking(flag: boolean): void {
    this.checkOpen(); // EBADF once closed, as CPython
    this.#timeout = flag ? null : 0;
  }

  /**
   * False only in non-blocking mode (a socket with a timeout is blocking,
   * as in Python).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.settimeout(1);
   * console.log(sock.getblocking()); // true
   * ```
   */
  getblocking(): boolean {
    return this.#timeout !== 0;
  }

  /**
   * Closes the socket. Idempotent; pending calls reject with `OSError`
   * (`EBADF`), and every later call does too. While files made by
   * `makefile()` are open the socket stays usable and closes for real with
   * the last of them, as in CPython.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * const sock = socket();
   * sock.close();
   * sock.close(); // no error
   * ```
   */
  close(): void {
    if (this.#fileno === -1) return;
    this.#closeRequested = true;
    if (this.#ioRefs > 0) return; // closes for real with its last file
    this.#closeNow();
  }

  /**
   * Counts one more open file made from this socket (CPython's `_io_refs`).
   * @ignore
   */
  _incref_socketios(): void {
    this.checkOpen();
    this.#ioRefs++;
  }

  /**
   * A file made from this socket was closed: the socket closes for real
   * when `close()` was called and no file is left (CPython's
   * `_decref_socketios`).
   * @ignore
   */
  _decref_socketios(): void {
    if (this.#ioRefs > 0) this.#ioRefs--;
    if (this.#ioRefs === 0 && this.#closeRequested) this.close();
  }

  /**
   * Which of `events` (1 read, 2 write) a call could do now without waiting,
   * from the socket's own state. Kinds that support `select` override it.
   * @ignore
   */
  _ready(_events: number): number {
    throw new OSError(errno.EOPNOTSUPP, null, {
      detail: `select() does not support ${this.constructor.name} yet`,
    });
  }

  /**
   * Starts the operation that would make `events` ready (the read or accept
   * the socket keeps in flight) and resolves, never rejects, when something
   * changed; `_ready` then tells what. Kinds that support `select` override it.
   * @ignore
   */
  _watch(_events: number): Promise<void> {
    return Promise.reject(
      new OSError(errno.EOPNOTSUPP, null, {
        detail: `select() does not support ${this.constructor.name} yet`,
      }),
    );
  }

  /**
   * Connects to `address` (a stream socket) or sets the default peer (a
   * datagram socket); each kind documents its own rules.
   *
   * Cancel safety: each kind says what an abort or a timeout leaves behind.
   *
   * @throws {OSError} As each kind documents.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * ```
   */
  abstract connect(address: Address, options?: CallOptions): Promise<void>;

  /**
   * As `connect`, but resolves to 0 on success or to the errno number
   * (`ECONNREFUSED` is 111 on Linux) instead of rejecting. A timeout gives
   * `EAGAIN` and a non-blocking connect in progress `EINPROGRESS`, as in
   * CPython. Bad arguments, a missing permission and an unknown host still
   * throw.
   *
   * Cancel safety: as `connect`.
   *
   * @throws {gaierror} An unknown host (not turned into a number).
   * @throws {PermissionError} A missing `--allow-net=` grant.
   *
   * @example
   * ```ts
   * import { errno, socket } from "@seed/socket";
   * await using sock = socket();
   * const server = socket();
   * server.bind(["127.0.0.1", 0]);
   * const address = server.getsockname() as [string, number];
   * server.close(); // nothing listens there now
   * console.log(await sock.connect_ex(address) === errno.ECONNREFUSED);
   * ```
   */
  connect_ex(address: Address, options?: CallOptions): Promise<number> {
    return connectEx(() => this.connect(address, options));
  }

  /**
   * Python's `sendmsg(buffers, ancdata, flags, address)`: sends the buffers
   * together as one `send` (one datagram on a datagram socket, to
   * `address` when given; a stream socket ignores the address, as Linux's
   * TCP) and resolves the bytes sent. Deno has no `sendmsg()`, so ancillary
   * data (file descriptors, credentials) cannot be sent: a non-empty
   * `ancdata` rejects with `OSError` `EOPNOTSUPP` saying so.
   *
   * Cancel safety: as `send`.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * await sock.sendmsg(["hello, ", "world"], [], 0, sock.getsockname());
   * const [data, , flags, address] = await sock.recvmsg(5);
   * console.log(data.length, flags, address); // 5 32 (MSG_TRUNC) [...]
   * ```
   *
   * @throws {OSError} `EOPNOTSUPP` for ancillary data; otherwise as `send`.
   * @throws {TypeError} `buffers` is not an iterable of bytes.
   */
  sendmsg(
    buffers: Iterable<Data>,
    ancdata?: Iterable<Ancillary>,
    flags?: number,
    address?: Address | null,
  ): Promise<number> {
    return quiet(sendmsg(this as unknown as MessageSocket, buffers, ancdata, flags, address));
  }

  /**
   * Python's `recvmsg(bufsize, ancbufsize, flags)`: one receive as
   * `[data, ancdata, msg_flags, address]`, where `ancdata` is always empty;
   * on a datagram socket `msg_flags` has `MSG_TRUNC` when the datagram was
   * longer than `bufsize` and `address` is the sender, on a connected stream
   * `address` is `null`, as CPython's. Deno has no `recvmsg()`: asking for
   * ancillary data (`ancbufsize` > 0) rejects with `OSError` `EOPNOTSUPP`
   * saying so.
   *
   * Cancel safety: as `recv` (`recvfrom` for a datagram socket).
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await sock.sendmsg(["GET / HTTP/1.0\r\n", "\r\n"]);
   * const [data, ancdata, flags] = await sock.recvmsg(4096);
   * ```
   *
   * @throws {OSError} `EOPNOTSUPP` for `ancbufsize` > 0; otherwise as `recv`.
   * @throws {TypeError} `bufsize` or `ancbufsize` is not an integer.
   * @throws {RangeError} `bufsize` or `ancbufsize` is negative.
   */
  recvmsg(bufsize: number, ancbufsize?: number, flags?: number): Promise<RecvmsgResult> {
    return quiet(recvmsg(this as unknown as MessageSocket, bufsize, ancbufsize, flags));
  }

  /**
   * Receives into `buffer` (any typed array, a `DataView` or an
   * `ArrayBuffer`; up to `nbytes`, default its whole length) and resolves
   * to the count. On a stream socket, in blocking mode, a call allocates no
   * buffer, copy or view, only its promise; flags as `recv`. On a datagram
   * socket it receives one datagram (as `recvfrom_into`, without the
   * address); the rest of a longer one is discarded.
   *
   * Cancel safety: an abort or a timeout loses no byte: the next call returns
   * it (bytes that land after the call gave up go to the socket's buffer, not
   * to `buffer`).
   *
   * @throws {OSError} As `recv`.
   * @throws {TimeoutError} The socket's timeout passed first.
   * @throws {BlockingIOError} Non-blocking, with nothing received.
   * @throws {TypeError} `buffer` is not a byte view.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * const buffer = new Uint8Array(65536);
   * const n = await sock.recv_into(buffer);
   * console.log(buffer.subarray(0, n));
   * ```
   */
  recv_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes?: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    return this.receiveInto(buffer, nbytes === undefined ? 0 : nbytes, flags, options);
  }

  /**
   * recv_into of each kind, with `nbytes` defaulted.
   * @ignore
   */
  protected abstract receiveInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<number>;

  /**
   * The socket's own address (each kind documents its shape).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * console.log(sock.getsockname()); // ["0.0.0.0", 0]
   * ```
   */
  abstract getsockname(): SocketAddress;

  /**
   * The peer's address; `OSError` `ENOTCONN` without one.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * console.log(sock.getpeername());
   * ```
   */
  abstract getpeername(): SocketAddress;

  /**
   * CPython's repr: `<socket.socket fd=3, family=2, type=1, proto=0,
   * laddr=('127.0.0.1', 5000), raddr=('127.0.0.1', 6000)>`, with
   * `[closed]` (and no addresses) once closed.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.bind(["127.0.0.1", 0]);
   * console.log(String(sock)); // <socket.socket fd=3, family=2, type=1, proto=0, laddr=('127.0.0.1', …)>
   * ```
   */
  toString(): string {
    return socketRepr(this);
  }

  /**
   * `Deno.inspect(sock)` and `console.log(sock)` show CPython's repr.
   * @ignore
   */
  [Symbol.for("Deno.customInspect")](): string {
    return socketRepr(this);
  }

  /**
   * Closes the socket (`using sock = socket()`).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * { using sock = socket(); }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Closes the socket (`await using sock = socket()`).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * { await using sock = socket(); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * Frees the Deno resources; called once by `close()`.
   * @ignore
   */
  protected abstract release(): void;

  /**
   * Throws `EBADF` when closed.
   * @ignore
   */
  protected checkOpen(): void {
    if (this.#fileno === -1) throw badf();
  }

  /**
   * Checks an address for this socket's family.
   * @ignore
   */
  protected target(address: Address, where: string, role: "bind" | "connect"): Target {
    return checkAddress(this.family, address, where, role);
  }

  /**
   * The deadline of a call starting now, honouring `MSG_DONTWAIT`.
   * @ignore
   */
  protected deadline(options?: CallOptions, dontwait = false): Deadline {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`options must be an object, not ${describe(options)}`);
      }
      try {
        signal = options.signal;
      } catch {
        throw new TypeError(`options must be an object, not ${describe(options)}`);
      }
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`options.signal must be an AbortSignal, not ${describe(signal)}`);
    }
    const timeout = dontwait ? 0 : this.#timeout;
    if (timeout === null && signal === undefined) return WAIT_FOREVER;
    signal?.throwIfAborted();
    return { timeout, start: timeout === null ? 0 : performance.now(), signal };
  }

  /**
   * Closes for real now, open files or not (a `detach` leaves nothing for
   * them to read): the fileno is freed, `release` run, the timers stopped.
   */
  #closeNow(): void {
    if (this.#fileno === -1) return;
    this.#closeRequested = true;
    if (this.#fileno > 0) openFilenos.delete(this.#fileno);
    this.#fileno = -1;
    this.release();
    this.#timers?.stop();
  }

  /** The socket's one timer service, made on first use (a socket that never waits with a timeout has none). */
  get #service(): Timers {
    return this.#timers ??= new Timers();
  }

  static {
    // The parts and the socket modules reach these through module functions
    // (beginCall, closeNow, partLink), so they are not on the class's API.
    reach = {
      timers: (sock) => sock.#service,
      waitFor: (sock, op, deadline, kind) => sock.waitFor(op, deadline, kind),
      checkOpen: (sock) => sock.checkOpen(),
      closeNow: (sock) => sock.#closeNow(),
      begin: (sock, flags, options, allowed, where) => {
        [flags, options] = splitOptions(flags, options, where);
        checkFlags(flags, allowed, where);
        sock.checkOpen();
        return { flags, deadline: sock.deadline(options, (flags & MSG_DONTWAIT) !== 0) };
      },
    };
  }

  /**
   * Waits for `op` within `deadline` (see {@linkcode Timers.waitFor}); in
   * non-blocking mode a call that would wait rejects with
   * `_wouldBlock(kind)` (a plain `EAGAIN` when no kind is named). `op`
   * itself is never dropped: its owner keeps it for the next call.
   * @ignore
   */
  protected waitFor<T>(
    op: Promise<T>,
    deadline: Deadline,
    kind?: BlockingCall,
  ): Promise<T> {
    if (deadline.timeout === null && deadline.signal === undefined) return op;
    if (this.#fileno === -1) {
      // Closed: nothing to wait for (an abort still gives its own reason).
      return Promise.reject(deadline.signal?.aborted ? deadline.signal.reason : badf());
    }
    return this.#service.waitFor(
      op,
      deadline,
      kind === undefined ? wouldBlockPlain : () => this._wouldBlock(kind),
    );
  }

  /**
   * The error a non-blocking call gets when nothing is ready:
   * `BlockingIOError` `EAGAIN` (`EINPROGRESS` for a connect, as Linux).
   * A socket over another transport (TLS) says what it waits for instead.
   * @ignore
   */
  protected _wouldBlock(op: BlockingCall): OSError {
    return new BlockingIOError(op === "connect" ? errno.EINPROGRESS : errno.EAGAIN);
  }
}

/**
 * What a socket's parts (reader, writer) need from the socket that owns
 * them: its open state, its timer service, its error mapping and waits.
 * @ignore
 */
export interface Link {
  /** True once the socket is closed. */
  closed(): boolean;
  /** The socket's timer service. */
  timers(): Timers;
  /** Maps a Deno error for this socket; `EBADF` once closed. */
  fail(e: unknown): OSError;
  waitFor<T>(op: Promise<T>, deadline: Deadline, kind: BlockingCall): Promise<T>;
  /** Throws `EBADF` when closed. */
  checkOpen(): void;
}

/** A socket's link for its parts: one object, no closures. */
class PartLink implements Link {
  readonly #sock: SocketBase;
  readonly #fail: (sock: SocketBase, e: unknown) => OSError;

  constructor(sock: SocketBase, fail: (sock: SocketBase, e: unknown) => OSError) {
    this.#sock = sock;
    this.#fail = fail;
  }

  fail(e: unknown): OSError {
    return this.#fail(this.#sock, e);
  }

  closed(): boolean {
    return this.#sock.closed;
  }

  timers(): Timers {
    return reach.timers(this.#sock);
  }

  waitFor<T>(op: Promise<T>, deadline: Deadline, kind: BlockingCall): Promise<T> {
    return reach.waitFor(this.#sock, op, deadline, kind);
  }

  checkOpen(): void {
    reach.checkOpen(this.#sock);
  }
}

/**
 * The calls that can find nothing ready in non-blocking mode.
 * @ignore
 */
export type BlockingCall = "read" | "write" | "accept" | "connect";

/** Handles a rejection by doing nothing (one function for every call). */
function ignore(): void {}

/**
 * Marks `promise` as handled and returns it: a call the caller abandoned
 * (never awaited) that fails later, for example when another task closes
 * the socket, must not become an unhandled rejection that ends the process.
 * Awaiting it still throws. The fast paths call it only on their way to a
 * rejection: a handler per call costs more than the rest of the call.
 * @ignore
 */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/**
 * Makes every promise `generator`'s `next`, `return` and `throw` give
 * handled (see {@linkcode quiet}): a `next()` the caller never awaited that
 * fails when another task closes the socket must not end the process.
 * `for await` still sees each rejection.
 * @ignore
 */
export function quietIterator<T>(
  generator: AsyncGenerator<T, void, void>,
): AsyncGenerator<T, void, void> {
  const { next, return: finish, throw: raise } = generator;
  generator.next = (...args) => quiet(next.apply(generator, args));
  generator.return = (value) => quiet(finish.call(generator, value));
  generator.throw = (error) => quiet(raise.call(generator, error));
  return generator;
}

/**
 * Marks the promise each of `methods` returns as handled, so that a call
 * the caller abandoned (never awaited) that fails later, for example when
 * another task closes the socket, does not become an unhandled rejection
 * that ends the process. Awaiting the promise still throws as before.
 * @ignore
 */
export function quietRejections(prototype: object, methods: readonly string[]): void {
  const table = prototype as Record<string, unknown>;
  for (const name of methods) {
    const original = table[name];
    if (typeof original !== "function") continue;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      if (result instanceof Promise) result.catch(ignore);
      return result;
    };
    Object.defineProperty(wrapped, "name", { value: name });
    Object.defineProperty(prototype, name, {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

// A connect_ex the caller never awaits must not end the process when it fails.
quietRejections(SocketBase.prototype, ["connect_ex"]);

/**
 * `connect_ex()` of every socket kind: 0 once `connect()` resolves, else
 * the errno of the `OSError` it rejected with; `gaierror`,
 * `PermissionError` and anything that is not an `OSError` are rethrown,
 * as in CPython.
 * @ignore
 */
export async function connectEx(connect: () => Promise<void>): Promise<number> {
  try {
    await connect();
    return 0;
  } catch (e) {
    if (!(e instanceof OSError) || e.name === "gaierror" || e.name === "PermissionError") throw e;
    return e.errno ?? errno.EAGAIN;
  }
}

/**
 * Yields `next()` until the socket closes (then ends cleanly): the async
 * iteration of both socket kinds (accept, recvfrom).
 * @ignore
 */
export function untilClosed<T>(
  sock: SocketBase,
  next: () => Promise<T>,
): AsyncGenerator<T, void, void> {
  return quietIterator(items(sock, next));
}

async function* items<T>(
  sock: SocketBase,
  next: () => Promise<T>,
): AsyncGenerator<T, void, void> {
  for (;;) {
    let item: T;
    try {
      item = await next();
    } catch (e) {
      if (sock.closed) return;
      throw e;
    }
    yield item;
  }
}

/**
 * A Deno error mapped for `sock` (naming `target` when there is one); once
 * the socket is closed every failure is `EBADF`.
 * @ignore
 */
export function failure(sock: SocketBase, e: unknown, target?: Target | null): OSError {
  if (sock.closed) return badf(e);
  return toOSError(e, { address: target ? formatTarget(target) : undefined });
}

/**
 * The error for an operation on a closed socket.
 * @ignore
 */
export function badf(cause?: unknown): OSError {
  return new OSError(errno.EBADF, null, { cause });
}

export type { Address, SocketAddress };
