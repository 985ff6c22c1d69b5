/**
 * Stream sockets with Python's semantics: TCP over IPv4 and IPv6, and Unix
 * stream sockets. This module is the facade: it checks arguments, keeps the
 * lifecycle state (`_lifecycle.ts` says what each call gets in each state)
 * and calls the parts that do the work: the reader (`_reader.ts`), the
 * writer (`_writer.ts`), the timers (`_deadlines.ts`) and the transport
 * (`_transport.ts`, the only code that opens connections).
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
import { errno, fromErrno, OSError, OverflowError, toOSError } from "./errors.ts";
import {
  type Address,
  describe,
  formatTarget,
  fromDenoAddr,
  type SocketAddress,
  type Target,
} from "./_address.ts";
import {
  badf,
  beginCall,
  type BlockingCall,
  type CallOptions,
  closeNow,
  failure,
  partLink,
  quiet,
  SocketBase,
  stateOption,
  untilClosed,
} from "./_base.ts";
import {
  checkBacklog,
  checkBufsize,
  checkFamily,
  checkInt32,
  checkKind,
  checkOption,
  intoTarget,
  MAX_BUFSIZE,
  optionValue,
  toBytes,
  unstableNet,
} from "./_options.ts";
import { type Call, refuse, type StreamState } from "./_lifecycle.ts";
import { Reader } from "./_reader.ts";
import { Writer } from "./_writer.ts";
import { plainTransport, type StreamConn, type StreamListener } from "./_transport.ts";
import { DatagramSocket } from "./udp.ts";
import { unsupportedType } from "./_omissions.ts";
import { type SendableFile, sendfile } from "./_sendfile.ts";
import { duplicate } from "./_dup.ts";
import { Acceptor, closeQuietly, Connector } from "./_connect.ts";
import {
  makefile,
  type MakefileOptions,
  type SocketFile,
  type SocketIO,
  type SocketTextFile,
} from "./makefile.ts";

export { getdefaulttimeout, setdefaulttimeout } from "./_base.ts";
export type { CallOptions } from "./_base.ts";
export type { Address, SocketAddress } from "./_address.ts";
export type { SendableFile } from "./_sendfile.ts";

type StreamOption = "nodelay" | "keepalive" | "reuseaddr" | "reuseport";

// Every byte array a socket makes is over a plain ArrayBuffer (new
// Uint8Array(n) and views of one); the public methods' casts to
// Uint8Array<ArrayBuffer> say so.
const EMPTY = new Uint8Array(0);
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
  #state: StreamState = "fresh";
  /** The open connection (the reader and writer hold it too). */
  #conn: StreamConn | null = null;
  #acceptor: Acceptor | null = null;
  // Made on first use: an accepted socket that never binds or connects has
  // neither (see #connection and #setOption).
  #connector: Connector | null = null;
  #reader: Reader;
  #writer: Writer;
  #options: Record<StreamOption, number> | null = null;

  /**
   * Makes an unconnected stream socket; prefer {@linkcode socket}.
   *
   * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
   * @param type `SOCK_STREAM`.
   * @param proto 0 or `IPPROTO_TCP`.
   */
  constructor(family?: number, type?: number, proto?: number);
  constructor(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0) {
    checkKind(family, type, proto, SOCK_STREAM, "Socket");
    super(family, type, proto);
    const link = partLink(this, Socket.#failOf);
    this.#reader = new Reader(link);
    this.#writer = new Writer(link);
  }

  /** The socket's connect state, made on first use. */
  #connection(): Connector {
    return this.#connector ??= new Connector();
  }

  /** An option as set (0 unless set). */
  #option(name: StreamOption): number {
    return this.#options?.[name] ?? 0;
  }

  #setOption(name: StreamOption, on: number): void {
    (this.#options ??= { nodelay: 0, keepalive: 0, reuseaddr: 0, reuseport: 0 })[name] = on;
  }

  /** Throws what `call` gets in the current state (EBADF, ENOTCONN, EISCONN, EINVAL, EPIPE). */
  #check(call: Call, where?: string): void {
    const refusal = refuse(this.#state, call, where);
    if (refusal !== null) throw refusal;
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
    this.#check("bind");
    let listener: StreamListener;
    try {
      const reusePort = this.#option("reuseport") === 1;
      listener = this.#connection().transport.listen(target, { reusePort });
    } catch (e) {
      throw toOSError(e, { address: formatTarget(target) });
    }
    this.#acceptor = new Acceptor(listener, () => this.closed);
    this.#connection().target = target;
    this.#state = "bound";
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
    this.#check("listen");
    if (this.#state === "fresh") {
      if (this.family === AF_UNIX) {
        throw new OSError(errno.EINVAL, null, {
          detail: "bind() an AF_UNIX socket before listen()",
        });
      }
      this.bind(["", 0]);
    }
    this.#state = "listening";
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
    const addr = this.#conn?.localAddr ?? this.#acceptor?.listener.addr;
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
    this.#check("getpeername");
    return fromDenoAddr(this.family, this.#conn!.remoteAddr);
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
   * Cancel safety: a timeout or an abort stops the wait, not the attempt: it
   * goes on, the next `connect` to the same address waits for it, and
   * `close()` ends it.
   *
   * @throws {ConnectionRefusedError} Nothing listens at `address`.
   * @throws {TimeoutError} The socket's timeout passed first.
   * @throws {BlockingIOError} Non-blocking: `EINPROGRESS`, then `EALREADY`.
   * @throws {OSError} `EISCONN` when connected, `EBADF` when closed,
   * `PermissionError` naming `--allow-net=`, `gaierror` for an unknown host.
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
    const connector = this.#connection();
    if (
      options === undefined && this.#state === "fresh" && connector.reported &&
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
      const connected: Promise<void> = connector.connecting!.then(() => {
        if (this.closed || connector.error) quiet(connected); // about to reject
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
    const connector = this.#connection();
    if (this.#state !== "connecting") {
      // As Linux: the first connect after a non-blocking one finished succeeds.
      if (!connector.reported && this.#conn) {
        connector.reported = true;
        return;
      }
      this.#check("connect");
      const failure = connector.reported ? null : connector.error;
      connector.reported = true;
      if (failure) {
        // A non-blocking connect that failed: report its error, as Linux does.
        connector.error = null;
        throw failure;
      }
      if (this.#state === "bound" && connector.releasable(target)) {
        closeQuietly(this.#acceptor!.listener);
        this.#acceptor = null;
        this.#state = "fresh";
      }
      this.#startConnect(target);
      if (deadline.timeout === 0 && target.transport === "tcp") {
        // Linux answers every non-blocking TCP connect with EINPROGRESS, even
        // one to loopback that is about to succeed; then select() for writing
        // and SO_ERROR (or connect again) tell how it ended.
        connector.reported = false;
        throw this._wouldBlock("connect");
      }
    } else if (deadline.timeout === 0) {
      throw fromErrno(errno.EALREADY, { detail: formatTarget(target) });
    }
    try {
      await this.waitFor(connector.connecting!, deadline, "connect");
    } catch (e) {
      if (this.closed) throw badf(e);
      throw e;
    }
    this.#connectResult();
  }

  /** After the connect Deno had in flight ended: its error, or EBADF if closed meanwhile. */
  #connectResult(): void {
    this.checkOpen();
    this.#connection().result(this.#conn !== null);
  }

  #startConnect(target: Target): void {
    this.#state = "connecting";
    this.#connection().start(target, (conn) => {
      if (conn === null) {
        if (!this.closed) this.#state = "fresh";
      } else if (this.closed) conn.close();
      else this.#attach(conn);
    });
  }

  /** The socket becomes connected over `conn`. */
  #attach(conn: StreamConn): void {
    this.#conn = this.#reader.conn = this.#writer.conn = conn;
    this.#state = "connected";
    const options = this.#options;
    if (options !== null) {
      if (options.nodelay) conn.setNoDelay?.(true);
      if (options.keepalive) conn.setKeepAlive?.(true);
    }
  }

  // ---- accepting ---------------------------------------------------------

  /**
   * Waits for a connection: `[conn, address]`. `OSError` `EINVAL` when the
   * socket is not listening; with a timeout, `TimeoutError`; non-blocking,
   * `BlockingIOError`. A connection that arrives after the caller stopped
   * waiting is kept for the next `accept`.
   *
   * Cancel safety: a connection that arrives after a timeout or an abort is
   * kept for the next `accept`; none is lost.
   *
   * @throws {OSError} `EINVAL` when not listening, `EBADF` when closed.
   * @throws {TimeoutError} The socket's timeout passed first.
   * @throws {BlockingIOError} Non-blocking, with nothing queued.
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
    const acceptor = this.#acceptor;
    if (
      options === undefined && this.#state === "listening" && acceptor!.empty() &&
      this.gettimeout() === null
    ) {
      // Blocking accept with nothing queued (nearly every call): one hop.
      // Another accept may take the connection first; then wait again.
      const accepted: Promise<[Socket, SocketAddress]> = acceptor!.start().then(() => {
        if (acceptor!.ready.length > 0 && !this.closed) {
          return this.#adopt(acceptor!.ready.shift()!);
        }
        quiet(accepted); // #accept may reject
        return this.#accept(options);
      });
      return accepted;
    }
    return quiet(this.#accept(options));
  }

  async #accept(options?: CallOptions): Promise<[Socket, SocketAddress]> {
    this.checkOpen();
    this.#check("accept");
    const deadline = this.deadline(options);
    const acceptor = this.#acceptor!;
    for (;;) {
      const conn = acceptor.ready.shift();
      if (conn) return this.#adopt(conn);
      const failure = acceptor.error;
      if (failure) {
        acceptor.error = null;
        throw this.#fail(failure);
      }
      await this.waitFor(acceptor.start(), deadline, "accept").catch((e) => {
        throw this.closed ? badf(e) : e;
      });
      this.checkOpen();
    }
  }

  #adopt(conn: StreamConn): [Socket, SocketAddress] {
    const sock = new Socket(this.family, SOCK_STREAM, this.proto);
    const options = this.#options;
    if (options !== null) sock.#options = { ...options };
    // A listening socket has its connector (bind made it).
    const transport = this.#connector!.transport;
    if (transport !== plainTransport) sock.#connection().transport = transport;
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
    return untilClosed(this, () => this.accept());
  }

  // ---- receiving (the reader does the work) -------------------------------

  /**
   * Receives up to `bufsize` bytes as they arrive; an empty array once the
   * peer has closed its side. `MSG_PEEK` returns bytes without consuming
   * them, `MSG_WAITALL` waits for all `bufsize` bytes (or the end),
   * `MSG_DONTWAIT` makes this one call non-blocking. Bytes that arrive after
   * a `TimeoutError`, a `BlockingIOError` or an abort are returned by the
   * next call, in order.
   *
   * Cancel safety: an abort or a timeout loses no byte: the next call returns it.
   *
   * @throws {OSError} `ENOTCONN` when not connected, `EBADF` when closed,
   * `ConnectionResetError` when the peer reset.
   * @throws {TimeoutError} The socket's timeout passed first.
   * @throws {BlockingIOError} Non-blocking, with nothing received.
   * @throws {RangeError} A negative `bufsize` or an unknown flag.
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
    const reader = this.#reader;
    const conn = reader.conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      typeof bufsize === "number" && bufsize > 0 && bufsize <= MAX_BUFSIZE &&
      Number.isInteger(bufsize) && reader.idle() && this.gettimeout() === null
    ) {
      return reader.recvFast(conn, bufsize) as Promise<Uint8Array<ArrayBuffer>>;
    }
    return quiet(this.#recv(bufsize, flags, options));
  }

  async #recv(
    bufsize: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<Uint8Array<ArrayBuffer>> {
    checkBufsize(bufsize, "recv()");
    const call = beginCall(this, flags, options, RECV_FLAGS, "recv()");
    if (bufsize === 0) return EMPTY; // in any state, as Linux's recv(fd, buf, 0)
    this.#check("recv");
    const bytes = await this.#reader.recv(bufsize, call.flags, call.deadline);
    return bytes as Uint8Array<ArrayBuffer>;
  }

  /** @ignore */
  protected receiveInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    const reader = this.#reader;
    const conn = reader.conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(buffer) && buffer instanceof Uint8Array && buffer.length > 0 &&
      (nbytes === 0 || nbytes === buffer.length) && reader.idle()
    ) {
      const timeout = this.gettimeout();
      if (timeout === null) return reader.recvIntoFast(conn, buffer);
      if (timeout > 0) return reader.recvIntoTimed(conn, buffer, timeout);
    }
    return quiet(this.#recvInto(buffer, nbytes, flags, options));
  }

  async #recvInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
  ): Promise<number> {
    const target = intoTarget(buffer, nbytes, "recv_into()");
    const call = beginCall(this, flags, options, RECV_FLAGS, "recv_into()");
    if (target.length === 0) return 0; // in any state, as Linux
    this.#check("recv");
    return await this.#reader.recvInto(target, call.flags, call.deadline);
  }

  /**
   * As {@linkcode Socket.recv}, paired with the sender's address, which a
   * connected stream socket does not report: `[data, null]`, as CPython's
   * `(data, None)`. For code written for both kinds of socket.
   *
   * Cancel safety: as {@linkcode Socket.recv}.
   *
   * @throws {OSError} As {@linkcode Socket.recv}.
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

  // ---- sending (the writer does the work) ---------------------------------

  /**
   * One write: resolves to the number of bytes taken (possibly fewer than
   * given). `data` is a `Uint8Array`, any `ArrayBufferView` or a string
   * (sent as UTF-8). With a timeout or in non-blocking mode, a write Deno has
   * started but not finished when time runs out is completed in the
   * background and counted as taken, as the kernel's send buffer would;
   * the next send waits for it (or fails with `TimeoutError` /
   * `BlockingIOError`, taking nothing).
   *
   * Cancel safety: a write Deno has started finishes in the background and
   * counts as taken; nothing is sent twice.
   *
   * @throws {BrokenPipeError} Not connected, or after `shutdown(SHUT_WR)`.
   * @throws {OSError} `EBADF` when closed, `ConnectionResetError` when the peer reset.
   * @throws {TimeoutError} The previous send is still being written past the timeout.
   * @throws {TypeError} `data` is not bytes or a string.
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
    const writer = this.#writer;
    const conn = writer.conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(data) && data instanceof Uint8Array && data.length > 0 && writer.free() &&
      this.gettimeout() === null
    ) {
      // Blocking send with nothing in flight: one Deno write, its count.
      return writer.sendFast(conn, data);
    }
    return quiet(this.#send(data, flags, options, false) as Promise<number>);
  }

  /**
   * Sends all of `data` or rejects; resolves `undefined`. The whole buffer
   * goes to Deno in one write (Deno loops in the kernel). With a timeout the
   * limit bounds the whole call, not each write.
   *
   * Cancel safety: after a timeout or an abort an unknown part has been sent,
   * as in Python; the write in flight finishes before the next send.
   *
   * @throws {BrokenPipeError} Not connected, or after `shutdown(SHUT_WR)`.
   * @throws {OSError} `EBADF` when closed, `ConnectionResetError` when the peer reset.
   * @throws {TimeoutError} The whole call took longer than the timeout.
   * @throws {TypeError} `data` is not bytes or a string.
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
    const writer = this.#writer;
    const conn = writer.conn;
    if (
      conn !== null && (flags === undefined || flags === 0) && options === undefined &&
      ArrayBuffer.isView(data) && data instanceof Uint8Array && data.length > 0 && writer.free()
    ) {
      const timeout = this.gettimeout();
      if (timeout === null) return writer.sendallFast(conn, data);
      if (timeout > 0) return writer.sendallTimed(conn, data, timeout);
    }
    return quiet(this.#send(data, flags, options, true) as Promise<void>);
  }

  /** send and sendall on the general path: the checks, then the writer. */
  async #send(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    all: boolean,
  ): Promise<number | void> {
    const where = all ? "sendall()" : "send()";
    const bytes = toBytes(data, where);
    const { deadline } = beginCall(this, flags, options, MSG_DONTWAIT, where);
    this.#check("send", where);
    return all
      ? await this.#writer.sendall(bytes, deadline)
      : await this.#writer.send(bytes, deadline);
  }

  // ---- shutting down -----------------------------------------------------

  /**
   * Shuts down one or both directions: `SHUT_WR` sends end-of-stream (the
   * peer's `recv` returns empty; it can still send back), `SHUT_RD` makes
   * further `recv` calls return empty, `SHUT_RDWR` both.
   *
   * Cancel safety: nothing to cancel: after a timed-out send the end of
   * stream follows its bytes in the background.
   *
   * @throws {OSError} `EINVAL` for a bad `how`, `ENOTCONN` when not connected,
   * `EBADF` when closed.
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
  shutdown(how: number): Promise<void> {
    return quiet(this.#shutdown(how));
  }

  async #shutdown(how: number): Promise<void> {
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
    this.#check("shutdown");
    if (how !== SHUT_WR) this.#reader.shutdown();
    if (how === SHUT_RD) return;
    this.#state = "half-closed";
    await this.#writer.shutdown();
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
    const conn = this.#conn;
    switch (checkOption(level, option, this.family, this.type, "set")) {
      case "nodelay":
        this.#setOption("nodelay", on);
        conn?.setNoDelay?.(on === 1);
        return;
      case "keepalive":
        this.#setOption("keepalive", on);
        conn?.setKeepAlive?.(on === 1);
        return;
      case "reuseaddr":
        if (!on) {
          throw new OSError(errno.ENOPROTOOPT, null, {
            detail: "Deno always sets SO_REUSEADDR on listening sockets; it cannot be turned off",
          });
        }
        this.#setOption("reuseaddr", on);
        return;
      case "reuseport":
        if (on && !unstableNet()) {
          throw new OSError(errno.ENOPROTOOPT, null, {
            detail: "SO_REUSEPORT needs Deno's --unstable-net flag",
          });
        }
        this.#setOption("reuseport", on);
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
    const listening = this.#state === "listening";
    return stateOption(this, name, listening, () => this.#connector?.takeError() ?? null) ??
      this.#option(name as StreamOption);
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
    return duplicate(
      this,
      () => new Socket(this.family, this.type, this.proto),
      ["bind", "listen", "getsockname", "getpeername", "setsockopt", "getsockopt", "_ready"],
      [
        "connect",
        "connect_ex",
        "accept",
        "recv",
        "recv_into",
        "recvfrom",
        "send",
        "sendall",
        "shutdown",
      ],
    );
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
    return this.#reader.stream(this);
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
    return this.#writer.stream(this);
  }

  /**
   * Puts bytes back at the front of the receive buffer (the unread bytes of
   * a closing `makefile` file), so that the next receive returns them first.
   * @ignore
   */
  _unread(data: Uint8Array): void {
    if (!this.closed) this.#reader.unread(data);
  }

  /** @ignore */
  override _ready(events: number): number {
    this.checkOpen();
    let ready = 0;
    const state = this.#state;
    const connector = this.#connector;
    const connecting = connector !== null && connector.connecting !== null;
    if (events & 1) {
      if (state === "listening") {
        if (!this.#acceptor!.empty()) ready |= 1;
      } else if (this.#conn) {
        if (this.#reader.ready()) ready |= 1;
      } else if (!connecting) ready |= 1; // nothing to wait for: Linux says POLLHUP
    }
    if (events & 2) {
      if (this.#conn) {
        if (this.#writer.ready()) ready |= 2;
      } else if (state !== "listening" && !connecting) ready |= 2;
    }
    if (connector !== null && connector.error !== null) ready |= events & 3;
    return ready;
  }

  /** @ignore */
  override _watch(events: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const waits: Promise<unknown>[] = [];
    const connecting = this.#connector?.connecting;
    if (connecting) waits.push(connecting);
    if (events & 1) {
      const acceptor = this.#acceptor;
      if (this.#state === "listening" && acceptor !== null) {
        if (acceptor.empty()) waits.push(acceptor.start());
      } else {
        const reading = this.#reader.watch();
        if (reading !== null) waits.push(reading);
      }
    }
    if (events & 2 && this.#writer.writing) waits.push(this.#writer.writing);
    // Nothing in flight can change the answer: wait for nothing (select
    // looks again on its own schedule).
    if (waits.length === 0) return new Promise<void>(() => {});
    return Promise.race(waits).then(() => {}, () => {});
  }

  // ---- handing the connection over (STARTTLS, detach) ---------------------
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
    if (this.#state !== "fresh") {
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
    const { buffered, pending } = this.#reader.handOver();
    this.#conn = this.#writer.conn = null;
    closeNow(this);
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
    const { buffered, pending } = this.#reader.handOver();
    const state = this.#state;
    this.#conn = this.#writer.conn = null;
    this.#state = "fresh";
    let conn: StreamConn;
    try {
      conn = await wrap(raw, buffered, pending);
      // The read handed over still ends in the reader's state: let it end
      // before reads through `conn` begin.
      if (pending !== null) await pending.catch(() => null);
    } catch (e) {
      closeQuietly(raw);
      this.close();
      throw e;
    }
    if (this.closed) {
      closeQuietly(conn);
      throw badf();
    }
    this.#conn = this.#writer.conn = conn;
    this.#reader.restart(conn);
    this.#state = state;
  }

  /**
   * The error a non-blocking call gets when nothing is ready:
   * `BlockingIOError` (`EAGAIN`, or `EINPROGRESS` naming the address for a
   * connect). A layered transport overrides it (TLS raises
   * `SSLWantReadError`).
   * @ignore
   */
  protected override _wouldBlock(op: BlockingCall): OSError {
    if (op === "connect") {
      return fromErrno(errno.EINPROGRESS, {
        detail: this.#connector?.target ? formatTarget(this.#connector.target) : undefined,
      });
    }
    return super._wouldBlock(op);
  }

  /** Waits until the socket is connected with no write in flight. */
  async #quiesce(): Promise<StreamConn> {
    this.checkOpen();
    for (;;) {
      const connecting = this.#connector?.connecting;
      if (connecting) await connecting;
      if (this.#writer.settled()) break;
      await this.#writer.settle();
      this.checkOpen();
    }
    this.checkOpen();
    this.#check("getpeername"); // ENOTCONN unless connected
    const failure = this.#connector?.error;
    if (failure) throw failure;
    return this.#conn!;
  }

  // ---- closing -----------------------------------------------------------

  /** @ignore */
  protected release(): void {
    this.#connector?.stop();
    this.#acceptor?.close();
    this.#acceptor = null;
    this.#writer.release(closeQuietly);
    this.#reader.release();
    this.#conn = null;
    this.#state = "closed";
  }

  /** Maps a Deno error; after close every failure is `EBADF`. */
  #fail(e: unknown): OSError {
    return failure(this, e, this.#connector?.target);
  }

  /** The parts' error mapping: one function for every socket (see partLink). */
  static #failOf(sock: Socket, e: unknown): OSError {
    return sock.#fail(e);
  }
}

function withNoAddress(data: Uint8Array<ArrayBuffer>): [Uint8Array<ArrayBuffer>, null] {
  return [data, null];
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
