/**
 * Stream sockets with Python's semantics over `Deno.listen` / `Deno.connect`:
 * TCP over IPv4 and IPv6, and Unix stream sockets.
 *
 * The flow of a server is `socket()` → `bind()` → `listen()` → `accept()` →
 * `recv()`/`send()` → `close()`; a client's is `socket()` → `connect()` →
 * `sendall()`/`recv()` → `close()`.
 *
 * @example Echo one message
 * ```ts
 * import { socket } from "@seed/socket";
 *
 * await using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * const [host, port] = server.getsockname() as [string, number];
 *
 * await using client = socket();
 * await client.connect([host, port]);
 * const [conn] = await server.accept();
 * await client.sendall("ping");
 * await conn.sendall(await conn.recv(1024));
 * console.log(new TextDecoder().decode(await client.recv(1024))); // "ping"
 * conn.close();
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOMAXCONN,
} from "./constants.ts";
import {
  BlockingIOError,
  BrokenPipeError,
  errno,
  fromErrno,
  OSError,
  OverflowError,
  TimeoutError,
  toOSError,
} from "./errors.ts";
import {
  type Address,
  describe,
  formatTarget,
  fromDenoAddr,
  isIPv4,
  show,
  type SocketAddress,
  type Target,
} from "./_address.ts";
import {
  badf,
  type CallOptions,
  checkFamily,
  connectEx,
  type Deadline,
  quiet,
  quietIterator,
  quietRejections,
  SocketBase,
  type TimedWait,
} from "./_base.ts";
import {
  checkBacklog,
  checkBufsize,
  checkFlags,
  checkInt32,
  checkOption,
  checkProto,
  detachedError,
  isDetached,
  MAX_BUFSIZE,
  optionValue,
  protocolOf,
  splitOptions,
  toBytes,
  unstableNet,
  writableView,
} from "./_options.ts";
import { DatagramSocket } from "./udp.ts";
import {
  makefile,
  type MakefileOptions,
  type SocketFile,
  type SocketIO,
  type SocketTextFile,
} from "./makefile.ts";
import { socketReadable, socketWritable } from "./_streams.ts";
import {
  type Ancillary,
  recvmsg,
  type RecvmsgResult,
  sendmsg,
  unsupportedType,
} from "./_omissions.ts";
import type { Data } from "./_options.ts";
import { socketRepr } from "./_repr.ts";
import { type SendableFile, sendfile } from "./_sendfile.ts";
import { dupSocket } from "./_dup.ts";
import { plainTransport } from "./_transport.ts";
import type { StreamConn } from "./_transport.ts";

export { getdefaulttimeout, setdefaulttimeout } from "./_base.ts";
export type { CallOptions } from "./_base.ts";
export type { Address, SocketAddress } from "./_address.ts";
export type { SendableFile } from "./_sendfile.ts";

type StreamOption = "nodelay" | "keepalive" | "reuseaddr" | "reuseport";

const PEEK_CHUNK = 65536;
// Every byte array a socket makes is over a plain ArrayBuffer (new
// Uint8Array(n) and views of one); the public methods' casts to
// Uint8Array<ArrayBuffer> say so.
const EMPTY = new Uint8Array(0);

function ignoreValue(): void {}

/** The timed recv_into a socket has in flight, reused from call to call. */
interface TimedRead extends TimedWait {
  at: number;
  /** False once the caller stopped waiting (timeout): the bytes are kept. */
  waiting: boolean;
  buffer: Uint8Array;
  whole: Uint8Array;
  /** What the caller got: marked handled before it rejects (see quiet). */
  promise: Promise<number>;
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
  done: (n: number | null) => void;
  failed: (e: unknown) => void;
}

/** A timed sendall in flight; a socket reuses one from call to call. */
interface TimedWrite extends TimedWait {
  at: number;
  /** In use by a call (a concurrent sendall makes its own). */
  busy: boolean;
  /** On the shared timer's list, not found by expireOwn. */
  readonly listed: boolean;
  /** False once the caller stopped waiting (timeout): the write in flight is tracked. */
  waiting: boolean;
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
const RECV_FLAGS = MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT;

/**
 * A stream socket (TCP, or Unix stream for `AF_UNIX`), as Python's
 * `socket.socket(family, SOCK_STREAM)`. Blocking methods return promises;
 * the rest are synchronous. Make one with {@linkcode socket}.
 *
 * @example A client
 * ```ts ignore
 * import { socket } from "@seed/socket";
 *
 * await using sock = socket();
 * await sock.connect(["127.0.0.1", 8000]);
 * await sock.sendall("GET / HTTP/1.0\r\n\r\n");
 * console.log(await sock.recv(4096));
 * ```
 */
export class Socket extends SocketBase {
  #listener: Listener | null = null;
  #listening = false;
  #conn: StreamConn | null = null;
  #connecting: Promise<void> | null = null;
  /** Ends the connect Deno has in flight: close() aborts it, as closing the fd does on Linux. */
  #connectAbort: AbortController | null = null;
  #pendingError: OSError | null = null;
  /** A non-blocking connect said EINPROGRESS; the next connect reports how it ended. */
  #connectReported = true;
  #target: Target | null = null;

  // Received bytes not yet returned, and the one read Deno may have in flight.
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #reading: Promise<unknown> | null = null;
  // The buffer the last read used, kept for the next one (see #borrow/#keep).
  #scratch: Uint8Array | null = null;
  #readError: unknown = null;
  #eof = false;
  #shutRd = false;

  // The write Deno may still have in flight after a send() returned.
  #writing: Promise<void> | null = null;
  #writeError: unknown = null;
  #shutWr = false;

  // Connections Deno accepted after the caller stopped waiting.
  #accepting: Promise<void> | null = null;
  #acceptError: unknown = null;
  #ready: StreamConn[] = [];

  #options: Record<StreamOption, number> = { nodelay: 0, keepalive: 0, reuseaddr: 0, reuseport: 0 };

  /**
   * Makes an unconnected stream socket; prefer {@linkcode socket}.
   *
   * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
   * @param type `SOCK_STREAM`.
   * @param proto 0 or `IPPROTO_TCP`.
   */
  constructor(family?: number, type?: number, proto?: number);
  constructor(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0) {
    checkFamily(family);
    if (type !== SOCK_STREAM) {
      throw new OSError(errno.EINVAL, null, {
        detail: `Socket is for SOCK_STREAM; got type ${show(type)}`,
      });
    }
    checkProto(family, type, proto);
    super(family, type, proto);
  }

  // ---- addresses -------------------------------------------------------

  /**
   * Reserves a local address at once, as Python's `bind`: right after
   * `bind(["127.0.0.1", 0])`, `getsockname()` gives the real port. Deno binds
   * and listens in one call, so a bound TCP socket already queues incoming
   * connections; `accept()` still needs `listen()` first.
   *
   * Throws `OSError` `EADDRINUSE` when the address is taken, `EINVAL` when
   * already bound, `PermissionError` naming `--allow-net=HOST:PORT` when
   * Deno's permission is missing.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.bind(["127.0.0.1", 0]);
   * console.log(sock.getsockname());
   * ```
   */
  bind(address: Address): void {
    this.checkOpen();
    const target = this.target(address, "bind()", "bind");
    if (this.#listener || this.#conn || this.#connecting) {
      throw new OSError(errno.EINVAL, null, { detail: "socket is already bound" });
    }
    this.#listener = this.#listen(target);
    this.#target = target;
  }

  #listen(target: Target): Listener {
    const options = { reusePort: this.#options.reuseport !== 0 };
    // plainTransport's listeners are Deno.Listeners.
    const open = () => plainTransport.listen(target, options) as Deno.Listener;
    try {
      return open();
    } catch (e) {
      const held = target.transport === "tcp" ? heldPorts.get(target.port) : undefined;
      if (held !== undefined && target.transport === "tcp" && e instanceof Deno.errors.AddrInUse) {
        // A listener of ours closed this turn still holds the port (see
        // holdPort): bind as soon as it lets go, as the kernel would have.
        const { port } = target;
        // A name (localhost) reports what the closed listener resolved it to.
        const hostname = isIPv4(target.hostname) || target.hostname.includes(":")
          ? target.hostname
          : held.hostname;
        return new PendingListener({ transport: "tcp", hostname, port }, held.released, open);
      }
      throw toOSError(e, { address: formatTarget(target) });
    }
  }

  /**
   * Starts accepting connections. `backlog` defaults to Python's
   * `min(SOMAXCONN, 128)`; Deno sizes the kernel's queue itself (511), so the
   * number is kept only for reading back. An unbound IP socket binds to an
   * ephemeral port on all interfaces first, as Linux does.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen(16);
   * ```
   */
  listen(backlog?: number): void;
  listen(backlog: number = Math.min(SOMAXCONN, 128)): void {
    this.checkOpen();
    checkBacklog(backlog, "listen()");
    if (this.#conn || this.#connecting) {
      throw new OSError(errno.EINVAL, null, { detail: "socket is connected" });
    }
    if (!this.#listener) {
      if (this.family === AF_UNIX) {
        throw new OSError(errno.EINVAL, null, {
          detail: "bind() an AF_UNIX socket before listen()",
        });
      }
      this.bind(["", 0]);
    }
    this.#listening = true;
  }

  /**
   * The socket's own address: `[host, port]` (AF_INET),
   * `[host, port, flowinfo, scope_id]` (AF_INET6) or a path (AF_UNIX, `""`
   * when unnamed). An unbound socket gives the wildcard with port 0.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * console.log(sock.getsockname()); // ["0.0.0.0", 0]
   * ```
   */
  getsockname(): SocketAddress {
    this.checkOpen();
    const addr = this.#conn?.localAddr ?? this.#listener?.addr;
    if (addr) return fromDenoAddr(this.family, addr);
    if (this.family === AF_UNIX) return "";
    return this.family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
  }

  /**
   * The peer's address; `OSError` `ENOTCONN` when not connected.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * console.log(sock.getpeername()); // ["127.0.0.1", 8000]
   * ```
   */
  getpeername(): SocketAddress {
    this.checkOpen();
    if (!this.#conn) throw notConnected();
    return fromDenoAddr(this.family, this.#conn.remoteAddr);
  }

  // ---- connecting --------------------------------------------------------

  /**
   * Connects to `address`. Rejects with `ConnectionRefusedError` when nothing
   * listens, `TimeoutError` past the socket's timeout, `OSError` `EISCONN`
   * when already connected. Non-blocking, a TCP connect rejects with
   * `BlockingIOError` (`EINPROGRESS`) at once, as on Linux, and goes on:
   * `select` for writing, then `SO_ERROR` or another `connect` (`EALREADY`
   * while in progress, then its outcome once) tell how it ended. A connect
   * that timed out goes on in the background: the next `connect` to the same
   * address waits for it.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * sock.settimeout(5);
   * await sock.connect(["127.0.0.1", 8000]);
   * ```
   */
  connect(address: Address, options?: CallOptions): Promise<void> {
    if (
      options === undefined && this.#conn === null && this.#connecting === null &&
      this.#listener === null && this.#connectReported && !this.closed &&
      this.gettimeout() === null
    ) {
      // Blocking connect of a fresh socket (nearly every call): no deadline,
      // no waitFor, one promise hop.
      let target: Target;
      try {
        target = this.target(address, "connect()", "connect");
      } catch (e) {
        return quiet(Promise.reject(e)); // a Promise-returning call never throws
      }
      this.#startConnect(target);
      const connected: Promise<void> = this.#connecting!.then(() => {
        if (this.closed || this.#pendingError) quiet(connected); // about to reject
        this.#connectResult();
      });
      return connected;
    }
    return quiet(this.#connect(address, options));
  }

  async #connect(address: Address, options?: CallOptions): Promise<void> {
    this.checkOpen();
    const target = this.target(address, "connect()", "connect");
    const deadline = this.deadline(options);
    if (this.#conn || this.#listening) {
      // As Linux: the first connect after a non-blocking one finished succeeds.
      if (!this.#connectReported && this.#conn) {
        this.#connectReported = true;
        return;
      }
      throw new OSError(errno.EISCONN, null);
    }
    if (!this.#connecting) {
      const failure = this.#connectReported ? null : this.#pendingError;
      this.#connectReported = true;
      if (failure) {
        // A non-blocking connect that failed: report its error, as Linux does.
        this.#pendingError = null;
        throw failure;
      }
      this.#releaseBinding(target);
      this.#startConnect(target);
      if (deadline.timeout === 0 && target.transport === "tcp") {
        // Linux answers every non-blocking TCP connect with EINPROGRESS, even
        // one to loopback that is about to succeed; then select() for writing
        // and SO_ERROR (or connect again) tell how it ended.
        this.#connectReported = false;
        throw this._wouldBlock("connect");
      }
    } else if (deadline.timeout === 0) {
      throw fromErrno(errno.EALREADY, { detail: formatTarget(target) });
    }
    try {
      await this.#wait(this.#connecting!, deadline, "connect");
    } catch (e) {
      if (this.closed) throw badf(e);
      throw e;
    }
    this.#connectResult();
  }

  /** After the connect Deno had in flight ended: its error, or EBADF if closed meanwhile. */
  #connectResult(): void {
    this.checkOpen();
    const failure = this.#pendingError;
    if (failure) {
      this.#pendingError = null;
      throw failure;
    }
    if (this.#conn === null) {
      // It failed and another connect call, waiting on the same attempt,
      // took the error: Linux gives the other waiters ECONNABORTED.
      throw fromErrno(errno.ECONNABORTED, {
        detail: this.#target ? formatTarget(this.#target) : undefined,
      });
    }
  }

  #releaseBinding(target: Target): void {
    if (!this.#listener) return;
    if (
      target.transport === "tcp" && this.#target?.transport === "tcp" && this.#target.port === 0
    ) {
      // Deno.connect cannot choose a source address; an ephemeral binding is
      // given up so the kernel picks one, as it would have anyway.
      this.#listener.close();
      this.#listener = null;
      return;
    }
    throw new OSError(errno.EOPNOTSUPP, null, {
      detail: `Deno cannot connect from a chosen local address (bound to ${
        this.#target ? formatTarget(this.#target) : "?"
      }); connect an unbound socket`,
    });
  }

  #startConnect(target: Target): void {
    this.#target = target;
    this.#pendingError = null;
    let op: Promise<Deno.Conn>;
    if (target.transport === "tcp" && target.port === 0) {
      // The kernel refuses port 0; Deno rejects it as out of range instead.
      op = Promise.reject(fromErrno(errno.ECONNREFUSED, { detail: formatTarget(target) }));
    } else {
      const abort = this.#connectAbort = new AbortController();
      // plainTransport's connections are Deno.Conns.
      const connect = () => plainTransport.connect(target, abort.signal) as Promise<Deno.Conn>;
      const held = target.transport === "tcp" ? heldPorts.get(target.port) : undefined;
      // A listener closed this turn may still hold the port: connecting now
      // would reach it and be reset (104) instead of refused (111).
      op = held === undefined ? connect() : held.released.then(connect);
    }
    this.#connecting = op.then((conn) => {
      this.#connectAbort = null;
      this.#connecting = null;
      if (this.closed) conn.close();
      else this.#attach(conn);
    }, (e) => {
      this.#connectAbort = null;
      this.#connecting = null;
      this.#pendingError = toOSError(e, { address: formatTarget(target) });
    });
  }

  #attach(conn: StreamConn): void {
    this.#conn = conn;
    const tcp = tcpOf(conn);
    if (this.#options.nodelay) tcp?.setNoDelay(true);
    if (this.#options.keepalive) tcp?.setKeepAlive(true);
  }

  /**
   * As `connect`, but resolves to 0 on success or to the errno number
   * (`ECONNREFUSED` is 111 on Linux) instead of rejecting. A timeout gives
   * `EAGAIN` and a non-blocking connect in progress `EINPROGRESS`, as in
   * CPython. Bad arguments, a missing permission and an unknown host still
   * throw.
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

  // ---- accepting ---------------------------------------------------------

  /**
   * Waits for a connection: `[conn, address]`. `OSError` `EINVAL` when the
   * socket is not listening; with a timeout, `TimeoutError`; non-blocking,
   * `BlockingIOError`. A connection that arrives after the caller stopped
   * waiting is kept for the next `accept`.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using server = socket();
   * server.bind(["127.0.0.1", 8000]);
   * server.listen();
   * const [conn, address] = await server.accept();
   * console.log("connection from", address);
   * conn.close();
   * ```
   */
  accept(options?: CallOptions): Promise<[Socket, SocketAddress]> {
    const listener = this.#listener;
    if (
      options === undefined && this.#listening && listener !== null && this.#ready.length === 0 &&
      this.#acceptError === null && this.gettimeout() === null
    ) {
      // Blocking accept with nothing queued (nearly every call): one hop.
      // Another accept may take the connection first; then wait again.
      const accepted: Promise<[Socket, SocketAddress]> = this.#startAccept(listener).then(() => {
        if (this.#ready.length > 0 && !this.closed) return this.#adopt(this.#ready.shift()!);
        quiet(accepted); // #accept may reject
        return this.#accept(options);
      });
      return accepted;
    }
    return quiet(this.#accept(options));
  }

  async #accept(options?: CallOptions): Promise<[Socket, SocketAddress]> {
    this.checkOpen();
    if (!this.#listening || !this.#listener) {
      throw new OSError(errno.EINVAL, null, { detail: "call listen() before accept()" });
    }
    const deadline = this.deadline(options);
    const listener = this.#listener;
    for (;;) {
      const conn = this.#ready.shift();
      if (conn) return this.#adopt(conn);
      const failure = this.#acceptError;
      if (failure) {
        this.#acceptError = null;
        throw this.#fail(failure);
      }
      await this.#wait(this.#startAccept(listener), deadline, "accept").catch((e) => {
        throw this.closed ? badf(e) : e;
      });
      this.checkOpen();
    }
  }

  /**
   * The accept Deno keeps in flight; its connection waits in #ready. Every
   * path that accepts (accept, iteration, select, socketserver) goes through
   * here, so a client that reset while queued is skipped in this one place.
   */
  #startAccept(listener: Listener): Promise<void> {
    return this.#accepting ??= this.#acceptNext(listener);
  }

  #acceptNext(listener: Listener): Promise<void> {
    return listener.accept().then((conn) => {
      this.#accepting = null;
      if (this.closed) conn.close();
      else this.#ready.push(conn);
    }, (e) => {
      // Deno fails the whole accept when the queued client has gone (it
      // reads the peer's address, ENOTCONN); the listener itself is fine.
      if (!this.closed && droppedWhileQueued(e)) return this.#acceptNext(listener);
      this.#accepting = null;
      this.#acceptError = e;
    });
  }

  #adopt(conn: StreamConn): [Socket, SocketAddress] {
    const sock = new Socket(this.family, SOCK_STREAM, this.proto);
    sock.#options = { ...this.#options };
    sock.#attach(conn);
    return [sock, fromDenoAddr(this.family, conn.remoteAddr)];
  }

  /**
   * Accepts connections until the socket is closed, then ends cleanly.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using server = socket();
   * server.bind(["127.0.0.1", 8000]);
   * server.listen();
   * for await (const [conn, address] of server) {
   *   console.log(address);
   *   conn.close();
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncGenerator<[Socket, SocketAddress], void, void> {
    return quietIterator(this.#connections());
  }

  async *#connections(): AsyncGenerator<[Socket, SocketAddress], void, void> {
    for (;;) {
      let next: [Socket, SocketAddress];
      try {
        next = await this.accept();
      } catch (e) {
        if (this.closed) return;
        throw e;
      }
      yield next;
    }
  }

  // ---- receiving ---------------------------------------------------------

  /**
   * Receives up to `bufsize` bytes as they arrive; an empty array once the
   * peer has closed its side. `MSG_PEEK` returns bytes without consuming
   * them, `MSG_WAITALL` waits for all `bufsize` bytes (or the end),
   * `MSG_DONTWAIT` makes this one call non-blocking. Bytes that arrive after
   * a `TimeoutError`, a `BlockingIOError` or an abort are returned by the
   * next call, in order.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * const data = await sock.recv(4096);
   * if (data.length === 0) console.log("peer closed");
   * ```
   */
  recv(
    bufsize: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const conn = this.#conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      typeof bufsize === "number" && bufsize > 0 && bufsize <= MAX_BUFSIZE &&
      Number.isInteger(bufsize) && this.#idle()
    ) {
      return this.#recvFast(conn, bufsize) as Promise<Uint8Array<ArrayBuffer>>;
    }
    return quiet(this.#recv(bufsize, flags, options));
  }

  async #recv(
    bufsize: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<Uint8Array<ArrayBuffer>> {
    [flags, options] = splitOptions(flags, options, "recv()");
    checkBufsize(bufsize, "recv()");
    checkFlags(flags, RECV_FLAGS, "recv()");
    this.checkOpen();
    const deadline = this.deadline(options, (flags & MSG_DONTWAIT) !== 0);
    if (bufsize === 0) return EMPTY; // in any state, as Linux's recv(fd, buf, 0)
    const conn = this.#connected();
    if (flags & MSG_WAITALL && !(flags & MSG_PEEK)) {
      const out = new Uint8Array(bufsize);
      return out.subarray(0, await this.#receiveAll(conn, out, deadline));
    }
    if (flags & MSG_WAITALL) await this.#peekAll(conn, bufsize, deadline);
    const bytes = await this.#receive(conn, bufsize, deadline, (flags & MSG_PEEK) !== 0);
    return bytes as Uint8Array<ArrayBuffer>;
  }

  /**
   * Receives into `buffer` (any typed array, a `DataView` or an
   * `ArrayBuffer`; up to `nbytes`, default its whole length) and resolves
   * to the count. In blocking mode a call allocates no buffer, copy or
   * view, only its promise. Flags as {@linkcode Socket.recv}.
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
  ): Promise<number>;
  recv_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number = 0,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    const conn = this.#conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(buffer) && buffer instanceof Uint8Array && buffer.length > 0 &&
      (nbytes === 0 || nbytes === buffer.length) && this.#quiet()
    ) {
      const timeout = this.gettimeout();
      if (timeout === null) return this.#recvIntoFast(conn, buffer);
      if (timeout > 0) return this.#recvIntoTimed(conn, buffer, timeout);
    }
    return quiet(this.#recvInto(buffer, nbytes, flags, options));
  }

  async #recvInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<number> {
    [flags, options] = splitOptions(flags, options, "recv_into()");
    const view = writableView(buffer, "recv_into()");
    checkBufsize(nbytes, "recv_into()", "nbytes");
    if (nbytes > view.length) {
      throw new RangeError(
        `recv_into(): buffer too small for requested bytes (nbytes ${nbytes} > ${view.length})`,
      );
    }
    checkFlags(flags, RECV_FLAGS, "recv_into()");
    this.checkOpen();
    const deadline = this.deadline(options, (flags & MSG_DONTWAIT) !== 0);
    const target = view.subarray(0, nbytes || view.length);
    if (target.length === 0) return 0; // in any state, as Linux
    const conn = this.#connected();
    // Deno never reads into the caller's buffer: it may be detached
    // (transferred) while the call waits, and the bytes would go with it.
    let got: Uint8Array;
    const peek = (flags & MSG_PEEK) !== 0;
    if (flags & MSG_WAITALL && !peek) {
      const all = new Uint8Array(target.length);
      got = all.subarray(0, await this.#receiveAll(conn, all, deadline));
    } else {
      if (flags & MSG_WAITALL) await this.#peekAll(conn, target.length, deadline);
      got = await this.#receive(conn, target.length, deadline, peek);
    }
    if (isDetached(target.buffer)) {
      if (!peek) this._unread(got);
      throw detachedError("recv_into()", "buffer");
    }
    target.set(got);
    return got.length;
  }

  /**
   * True when a call may go straight to Deno: blocking mode, nothing
   * buffered, no read in flight, no end or error to report first.
   */
  #idle(): boolean {
    return this.#quiet() && this.gettimeout() === null;
  }

  /** As #idle, in any mode. */
  #quiet(): boolean {
    return this.#buffered === 0 && this.#reading === null && !this.#eof && !this.#shutRd &&
      this.#readError === null;
  }

  /**
   * recv_into with a timeout and nothing buffered: one Deno read into the
   * reused buffer, copied into `buffer` if the caller still waits, else kept
   * for the next call (so a timeout loses nothing). No waitFor wrapper and
   * no timer of its own: the shared timer rejects it when due. Its state
   * and handlers are made once per socket (#quiet() allows one such read at
   * a time), so a call allocates little more than its promise.
   */
  #recvIntoTimed(conn: StreamConn, buffer: Uint8Array, timeout: number): Promise<number> {
    const read = this.#timedRead ??= this.#makeTimedRead();
    const size = buffer.length;
    const whole = this.#borrow(size);
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    read.promise = promise;
    read.at = performance.now() + timeout * 1000;
    read.waiting = true;
    read.buffer = buffer;
    read.whole = whole;
    read.resolve = resolve;
    read.reject = reject;
    this.timerBy(read.at);
    this.#reading = conn.read(whole.length === size ? whole : whole.subarray(0, size))
      .then(read.done, read.failed);
    return promise;
  }

  #timedRead: TimedRead | null = null;

  /** @ignore */
  protected override expireOwn(now: number): number {
    let next = Infinity;
    const read = this.#timedRead;
    if (read !== null && read.waiting) {
      if (read.at <= now) read.expire();
      else next = read.at;
    }
    const write = this.#timedWrite;
    if (write !== null && write.waiting) {
      if (write.at <= now) write.expire();
      else if (write.at < next) next = write.at;
    }
    return next;
  }

  #makeTimedRead(): TimedRead {
    const read: TimedRead = {
      at: 0,
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
        this.#reading = null;
        if (n === null) this.#eof = true;
        if (!read.waiting) {
          if (n === null) this.#scratch = whole;
          else this.#push(this.#keep(whole, n));
          return;
        }
        read.waiting = false;
        if (isDetached(buffer.buffer)) {
          // Detached (transferred) while the call waited: the bytes stay
          // for the next receive.
          if (n === null) this.#scratch = whole;
          else this.#push(this.#keep(whole, n));
          quiet(read.promise);
          return read.reject(detachedError("recv_into()", "buffer"));
        }
        this.#scratch = whole;
        if (n === null) return read.resolve(0);
        buffer.set(n === whole.length ? whole : whole.subarray(0, n));
        read.resolve(n);
      },
      failed: (e) => {
        this.#reading = null;
        this.#scratch = read.whole;
        read.buffer = read.whole = EMPTY;
        if (!read.waiting) {
          this.#readError = e;
          return;
        }
        read.waiting = false;
        quiet(read.promise);
        read.reject(this.#fail(e));
      },
    };
    return read;
  }

  /**
   * Blocking recv_into with nothing buffered: one Deno read into the reused
   * buffer, copied into the caller's. Never straight into the caller's
   * buffer: it may be detached (transferred) while the read waits, and the
   * bytes would leave with it. The promise returned is also #reading, so
   * that a call made meanwhile waits for it; its handlers are made once per
   * socket.
   */
  #recvIntoFast(conn: StreamConn, buffer: Uint8Array): Promise<number> {
    const size = buffer.length;
    const whole = this.#whole = this.#borrow(size);
    this.#into = buffer;
    const view = whole.length === size ? whole : whole.subarray(0, size);
    return this.#reading = conn.read(view).then(this.#readCount, this.#readFailed);
  }

  /** Blocking recv with nothing buffered: one Deno read into reused memory. */
  #recvFast(conn: StreamConn, bufsize: number): Promise<Uint8Array> {
    const whole = this.#whole = this.#borrow(bufsize);
    const view = whole.length === bufsize ? whole : whole.subarray(0, bufsize);
    return this.#reading = conn.read(view).then(this.#readBytes, this.#readFailed);
  }

  // The fast reads' handlers, and the buffer #recvFast reads into.
  #whole: Uint8Array | null = null;
  // The caller's buffer of the #recvIntoFast in flight.
  #into: Uint8Array = EMPTY;
  #readCount = (n: number | null): number => {
    const reading = this.#reading;
    this.#reading = null;
    const whole = this.#whole!;
    const into = this.#into;
    this.#whole = null;
    this.#into = EMPTY;
    if (n === null) {
      this.#eof = true;
      this.#scratch = whole;
      return 0;
    }
    if (isDetached(into.buffer)) {
      this.#push(this.#keep(whole, n));
      if (reading !== null) quiet(reading); // the caller may have abandoned it
      throw detachedError("recv_into()", "buffer");
    }
    into.set(n === whole.length ? whole : whole.subarray(0, n));
    this.#scratch = whole;
    return n;
  };
  #readBytes = (n: number | null): Uint8Array => {
    this.#reading = null;
    const whole = this.#whole!;
    this.#whole = null;
    if (n !== null) return this.#keep(whole, n);
    this.#eof = true;
    this.#scratch = whole;
    return EMPTY;
  };
  #readFailed = (e: unknown): never => {
    // #reading is the promise the caller got, about to reject: the caller
    // may have abandoned it.
    if (this.#reading !== null) quiet(this.#reading);
    this.#reading = null;
    if (this.#whole !== null) {
      this.#scratch = this.#whole;
      this.#whole = null;
    }
    this.#into = EMPTY;
    throw this.#fail(e);
  };

  /**
   * A buffer of at least `size` bytes for the one read in flight: the last
   * read's buffer when it is big enough. A fresh buffer per read costs V8
   * new, untouched memory (page faults) until a GC frees the old ones.
   */
  #borrow(size: number): Uint8Array {
    const scratch = this.#scratch;
    this.#scratch = null;
    return scratch !== null && scratch.length >= size ? scratch : new Uint8Array(size);
  }

  /**
   * The `n` bytes a read left in `whole`, for the caller to own. A small
   * result is copied and `whole` kept for the next read (recv(65536) of a
   * 1 KiB message allocates 1 KiB, not 64 KiB); a large one takes `whole`.
   */
  #keep(whole: Uint8Array, n: number): Uint8Array {
    if (n > whole.length >> 2) return whole.subarray(0, n);
    this.#scratch = whole;
    return whole.slice(0, n);
  }

  #connected(): StreamConn {
    if (!this.#conn) throw notConnected();
    return this.#conn;
  }

  /** One receive: buffered bytes first, else one read from Deno. */
  async #receive(
    conn: StreamConn,
    size: number,
    deadline: Deadline,
    peek: boolean,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    let polled = false;
    for (;;) {
      if (this.#buffered > 0) {
        // A peek sees all that has arrived, not only what was read ahead.
        if (peek && !polled && this.#buffered < size && !this.#eof && !this.#shutRd) {
          polled = true;
          await this.#poll(conn, size);
          continue;
        }
        return peek ? this.#peek(size) : this.#take(size);
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
        throw this.#fail(failure);
      }
      if (!this.#reading && deadline.timeout === null && !deadline.signal && !peek) {
        // Blocking with nothing buffered: read straight into the result.
        return await this.#readDirect(conn, into ?? new Uint8Array(size));
      }
      // A peek reads one bounded chunk ahead so that it sees what has arrived.
      this.#reading ??= this.#readAhead(conn, peek ? Math.max(size, PEEK_CHUNK) : size);
      try {
        await this.#wait(this.#reading, deadline, "read");
      } catch (e) {
        throw this.closed ? badf(e) : e;
      }
      this.checkOpen();
    }
  }

  /** MSG_PEEK with MSG_WAITALL: waits until `size` bytes (or the end) are buffered, as Linux. */
  async #peekAll(conn: StreamConn, size: number, deadline: Deadline): Promise<void> {
    while (this.#buffered < size && !this.#eof && !this.#shutRd && this.#readError === null) {
      this.#reading ??= this.#readAhead(conn, Math.max(size - this.#buffered, PEEK_CHUNK));
      try {
        await this.#wait(this.#reading, deadline, "read");
      } catch (e) {
        if (e instanceof BlockingIOError && this.#buffered > 0 && !this.closed) return;
        throw this.closed ? badf(e) : e;
      }
      this.checkOpen();
    }
  }

  /** Gives bytes that have already arrived one macrotask to land; never blocks. */
  async #poll(conn: StreamConn, size: number): Promise<void> {
    if (this.#readError) return;
    this.#reading ??= this.#readAhead(conn, Math.max(size, PEEK_CHUNK));
    try {
      await this.waitFor(this.#reading, { timeout: 0, start: performance.now() });
    } catch {
      // Nothing more yet: the read stays in flight for the next call.
    }
    this.checkOpen();
  }

  async #readDirect(conn: StreamConn, buffer: Uint8Array): Promise<Uint8Array> {
    let settle!: () => void;
    this.#reading = new Promise<void>((resolve) => settle = resolve);
    try {
      const n = await conn.read(buffer);
      if (n === null) {
        this.#eof = true;
        return EMPTY;
      }
      return buffer.subarray(0, n);
    } catch (e) {
      throw this.#fail(e);
    } finally {
      this.#reading = null;
      settle();
    }
  }

  #readAhead(conn: StreamConn, size: number): Promise<void> {
    const whole = this.#borrow(size);
    return conn.read(whole.length === size ? whole : whole.subarray(0, size)).then((n) => {
      this.#reading = null;
      if (n !== null) return this.#push(this.#keep(whole, n));
      this.#eof = true;
      this.#scratch = whole;
    }, (e) => {
      this.#reading = null;
      this.#readError = e;
      this.#scratch = whole;
    });
  }

  /** Fills `target` (MSG_WAITALL); on failure gives back what it took. */
  async #receiveAll(conn: StreamConn, target: Uint8Array, deadline: Deadline): Promise<number> {
    let got = 0;
    try {
      while (got < target.length) {
        const rest = target.subarray(got);
        const part = await this.#receive(conn, rest.length, deadline, false, rest);
        if (part.length === 0) break;
        if (part.buffer !== rest.buffer || part.byteOffset !== rest.byteOffset) rest.set(part);
        got += part.length;
      }
    } catch (e) {
      // Non-blocking, MSG_WAITALL returns what was there, as on Linux.
      if (e instanceof BlockingIOError && got > 0 && !this.closed) return got;
      // A timeout or abort mid-way loses nothing: the next call gets these first.
      if (!this.closed && got > 0) {
        this.#chunks.unshift(target.slice(0, got));
        this.#buffered += got;
      }
      throw e;
    }
    return got;
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  #take(size: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length <= size && (first.length === size || this.#chunks.length === 1)) {
      this.#chunks.shift();
      this.#buffered -= first.length;
      return first;
    }
    if (first.length > size) {
      this.#chunks[0] = first.subarray(size);
      this.#buffered -= size;
      return first.subarray(0, size);
    }
    const out = this.#peek(size);
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
    this.#buffered -= out.length;
    return out;
  }

  #peek(size: number): Uint8Array {
    return concat(this.#chunks, Math.min(size, this.#buffered));
  }

  /**
   * As {@linkcode Socket.recv}, paired with the sender's address, which a
   * connected stream socket does not report: `[data, null]`, as CPython's
   * `(data, None)`. For code written for both kinds of socket.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * const [data, address] = await sock.recvfrom(1024); // address is null
   * ```
   */
  recvfrom(
    bufsize: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<[Uint8Array<ArrayBuffer>, null]> {
    return quiet(this.recv(bufsize, flags, options).then(withNoAddress));
  }

  // ---- sending -----------------------------------------------------------

  /**
   * One write: resolves to the number of bytes taken (possibly fewer than
   * given). `data` is a `Uint8Array`, any `ArrayBufferView` or a string
   * (sent as UTF-8). With a timeout or in non-blocking mode, a write Deno has
   * started but not finished when time runs out is completed in the
   * background and counted as taken, as the kernel's send buffer would;
   * the next send waits for it (or fails with `TimeoutError` /
   * `BlockingIOError`, taking nothing).
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * const n = await sock.send("hello");
   * console.log(n);
   * ```
   */
  send(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    const conn = this.#conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(data) && data instanceof Uint8Array && data.length > 0 && !this.#shutWr &&
      this.#writing === null &&
      this.#writeError === null && this.gettimeout() === null
    ) {
      // Blocking send with nothing in flight: one Deno write, its count.
      const sent: Promise<number> = conn.write(data).then(undefined, (e) => {
        quiet(sent);
        throw this.#fail(e);
      });
      return sent;
    }
    return quiet(this.#send(data, flags, options));
  }

  async #send(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<number> {
    [flags, options] = splitOptions(flags, options, "send()");
    const bytes = toBytes(data, "send()");
    checkFlags(flags, MSG_DONTWAIT, "send()");
    const { conn, deadline } = await this.#beforeWrite(options, flags, "send()");
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
      return await this.waitFor(op, deadline);
    } catch (e) {
      if (this.closed) throw badf(e);
      const aborted = deadline.signal?.aborted && e === deadline.signal.reason;
      if (!(e instanceof OSError) && !aborted) throw this.#fail(e);
      // Time ran out (or the caller gave up) while Deno writes: the bytes
      // are taken and finish in the background, ahead of the next send.
      state.background = true;
      if (aborted) throw e;
      return bytes.length;
    }
  }

  /**
   * Sends all of `data` or rejects; resolves `undefined`. The whole buffer
   * goes to Deno in one write (Deno loops in the kernel). With a timeout the
   * limit bounds the whole call, not each write.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await sock.sendall(new Uint8Array(8 << 20));
   * ```
   */
  sendall(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<void> {
    const conn = this.#conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(data) && data instanceof Uint8Array && data.length > 0 && !this.#shutWr &&
      this.#writing === null &&
      this.#writeError === null
    ) {
      const timeout = this.gettimeout();
      if (timeout === null) return this.#sendallFast(conn, data);
      if (timeout > 0) return this.#sendallTimed(conn, data, timeout);
    }
    return quiet(this.#sendall(data, flags, options));
  }

  /**
   * sendall with a timeout: writes as the blocking path, with the call on
   * the shared timer. A write still in flight when time runs out is kept in
   * #writing, so the next send waits for it.
   */
  #sendallTimed(conn: StreamConn, bytes: Uint8Array, timeout: number): Promise<void> {
    // One state per socket, reused; a second sendall made while one is in
    // flight gets its own.
    let write = this.#timedWrite ??= this.#makeTimedWrite(false);
    if (write.busy) write = this.#makeTimedWrite(true);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    write.promise = promise;
    write.at = performance.now() + timeout * 1000;
    write.busy = write.waiting = true;
    write.conn = conn;
    write.bytes = bytes;
    write.off = 0;
    write.resolve = resolve;
    write.reject = reject;
    if (write.listed) this.watchTimeout(write);
    else this.timerBy(write.at);
    write.next();
    return promise;
  }

  #timedWrite: TimedWrite | null = null;

  /** `listed`: on the shared timer's list (a second, concurrent sendall). */
  #makeTimedWrite(listed: boolean): TimedWrite {
    const finish = (): void => {
      write.busy = write.waiting = false;
      write.bytes = EMPTY;
      write.conn = null;
      if (listed) this.unwatchTimeout(write);
    };
    const write: TimedWrite = {
      at: 0,
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
        if (this.#timedWrite === write) this.#timedWrite = null;
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
        write.reject(this.closed ? badf(e) : this.#fail(e));
      },
      next: () => {
        const { bytes, off } = write;
        write.current = write.conn!.write(off === 0 ? bytes : bytes.subarray(off));
        write.current.then(write.written, write.failed);
      },
    };
    return write;
  }

  /**
   * Blocking sendall: the whole buffer to Deno, the rest again if it took
   * less. The promise is marked handled only on the way to a rejection
   * (see quiet), not per call.
   */
  #sendallFast(conn: StreamConn, bytes: Uint8Array): Promise<void> {
    const sent: Promise<void> = conn.write(bytes).then((n) => {
      if (n >= bytes.length) return;
      quiet(sent);
      return this.#sendRest(conn, bytes, n);
    }, (e) => {
      quiet(sent);
      throw this.#fail(e);
    });
    return sent;
  }

  async #sendRest(conn: StreamConn, bytes: Uint8Array, off: number): Promise<void> {
    try {
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    } catch (e) {
      throw this.#fail(e);
    }
  }

  async #sendall(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<void> {
    [flags, options] = splitOptions(flags, options, "sendall()");
    const bytes = toBytes(data, "sendall()");
    checkFlags(flags, MSG_DONTWAIT, "sendall()");
    const { conn, deadline } = await this.#beforeWrite(options, flags, "sendall()");
    const timed = deadline.timeout !== null || deadline.signal !== undefined;
    for (let off = 0; off < bytes.length;) {
      if (!timed) {
        off += await this.#write(conn, bytes.subarray(off));
        continue;
      }
      const op = conn.write(bytes.subarray(off));
      this.#track(op, { background: false });
      try {
        off += await this.#wait(op, deadline, "write");
      } catch (e) {
        if (deadline.signal?.aborted && e === deadline.signal.reason) throw e; // as API.md says
        throw this.closed ? badf(e) : this.#fail(e);
      }
    }
  }

  async #beforeWrite(
    options: CallOptions | undefined,
    flags: number,
    where: string,
  ): Promise<{ conn: StreamConn; deadline: Deadline }> {
    this.checkOpen();
    const deadline = this.deadline(options, (flags & MSG_DONTWAIT) !== 0);
    if (!this.#conn || this.#shutWr) {
      throw new BrokenPipeError(errno.EPIPE, null, {
        detail: this.#conn
          ? `${where} after shutdown(SHUT_WR)`
          : `${where} on an unconnected socket`,
      });
    }
    const conn = this.#conn;
    if (this.#writing) {
      try {
        await this.#wait(this.#writing, deadline, "write");
      } catch (e) {
        throw this.closed ? badf(e) : e;
      }
      this.checkOpen();
    }
    const failure = this.#writeError;
    if (failure) {
      this.#writeError = null;
      throw this.#fail(failure);
    }
    return { conn, deadline };
  }

  async #write(conn: StreamConn, bytes: Uint8Array): Promise<number> {
    try {
      return await conn.write(bytes);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Keeps a started write so that later sends queue behind it. */
  #track(op: Promise<unknown>, state: { background: boolean }): void {
    const tracked: Promise<void> = op.then(() => {}, (e) => {
      if (state.background) this.#writeError = e;
    }).then(() => {
      if (this.#writing === tracked) this.#writing = null;
    });
    this.#writing = tracked;
  }

  // ---- shutting down -----------------------------------------------------

  /**
   * Shuts down one or both directions: `SHUT_WR` sends end-of-stream (the
   * peer's `recv` returns empty; it can still send back), `SHUT_RD` makes
   * further `recv` calls return empty, `SHUT_RDWR` both.
   *
   * @example
   * ```ts ignore
   * import { SHUT_WR, socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await sock.sendall("request");
   * await sock.shutdown(SHUT_WR);
   * console.log(await sock.recv(4096));
   * ```
   */
  async shutdown(how: number): Promise<void> {
    this.checkOpen();
    if (typeof how !== "number" || !Number.isInteger(how)) {
      throw new TypeError(`shutdown(): how must be an integer, not ${describe(how)}`);
    }
    if (how > 0x7fffffff || how < -0x80000000) {
      throw new OverflowError("shutdown(): how: Python int too large to convert to C int");
    }
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new OSError(errno.EINVAL, null, {
        detail: `shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${how}`,
      });
    }
    const conn = this.#connected();
    if (how !== SHUT_WR) this.#shutRd = true;
    if (how === SHUT_RD || this.#shutWr) return;
    this.#shutWr = true;
    const writing = this.#writing;
    if (writing) {
      // A timed-out send's bytes are still being written: the end of stream
      // follows them in the background, as the kernel queues its FIN behind
      // the send buffer. Python's shutdown never waits for the peer to read.
      writing.then(() => {
        if (this.#conn === conn) return conn.closeWrite();
      }).catch(() => {});
      return;
    }
    try {
      await conn.closeWrite();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotConnected)) throw this.#fail(e);
    }
  }

  // ---- options -----------------------------------------------------------

  /**
   * Sets an option. `TCP_NODELAY` and `SO_KEEPALIVE` take effect on the
   * connection (and are inherited by accepted sockets); `SO_REUSEADDR` and
   * `SO_REUSEPORT` take effect at `bind` (`SO_REUSEPORT` needs
   * `--unstable-net`). Anything Deno cannot honour rejects with `OSError`
   * `ENOPROTOOPT`.
   *
   * @example
   * ```ts
   * import { IPPROTO_TCP, socket, TCP_NODELAY } from "@seed/socket";
   * using sock = socket();
   * sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
   * console.log(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)); // 1
   * ```
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    this.checkOpen();
    const on = optionValue(value, "setsockopt()");
    const conn = this.#conn ? tcpOf(this.#conn) : null;
    switch (checkOption(level, option, this.family, this.type, "set")) {
      case "nodelay":
        this.#options.nodelay = on;
        conn?.setNoDelay(on === 1);
        return;
      case "keepalive":
        this.#options.keepalive = on;
        conn?.setKeepAlive(on === 1);
        return;
      case "reuseaddr":
        if (!on) {
          throw new OSError(errno.ENOPROTOOPT, null, {
            detail: "Deno always sets SO_REUSEADDR on listening sockets; it cannot be turned off",
          });
        }
        this.#options.reuseaddr = on;
        return;
      case "reuseport":
        if (on && !unstableNet()) {
          throw new OSError(errno.ENOPROTOOPT, null, {
            detail: "SO_REUSEPORT needs Deno's --unstable-net flag",
          });
        }
        this.#options.reuseport = on;
        return;
    }
  }

  /**
   * Reads an option back: the values set by `setsockopt` (as 0 or 1),
   * `SO_TYPE`, `SO_DOMAIN`, `SO_PROTOCOL`, `SO_ACCEPTCONN` (1 while
   * listening), and `SO_ERROR` (the errno of a failed background connect,
   * cleared by reading). Others throw `OSError` `ENOPROTOOPT`.
   *
   * @example
   * ```ts
   * import { SO_TYPE, SOL_SOCKET, socket } from "@seed/socket";
   * using sock = socket();
   * console.log(sock.getsockopt(SOL_SOCKET, SO_TYPE)); // 1
   * ```
   */
  getsockopt(level: number, option: number): number {
    this.checkOpen();
    const name = checkOption(level, option, this.family, this.type, "get");
    switch (name) {
      case "type":
        return this.type;
      case "acceptconn":
        return this.#listening ? 1 : 0;
      case "domain":
        return this.family;
      case "protocol":
        return protocolOf(this.family, this.type, this.proto);
      case "error": {
        const failure = this.#pendingError;
        this.#pendingError = null;
        return failure?.errno ?? 0;
      }
      default:
        return this.#options[name as StreamOption];
    }
  }

  // ---- sendmsg / recvmsg (no ancillary data in Deno) --------------------------

  /**
   * Python's `sendmsg(buffers, ancdata, flags, address)`: sends the buffers
   * together as one `send` (the address is ignored, as by Linux's TCP)
   * and resolves the bytes sent. Deno has no `sendmsg()`, so ancillary data
   * (file descriptors, credentials) cannot be sent: a non-empty `ancdata`
   * rejects with `OSError` `EOPNOTSUPP` saying so.
   *
   * Cancel safety: as `send`.
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
   * @throws {OSError} `EOPNOTSUPP` for ancillary data; otherwise as `send`.
   * @throws {TypeError} `buffers` is not an iterable of bytes.
   */
  sendmsg(
    buffers: Iterable<Data>,
    ancdata?: Iterable<Ancillary>,
    flags?: number,
    address?: Address | null,
  ): Promise<number> {
    return quiet(sendmsg(this, buffers, ancdata, flags, address));
  }

  /**
   * Python's `recvmsg(bufsize, ancbufsize, flags)`: one receive as
   * `[data, ancdata, msg_flags, address]`, where `ancdata` is always empty
   * and `address` is `null`, as CPython's on a connected stream.
   * Deno has no `recvmsg()`: asking for ancillary data (`ancbufsize` > 0)
   * rejects with `OSError` `EOPNOTSUPP` saying so.
   *
   * Cancel safety: as `recv`.
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
    return quiet(recvmsg(this, bufsize, ancbufsize, flags));
  }

  // ---- sendfile and dup ---------------------------------------------------

  /**
   * Sends a file's bytes, as CPython's `sendfile`: from `offset` (counted
   * from the start of the file, as CPython's `os.sendfile` path does),
   * `count` bytes (to the end of the file when `null`), block by block
   * with `sendall` (CPython's fallback path); the file is left positioned
   * after the last byte sent. Resolves the number of bytes sent. `file` is a
   * `Deno.FsFile` or any object with its `read` and `seek`.
   *
   * Cancel safety: the socket's timeout bounds each block, not the whole
   * call; on a failure the bytes sent so far have left and the file
   * position is after them.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * using file = await Deno.open("data.bin");
   * console.log(await sock.sendfile(file)); // the file's size
   * ```
   *
   * @throws {TypeError} `file` has no `read`/`seek`, or `offset`/`count` is not an integer.
   * @throws {RangeError} `offset` is negative or `count` is not positive.
   * @throws {OSError} As `sendall`, and what reading the file throws.
   */
  sendfile(file: SendableFile, offset?: number, count?: number | null): Promise<number> {
    return quiet(sendfile(this, file, offset, count));
  }

  /**
   * A second socket object on the same connection, as CPython's `dup()`:
   * its own `fileno` and timeout (copied from this one), the same bytes
   * and state. The connection closes when this socket, every duplicate
   * and every `makefile` file are closed (while a duplicate is open,
   * `close()` on this one is deferred as with an open file).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.bind(["127.0.0.1", 0]);
   * using copy = sock.dup();
   * console.log(copy.fileno() !== sock.fileno(), copy.getsockname());
   * ```
   *
   * @throws {OSError} `EBADF` when this socket is closed.
   */
  dup(): Socket {
    return dupSocket(this);
  }

  // ---- files, streams and readiness ---------------------------------------

  /**
   * A file object over the socket, as Python's `socket.makefile`: mode
   * `"r"` (default), `"w"` or `"rw"` gives a text file (strings, decoded
   * with `encoding`, UTF-8 by default, and Python's `newline` rules); with
   * `"b"` a binary file (`Uint8Array`); `{ buffering: 0 }` with `"b"` the
   * unbuffered raw file. Every read and write is `async`; the socket's
   * timeout applies to each call and a `TimeoutError` loses no byte. The
   * socket closes for real only when it and all its files are closed.
   *
   * @example Read a line-based protocol
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await using f = sock.makefile("rw");
   * await f.write("HELLO\n");
   * await f.flush();
   * console.log(await f.readline());
   * ```
   */
  makefile(mode: `${string}b${string}`, options: MakefileOptions & { buffering: 0 }): SocketIO;
  /**
   * A binary file object (`Uint8Array` reads and writes).
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await using f = sock.makefile("rb");
   * console.log(await f.readline());
   * ```
   */
  makefile(mode: `${string}b${string}`, options?: MakefileOptions): SocketFile;
  /**
   * A text file object (string reads and writes).
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * await using f = sock.makefile("r", { newline: "" });
   * for await (const line of f) console.log(line);
   * ```
   */
  makefile(mode?: string, options?: MakefileOptions): SocketTextFile;
  makefile(
    mode: string = "r",
    options: MakefileOptions = {},
  ): SocketIO | SocketFile | SocketTextFile {
    return makefile(this, mode, options);
  }

  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * The received bytes as a web `ReadableStream` (type `"bytes"`, so BYOB
   * readers work), read through `recv_into` on demand: nothing is read
   * ahead, so releasing the reader (with no read pending) and calling
   * `recv` continues in order. Ends at the peer's end-of-stream. Cancelling
   * it aborts the receive in flight (the socket keeps its bytes) and leaves
   * the socket open; `sock.readable` is then a new stream.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * for await (const text of sock.readable.pipeThrough(new TextDecoderStream())) {
   *   console.log(text);
   * }
   * ```
   */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= socketReadable(this, () => this.#readable = null);
  }

  /**
   * A web `WritableStream` that sends each chunk with `sendall` (so a pipe
   * waits for the network: backpressure). Closing it half-closes the socket
   * (`shutdown(SHUT_WR)`) so the peer sees the end; aborting it leaves the
   * socket as it is.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * await using sock = socket();
   * await sock.connect(["127.0.0.1", 8000]);
   * const file = await Deno.open("data.bin");
   * await file.readable.pipeTo(sock.writable);
   * ```
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= socketWritable(this);
  }

  /**
   * Puts bytes back at the front of the receive buffer (the unread bytes of
   * a closing `makefile` file), so that the next receive returns them first.
   * @ignore
   */
  _unread(data: Uint8Array): void {
    if (this.closed || data.length === 0) return;
    this.#chunks.unshift(data);
    this.#buffered += data.length;
  }

  /** @ignore */
  override _ready(events: number): number {
    this.checkOpen();
    let ready = 0;
    const failed = this.#pendingError !== null;
    if (events & 1) {
      if (this.#listening) {
        if (this.#ready.length > 0 || this.#acceptError) ready |= 1;
      } else if (this.#conn) {
        if (this.#buffered > 0 || this.#eof || this.#shutRd || this.#readError) ready |= 1;
      } else if (!this.#connecting) ready |= 1; // nothing to wait for: Linux says POLLHUP
    }
    if (events & 2) {
      if (this.#conn) {
        if (!this.#writing || this.#shutWr || this.#writeError) ready |= 2;
      } else if (!this.#listening && !this.#connecting) ready |= 2;
    }
    if (failed) ready |= events & 3;
    return ready;
  }

  /** @ignore */
  override _watch(events: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const waits: Promise<unknown>[] = [];
    if (this.#connecting) waits.push(this.#connecting);
    if (events & 1) {
      if (this.#listening && this.#listener) {
        if (this.#ready.length === 0 && !this.#acceptError) {
          waits.push(this.#startAccept(this.#listener));
        }
      } else if (
        this.#conn && this.#buffered === 0 && !this.#eof && !this.#shutRd && !this.#readError
      ) {
        waits.push(this.#reading ??= this.#readAhead(this.#conn, PEEK_CHUNK));
      }
    }
    if (events & 2 && this.#writing) waits.push(this.#writing);
    // Nothing in flight can change the answer: wait for nothing (select
    // looks again on its own schedule).
    if (waits.length === 0) return new Promise<void>(() => {});
    return Promise.race(waits).then(() => {}, () => {});
  }

  // ---- transport hooks ---------------------------------------------------
  // Internal seam for layered transports (TLS): a fresh socket adopts a
  // connection, a connected one hands its connection over, or goes on over a
  // connection made from its own. Each waits until no write is in flight. A
  // read in flight is handed over, not waited for: a Deno read cannot be
  // cancelled, and one abandoned by a timeout may only end with bytes the
  // peer sends after the new layer starts (a STARTTLS server's answer to the
  // ClientHello), so waiting for it first would wait forever.

  /**
   * A fresh socket becomes connected over `conn`. `OSError` `EISCONN` when
   * the socket is already connected, connecting or bound.
   * @ignore
   */
  _attach(conn: StreamConn): void {
    this.checkOpen();
    if (this.#conn || this.#connecting || this.#listener) {
      throw new OSError(errno.EISCONN, null, { detail: "_attach() needs a fresh socket" });
    }
    this.#attach(conn);
  }

  /**
   * Waits until no write is in flight, then gives up the connection without
   * closing it, with the bytes received but not yet read (`buffered`) and,
   * when a read is still in flight (a receive that timed out, say),
   * `pending`: it settles once that read ends, with the bytes it brought
   * that no caller took (empty when a receive still waiting took them:
   * read on), `null` at the end of the stream, or the read's error. The
   * connection's next bytes are `buffered`, then `pending`'s, then its own
   * reads, which must wait for `pending`. The socket then reads as closed
   * (`fileno()` is -1), as CPython's `detach()`.
   * @ignore
   */
  async _detach(): Promise<{
    conn: StreamConn;
    buffered: Uint8Array;
    pending: Promise<Uint8Array | null> | null;
  }> {
    const conn = await this.#quiesce();
    const { buffered, pending } = this.#handOver();
    this.close();
    return { conn, buffered, pending };
  }

  /**
   * The same wait and hand-over as `_detach`, then the socket stays open and
   * reads and writes through the connection `wrap` makes from the old one,
   * `buffered` and `pending`. Calls made while `wrap` runs, and until the
   * read handed over has ended, see an unconnected socket. If `wrap` fails,
   * the socket is closed and the error passes through.
   * @ignore
   */
  async _upgrade(
    wrap: (
      raw: StreamConn,
      buffered: Uint8Array,
      pending: Promise<Uint8Array | null> | null,
    ) => Promise<StreamConn>,
  ): Promise<void> {
    const raw = await this.#quiesce();
    const { buffered, pending } = this.#handOver();
    let next: StreamConn;
    try {
      next = await wrap(raw, buffered, pending);
      // The read handed over still ends in this socket's read state: let it
      // end before reads through `next` begin.
      if (pending !== null) await pending.then(ignoreValue, ignoreValue);
    } catch (e) {
      closeQuietly(raw);
      this.close();
      throw e;
    }
    if (this.closed) {
      closeQuietly(next);
      throw badf();
    }
    this.#conn = next;
    this.#eof = false;
    this.#readError = null;
  }

  /**
   * Takes the received bytes not yet read, and the read in flight as a
   * promise of what it brings; the socket lets go of its connection.
   */
  #handOver(): { buffered: Uint8Array; pending: Promise<Uint8Array | null> | null } {
    const buffered = this.#drainBuffer();
    const reading = this.#reading;
    this.#conn = null;
    if (reading === null) return { buffered, pending: null };
    // The read's own handlers put its bytes, end or error into the read
    // state (a receive still waiting takes its bytes first): take them there.
    const pending = reading.then(ignoreValue, ignoreValue).then(() => {
      const bytes = this.#drainBuffer();
      if (bytes.length > 0) return bytes;
      const failure = this.#readError;
      this.#readError = null;
      if (failure !== null) throw failure;
      return this.#eof ? null : bytes;
    });
    pending.catch(ignoreValue);
    return { buffered, pending };
  }

  /**
   * The error a non-blocking call gets when nothing is ready:
   * `BlockingIOError` (`EAGAIN`, or `EINPROGRESS` for a connect). A layered
   * transport overrides it (TLS raises `SSLWantReadError`).
   * @ignore
   */
  protected _wouldBlock(op: "read" | "write" | "accept" | "connect"): OSError {
    if (op === "connect") {
      return fromErrno(errno.EINPROGRESS, {
        detail: this.#target ? formatTarget(this.#target) : undefined,
      });
    }
    return fromErrno(errno.EAGAIN);
  }

  /** waitFor, with the would-block error of `_wouldBlock`. */
  #wait<T>(
    op: Promise<T>,
    deadline: Deadline,
    kind: "read" | "write" | "accept" | "connect",
  ): Promise<T> {
    const waiting = this.waitFor(op, deadline);
    if (deadline.timeout !== 0) return waiting;
    return waiting.catch((e) => {
      throw e instanceof BlockingIOError && e.errno === errno.EAGAIN ? this._wouldBlock(kind) : e;
    });
  }

  /** Waits until the socket is connected with no write in flight. */
  async #quiesce(): Promise<StreamConn> {
    this.checkOpen();
    for (;;) {
      if (this.#connecting) await this.#connecting;
      const writing = this.#writing;
      if (writing === null) break;
      await writing.then(ignoreValue, ignoreValue);
      this.checkOpen();
    }
    const conn = this.#connected();
    if (this.#pendingError) throw this.#pendingError;
    return conn;
  }

  /** Takes every received byte not yet read. */
  #drainBuffer(): Uint8Array {
    const buffered = concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    return buffered.length === 0 ? EMPTY : buffered;
  }

  // ---- closing -----------------------------------------------------------

  /** @ignore */
  protected release(): void {
    // A connect in flight (one that timed out goes on) ends with the socket,
    // as closing the fd ends it on Linux; otherwise Deno retries its SYNs for
    // minutes and keeps the process alive.
    this.#connectAbort?.abort();
    this.#connectAbort = null;
    if (this.#ready.length > 0) { for (const conn of this.#ready.splice(0)) closeQuietly(conn); }
    const conn = this.#conn;
    // Bytes a send() counted as taken may still be on their way: close after
    // them, as the kernel still delivers its send buffer after close().
    if (conn && this.#writing) this.#writing.then(() => closeQuietly(conn));
    else if (conn) closeQuietly(conn);
    const listener = this.#listener;
    if (listener !== null) {
      closeQuietly(listener);
      // Deno frees the listener's fd only when its accept op ends, one turn
      // after close(): until then the port still takes connections.
      if (this.#accepting !== null && listener.addr.transport === "tcp") {
        holdPort(listener.addr as Deno.NetAddr, this.#accepting);
      }
    }
    this.#conn = null;
    this.#listener = null;
    this.#listening = false;
    if (this.#chunks.length > 0) this.#chunks = [];
    this.#buffered = 0;
    this.#scratch = null;
  }

  /** Maps a Deno error; after close every failure is `EBADF`. */
  #fail(e: unknown): OSError {
    if (this.closed) return badf(e);
    return toOSError(e, { address: this.#target ? formatTarget(this.#target) : undefined });
  }

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
  override toString(): string {
    return socketRepr(this);
  }

  /**
   * `Deno.inspect(sock)` and `console.log(sock)` show CPython's repr.
   * @ignore
   */
  [Symbol.for("Deno.customInspect")](): string {
    return socketRepr(this);
  }
}

// A call the caller never awaits must not end the process when it fails.
// accept, connect, recv, recv_into, send and sendall see to it themselves
// (quiet), their fast paths only when they fail.
quietRejections(Socket.prototype, ["connect_ex", "shutdown"]);

/** What the socket uses of a listener (a `Deno.Listener`, or a {@linkcode PendingListener}). */
type Listener = Pick<Deno.Listener, "accept" | "close" | "addr">;

/**
 * Ports that closed listeners of this process still hold: Deno keeps a
 * listener's fd open while its accept op is in flight, and that op ends on
 * the next turn of the event loop, after `close()` has returned. Until then
 * a connect to the port is accepted and reset, and a bind to it fails, where
 * on Linux the port is free once `close()` returns; so this module's own
 * connect and bind to such a port wait for the release.
 */
const heldPorts = new Map<number, { released: Promise<void>; hostname: string }>();

function holdPort({ hostname, port }: Deno.NetAddr, until: Promise<unknown>): void {
  const earlier = heldPorts.get(port)?.released;
  const released: Promise<void> = (earlier ? Promise.all([earlier, until]) : until).then(
    ignoreValue,
    ignoreValue,
  );
  heldPorts.set(port, { released, hostname });
  released.then(() => {
    if (heldPorts.get(port)?.released === released) heldPorts.delete(port);
  });
}

/**
 * A TCP listener bound while a closed one still held its port: it opens the
 * real listener once the port is released (within a turn of the event
 * loop); its address is known from the start. If something else took the
 * port meanwhile, the first accept rejects with `EADDRINUSE`.
 */
class PendingListener implements Listener {
  #real: Deno.Listener | null = null;
  #closed = false;
  #opening: Promise<Deno.Listener>;

  constructor(readonly addr: Deno.NetAddr, released: Promise<void>, open: () => Deno.Listener) {
    this.#opening = released.then(() => {
      if (this.#closed) throw new Deno.errors.BadResource("Listener has been closed");
      return this.#real = open();
    });
    this.#opening.catch(ignoreValue);
  }

  accept(): Promise<Deno.Conn> {
    return this.#opening.then((listener) => listener.accept());
  }

  close(): void {
    this.#closed = true;
    this.#real?.close();
  }
}

/**
 * An accept that failed because of the queued connection, not the
 * listener: the client reset or vanished before it was taken. Linux's
 * accept(2) asks callers to retry these; CPython's accept returns the
 * connection (its recv then fails), Deno cannot hand it over at all.
 */
function droppedWhileQueued(e: unknown): boolean {
  return e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.ConnectionReset;
}

function withNoAddress(data: Uint8Array<ArrayBuffer>): [Uint8Array<ArrayBuffer>, null] {
  return [data, null];
}

function tcpOf(conn: StreamConn): Deno.TcpConn | null {
  return "setNoDelay" in conn ? conn as Deno.TcpConn : null;
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed by Deno (the peer went away): nothing left to free.
  }
}

function notConnected(): OSError {
  return new OSError(errno.ENOTCONN, null);
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
 * Creates a socket, as Python's `socket.socket(family, type, proto)`:
 * a {@linkcode Socket} for `SOCK_STREAM` (TCP, or Unix stream for
 * `AF_UNIX`), a {@linkcode DatagramSocket} for `SOCK_DGRAM` (UDP). An
 * unknown family throws `OSError` `EAFNOSUPPORT`; an unknown type `EINVAL`.
 *
 * @example
 * ```ts
 * import { AF_INET6, SOCK_STREAM, socket } from "@seed/socket";
 * using sock = socket(AF_INET6, SOCK_STREAM);
 * console.log(sock.family, sock.type, sock.proto); // 10 1 0
 * ```
 */
export function socket(
  family?: number,
  type?: typeof SOCK_STREAM,
  proto?: number,
): Socket;
/**
 * Creates a datagram (UDP) socket.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * ```
 */
export function socket(
  family: number,
  type: typeof SOCK_DGRAM,
  proto?: number,
): DatagramSocket;
/**
 * Creates a socket of a type known only at run time.
 *
 * @example
 * ```ts
 * import { socket } from "@seed/socket";
 * const kind: number = 1;
 * using sock = socket(2, kind);
 * ```
 */
export function socket(
  family?: number,
  type?: number,
  proto?: number,
): Socket | DatagramSocket;
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto: number = 0,
): Socket | DatagramSocket {
  checkFamily(family);
  if (typeof type !== "number" || !Number.isInteger(type)) {
    throw new TypeError(`socket(): type must be an integer, not ${describe(type)}`);
  }
  checkInt32(type, "socket()", "type");
  // SOCK_NONBLOCK and SOCK_CLOEXEC may be or-ed in, as on Linux.
  const flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
  const kind = flags ? type - flags : type;
  const sock = kind === SOCK_STREAM
    ? new Socket(family, kind, proto)
    : kind === SOCK_DGRAM
    ? new DatagramSocket(family, kind, proto)
    : null;
  if (sock) {
    if (flags & SOCK_NONBLOCK) sock.setblocking(false);
    return sock;
  }
  throw unsupportedType(kind) ?? new OSError(errno.EINVAL, null, {
    detail: `socket(): unknown type ${type} (use SOCK_STREAM or SOCK_DGRAM)`,
  });
}
