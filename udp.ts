/**
 * Datagram (UDP) sockets with Python's semantics over `Deno.listenDatagram`.
 *
 * The flow has no `listen`/`accept`: a server is `socket(AF_INET, SOCK_DGRAM)`
 * → `bind()` → `recvfrom()` / `sendto()` → `close()`; a client just calls
 * `sendto()` (an unbound socket binds itself first) and `recvfrom()`.
 * Each `recvfrom` returns one whole datagram, truncated to `bufsize`.
 *
 * Deno's datagram API needs the `--unstable-net` flag (or
 * `"unstable": ["net"]` in deno.json). Without it, creating a datagram socket
 * throws `OSError` (`EPROTONOSUPPORT`) whose message names the flag.
 *
 * @example Echo one datagram
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
 *
 * using server = socket(AF_INET, SOCK_DGRAM);
 * server.bind(["127.0.0.1", 0]);
 * using client = socket(AF_INET, SOCK_DGRAM);
 * await client.sendto("ping", server.getsockname());
 * const [data, address] = await server.recvfrom(1024);
 * await server.sendto(data, address);
 * console.log(await client.recvfrom(1024)); // [Uint8Array "ping", server's address]
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  MSG_DONTWAIT,
  MSG_PEEK,
  SOCK_DGRAM,
} from "./constants.ts";
import {
  BlockingIOError,
  errno,
  OSError,
  PermissionError,
  TimeoutError,
  toOSError,
} from "./errors.ts";
import {
  type Address,
  formatTarget,
  fromDenoAddr,
  isIPv4,
  type SocketAddress,
  type Target,
} from "./_address.ts";
import {
  badf,
  beginCall,
  type CallOptions,
  type Deadline,
  failure,
  partLink,
  quiet,
  quietRejections,
  SocketBase,
  stateOption,
  untilClosed,
} from "./_base.ts";
import {
  checkBufsize,
  checkKind,
  checkOption,
  type Data,
  detachedError,
  intoTarget,
  isDetached,
  optionValue,
  toBytes,
  unstableNet,
} from "./_options.ts";
import { canonicalHost, getaddrinfo } from "./inet.ts";
import { type Call, type DatagramState, refuseDatagram } from "./_lifecycle.ts";
import { openDatagram } from "./_transport.ts";
import { Multicast } from "./_multicast.ts";
import type { SendableFile } from "./_sendfile.ts";
import { duplicate } from "./_dup.ts";
import { DatagramReader, FULL_DATAGRAM } from "./_datagrams.ts";

/** The largest UDP payload over IPv4 (65,535 − 20 − 8). */
const MAX_IPV4_PAYLOAD = 65507;
/** The largest UDP payload over IPv6 (65,535 − 8). */
const MAX_IPV6_PAYLOAD = 65527;
const RECV_FLAGS = MSG_PEEK | MSG_DONTWAIT;

type UdpTarget = Extract<Target, { transport: "tcp" }>;

/**
 * A datagram (UDP) socket, as Python's `socket.socket(family, SOCK_DGRAM)`:
 * `bind`, `sendto`, `recvfrom`, `connect` (a default peer), `send`/`recv`,
 * timeouts and non-blocking mode with the same no-loss rules as streams
 * (a datagram that arrives after a `TimeoutError`, a `BlockingIOError` or
 * an abort is returned by the next call). Make one with
 * `socket(AF_INET, SOCK_DGRAM)` (or `AF_INET6`); it needs `--unstable-net`.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * sock.bind(["127.0.0.1", 0]);
 * console.log(sock.getsockname());
 * ```
 */
export class DatagramSocket extends SocketBase {
  #state: DatagramState = "fresh";
  #conn: Deno.DatagramConn | null = null;
  #peer: { hostname: string; port: number; canonical: string } | null = null;
  #reader: DatagramReader;

  #options = { reuseaddr: 0, reuseport: 0, broadcast: 0 };
  #multicast: Multicast;

  /**
   * Makes an unbound datagram socket; prefer `socket(family, SOCK_DGRAM)`.
   * Throws `OSError` `EPROTONOSUPPORT` naming `--unstable-net` when Deno
   * runs without it, and `EAFNOSUPPORT` for `AF_UNIX`.
   *
   * @param family `AF_INET` (default) or `AF_INET6`.
   * @param type `SOCK_DGRAM`.
   * @param proto 0 or `IPPROTO_UDP`.
   */
  constructor(family?: number, type?: number, proto?: number);
  constructor(family: number = AF_INET, type: number = SOCK_DGRAM, proto = 0) {
    checkKind(family, type, proto, SOCK_DGRAM, "DatagramSocket", [AF_INET, AF_INET6]);
    if (!unstableNet()) {
      throw new OSError(errno.EPROTONOSUPPORT, null, {
        detail: "datagram sockets need Deno's --unstable-net flag " +
          '(deno run --unstable-net …, or "unstable": ["net"] in deno.json)',
      });
    }
    super(family, type, proto);
    this.#reader = new DatagramReader(family, partLink(this, (_, e) => this.#fail(e)));
    this.#multicast = new Multicast(family, {
      conn: () => this.#conn,
      closed: () => this.closed,
    });
  }

  // ---- addresses -------------------------------------------------------

  /**
   * Binds to a local address at once: `getsockname()` right after
   * `bind(["127.0.0.1", 0])` gives the real port. `OSError` `EADDRINUSE`
   * when taken (unless both sockets set `SO_REUSEADDR`), `EINVAL` when
   * already bound, `PermissionError` naming `--allow-net=HOST:PORT` when
   * Deno's permission is missing.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * console.log(sock.getsockname());
   * ```
   */
  bind(address: Address): void {
    this.checkOpen();
    const target = this.target(address, "bind()", "bind") as UdpTarget;
    this.#check("bind");
    this.#open(target.hostname, target.port);
  }

  #open(hostname: string, port: number): void {
    try {
      this.#conn = openDatagram({
        hostname,
        port,
        // Deno's reuseAddress sets SO_REUSEADDR and SO_REUSEPORT together.
        reuseAddress: this.#options.reuseaddr === 1 || this.#options.reuseport === 1,
        // Linux loops multicast back by default; Deno turns it off unless asked.
        loopback: this.#multicast.loop === 1,
      });
    } catch (e) {
      throw toOSError(e, { address: formatTarget({ transport: "tcp", hostname, port }) });
    }
    this.#state = "bound";
    this.#reader.bound(this.#conn);
    this.#multicast.bound();
  }

  /** Binds an unbound socket before it sends, to an address the process may use. */
  #autobind(hostname: string): void {
    if (this.#conn) return;
    const v6 = this.family === AF_INET6;
    // A loopback destination gets a loopback source: that works under
    // --allow-net=127.0.0.1 alone, where the wildcard would need 0.0.0.0.
    const local = isLoopback(hostname) ? (v6 ? "::1" : "127.0.0.1") : (v6 ? "::" : "0.0.0.0");
    this.#open(local, 0);
  }

  /**
   * The socket's own address; the wildcard with port 0 while unbound.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * console.log(sock.getsockname()); // ["0.0.0.0", 0]
   * ```
   */
  getsockname(): SocketAddress {
    this.checkOpen();
    if (this.#conn) return fromDenoAddr(this.family, this.#conn.addr);
    return this.family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
  }

  /**
   * The default peer set by `connect`; `OSError` `ENOTCONN` without one.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * await sock.connect(["127.0.0.1", 9]);
   * console.log(sock.getpeername()); // ["127.0.0.1", 9]
   * ```
   */
  getpeername(): SocketAddress {
    this.checkOpen();
    this.#check("getpeername");
    const peer = this.#peer!;
    return this.family === AF_INET6
      ? [peer.canonical, peer.port, 0, 0]
      : [peer.canonical, peer.port];
  }

  /**
   * Sets the default peer: `send` and `recv` then work, and datagrams from
   * any other address are dropped instead of delivered. Nothing is sent. An
   * unbound socket binds itself (as for `sendto`). A host name is resolved
   * once, here.
   *
   * Cancel safety: only a host name lookup waits; an abort or a timeout
   * leaves the socket as it was.
   *
   * @throws {OSError} `EBADF` when closed, `gaierror` for an unknown host,
   * `PermissionError` naming `--allow-net=`.
   * @throws {TimeoutError} The lookup took longer than the timeout.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using server = socket(AF_INET, SOCK_DGRAM);
   * server.bind(["127.0.0.1", 0]);
   * using client = socket(AF_INET, SOCK_DGRAM);
   * await client.connect(server.getsockname());
   * await client.send("hello");
   * console.log((await server.recvfrom(16))[0]);
   * ```
   */
  async connect(address: Address, options?: CallOptions): Promise<void> {
    this.checkOpen();
    const target = this.target(address, "connect()", "connect") as UdpTarget;
    const deadline = this.deadline(options);
    let canonical = canonicalHost(target.hostname);
    if (canonical === null) {
      const [first] = await this.waitFor(
        getaddrinfo(target.hostname, target.port, this.family, SOCK_DGRAM),
        deadline,
      );
      canonical = first[4][0];
    }
    this.checkOpen();
    this.#autobind(target.hostname);
    this.#peer = { hostname: target.hostname, port: target.port, canonical };
    this.#reader.peer = { port: target.port, canonical };
    this.#state = "connected";
  }

  // ---- sending -----------------------------------------------------------

  /**
   * Sends one datagram to `address`; resolves to the bytes sent. `data` is
   * a `Uint8Array`, any `ArrayBufferView` or a string (UTF-8). An unbound
   * socket binds itself first: to the loopback address for a loopback
   * destination (so `--allow-net=127.0.0.1` suffices), else to the
   * wildcard. Over 65,507 bytes (IPv4) or 65,527 (IPv6) rejects with
   * `OSError` `EMSGSIZE` before anything is sent; the limited broadcast
   * address without `SO_BROADCAST` with `PermissionError` `EACCES`, as
   * Linux. The only flag is `MSG_DONTWAIT`.
   *
   * Cancel safety: a datagram Deno has taken is sent (and counted) even if
   * the call times out; none is sent twice.
   *
   * @throws {OSError} `EMSGSIZE` too long, `EBADF` when closed,
   * `PermissionError` (broadcast without `SO_BROADCAST`, or naming `--allow-net=`).
   * @throws {TypeError} Bad data or address.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * console.log(await sock.sendto("hello", ["127.0.0.1", 9])); // 5
   * ```
   */
  sendto(data: Data, address: Address, options?: CallOptions): Promise<number>;
  /**
   * Sends one datagram with `flags` (`MSG_DONTWAIT`).
   *
   * Cancel safety: as the other overload.
   *
   * @throws {OSError} As the other overload.
   *
   * @example
   * ```ts
   * import { AF_INET, MSG_DONTWAIT, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * await sock.sendto("hello", MSG_DONTWAIT, ["127.0.0.1", 9]);
   * ```
   */
  sendto(data: Data, flags: number, address: Address, options?: CallOptions): Promise<number>;
  sendto(
    data: Data,
    flagsOrAddress: number | Address,
    addressOrOptions?: Address | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    const conn = this.#conn;
    if (
      conn !== null && addressOrOptions === undefined && typeof flagsOrAddress !== "number" &&
      ArrayBuffer.isView(data) && data instanceof Uint8Array && data.length > 0 &&
      this.#multicast.ops === null &&
      this.#multicast.error === null &&
      this.gettimeout() === null
    ) {
      // Blocking sendto(bytes, address) from a bound socket (nearly every
      // call): the checks #sendTo makes, then one Deno send.
      let target: UdpTarget;
      try {
        target = this.target(flagsOrAddress, "sendto()", "connect") as UdpTarget;
        this.#checkDatagram(data, target, "sendto()");
      } catch {
        // Reject, not throw: the general path checks again and rejects.
        return quiet(this.#sendto(data, flagsOrAddress, addressOrOptions, options));
      }
      const sent: Promise<number> = conn.send(data, {
        transport: "udp",
        hostname: target.hostname,
        port: target.port,
      }).then(undefined, (e) => {
        quiet(sent);
        throw this.#fail(e, target);
      });
      return sent;
    }
    return quiet(this.#sendto(data, flagsOrAddress, addressOrOptions, options));
  }

  async #sendto(
    data: Data,
    flagsOrAddress: number | Address,
    addressOrOptions?: Address | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    let flags = 0;
    let address: Address;
    if (typeof flagsOrAddress === "number") {
      flags = flagsOrAddress;
      address = addressOrOptions as Address;
    } else {
      address = flagsOrAddress;
      options = addressOrOptions as CallOptions | undefined;
    }
    const bytes = toBytes(data, "sendto()");
    const { deadline } = beginCall(this, flags, options, MSG_DONTWAIT, "sendto()");
    const target = this.target(address, "sendto()", "connect") as UdpTarget;
    return await this.#sendTo(bytes, target, deadline, "sendto()");
  }

  /**
   * Sends one datagram to the peer set by `connect`; `OSError`
   * `EDESTADDRREQ` without one.
   *
   * Cancel safety: as {@linkcode DatagramSocket.sendto}.
   *
   * @throws {OSError} `EDESTADDRREQ` without a peer; otherwise as `sendto`.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * await sock.connect(["127.0.0.1", 9]);
   * console.log(await sock.send("hello")); // 5
   * ```
   */
  async send(data: Data, flags?: number | CallOptions, options?: CallOptions): Promise<number> {
    const bytes = toBytes(data, "send()");
    const { deadline } = beginCall(this, flags, options, MSG_DONTWAIT, "send()");
    this.#check("send");
    const peer = this.#peer!;
    const target: UdpTarget = { transport: "tcp", hostname: peer.hostname, port: peer.port };
    return await this.#sendTo(bytes, target, deadline, "send()");
  }

  /**
   * As `send`: a datagram is all or nothing, so this sends it whole.
   *
   * Cancel safety: as {@linkcode DatagramSocket.sendto}.
   *
   * @throws {OSError} As {@linkcode DatagramSocket.send}.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * await sock.connect(["127.0.0.1", 9]);
   * await sock.sendall("hello");
   * ```
   */
  async sendall(data: Data, flags?: number | CallOptions, options?: CallOptions): Promise<void> {
    await this.send(data, flags, options);
  }

  /** Errors a datagram gets before any I/O: too long, or broadcast without SO_BROADCAST. */
  #checkDatagram(bytes: Uint8Array, target: UdpTarget, where: string): void {
    const limit = this.family === AF_INET6 ? MAX_IPV6_PAYLOAD : MAX_IPV4_PAYLOAD;
    if (bytes.length > limit) {
      throw new OSError(errno.EMSGSIZE, null, {
        detail: `${where}: ${bytes.length} bytes is over the ${limit}-byte limit of a UDP datagram`,
      });
    }
    if (target.hostname === "255.255.255.255" && !this.#options.broadcast) {
      throw new PermissionError(errno.EACCES, null, {
        detail: `${where}: set SO_BROADCAST to send to the broadcast address`,
      });
    }
  }

  async #sendTo(bytes: Uint8Array, target: UdpTarget, deadline: Deadline, where: string) {
    this.#checkDatagram(bytes, target, where);
    await this.#settleOptions(deadline);
    this.checkOpen();
    this.#autobind(target.hostname);
    const op = this.#conn!.send(bytes, {
      transport: "udp",
      hostname: target.hostname,
      port: target.port,
    });
    try {
      return await this.waitFor(op, deadline);
    } catch (e) {
      if (this.closed) throw badf(e);
      if (deadline.signal?.aborted && e === deadline.signal.reason) {
        op.catch(() => {}); // the datagram may still go out, as with any abandoned send
        throw e;
      }
      if (e instanceof TimeoutError || e instanceof BlockingIOError) {
        // Deno has the datagram and sends it when it can, as a kernel send
        // buffer would: it counts as sent (retrying would duplicate it).
        op.catch(() => {});
        return bytes.length;
      }
      throw this.#fail(e, target);
    }
  }

  // ---- receiving ---------------------------------------------------------

  /**
   * Receives one datagram: `[data, address]`. A datagram longer than
   * `bufsize` is truncated to it and the rest discarded, as Linux does.
   * `MSG_PEEK` leaves it queued; `MSG_DONTWAIT` makes this call
   * non-blocking. A datagram that arrives after a `TimeoutError`, a
   * `BlockingIOError` or an abort is returned by the next call. On an
   * unbound socket this waits until the socket is bound (by a `sendto`).
   *
   * Cancel safety: a datagram that arrives after a timeout or an abort is
   * returned by the next call; none is lost.
   *
   * @throws {OSError} `EBADF` when closed.
   * @throws {TimeoutError} The socket's timeout passed first.
   * @throws {BlockingIOError} Non-blocking, with nothing queued.
   * @throws {RangeError} A negative `bufsize` or an unknown flag.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * await sock.sendto("to myself", sock.getsockname());
   * const [data, address] = await sock.recvfrom(1024);
   * console.log(data.length, address);
   * ```
   */
  recvfrom(
    bufsize: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<[Uint8Array<ArrayBuffer>, SocketAddress]> {
    const reader = this.#reader;
    const conn = reader.conn;
    if (
      conn !== null && flags === undefined && options === undefined && reader.idle() &&
      this.#multicast.ops === null && this.#multicast.error === null &&
      this.gettimeout() === null &&
      typeof bufsize === "number" && bufsize > 0 && Number.isInteger(bufsize)
    ) {
      // Datagrams are received into buffers this socket makes (plain ArrayBuffers).
      return reader.recvfromFast(conn, bufsize) as Promise<
        [Uint8Array<ArrayBuffer>, SocketAddress]
      >;
    }
    return quiet(this.#recvfrom(bufsize, flags, options, "recvfrom()")) as Promise<
      [Uint8Array<ArrayBuffer>, SocketAddress]
    >;
  }

  async #recvfrom(
    bufsize: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    where: string,
  ): Promise<[Uint8Array, SocketAddress]> {
    checkBufsize(bufsize, where);
    const call = beginCall(this, flags, options, RECV_FLAGS, where);
    const peek = (call.flags & MSG_PEEK) !== 0;
    await this.#settleOptions(call.deadline);
    const [data, from] = await this.#reader.receive(call.deadline, peek, bufsize);
    return [
      data.length > bufsize ? data.slice(0, bufsize) : data,
      fromDenoAddr(this.family, from),
    ];
  }

  /**
   * Receives one datagram's data (truncated to `bufsize`), without the
   * address. Works bound or connected.
   *
   * Cancel safety: as {@linkcode DatagramSocket.recvfrom}.
   *
   * @throws {OSError} As {@linkcode DatagramSocket.recvfrom}.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * await sock.sendto("hi", sock.getsockname());
   * console.log(await sock.recv(1024));
   * ```
   */
  async recv(
    bufsize: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<Uint8Array<ArrayBuffer>> {
    return (await this.#recvfrom(bufsize, flags, options, "recv()"))[0] as Uint8Array<ArrayBuffer>;
  }

  /**
   * Receives one datagram into `buffer` (a `Uint8Array`, any
   * `ArrayBufferView` or an `ArrayBuffer`; at most `nbytes` bytes, default
   * its byte length): `[count, address]`. The rest of a longer datagram is
   * discarded.
   *
   * Cancel safety: as {@linkcode DatagramSocket.recvfrom}.
   *
   * @throws {OSError} As {@linkcode DatagramSocket.recvfrom}.
   * @throws {TypeError} `buffer` is not a byte view.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * await sock.sendto("hi", sock.getsockname());
   * const buffer = new Uint8Array(1500);
   * const [n, address] = await sock.recvfrom_into(buffer);
   * console.log(buffer.subarray(0, n), address);
   * ```
   */
  recvfrom_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes?: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<[number, SocketAddress]>;
  recvfrom_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number = 0,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<[number, SocketAddress]> {
    const reader = this.#reader;
    const conn = reader.conn;
    if (
      conn !== null && nbytes === 0 && flags === undefined && options === undefined &&
      ArrayBuffer.isView(buffer) && buffer instanceof Uint8Array && buffer.length > 0 &&
      reader.idle() &&
      this.#multicast.ops === null && this.#multicast.error === null &&
      this.gettimeout() === null
    ) {
      // Blocking, plain arguments, nothing queued (nearly every call).
      return reader.recvfromIntoFast(conn, buffer);
    }
    return quiet(this.#recvfromInto(buffer, nbytes, flags, options, "recvfrom_into()"));
  }

  async #recvfromInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    where: string,
  ): Promise<[number, SocketAddress]> {
    const target = intoTarget(buffer, nbytes, where, true);
    const call = beginCall(this, flags, options, RECV_FLAGS, where);
    const peek = (call.flags & MSG_PEEK) !== 0;
    // Sized now: a buffer detached while the call waits has length 0.
    const size = target.length;
    await this.#settleOptions(call.deadline);
    // Never into the caller's buffer: it may be detached (transferred)
    // while the call waits, and the datagram would be lost.
    const datagram = await this.#reader.receive(call.deadline, peek, size);
    if (isDetached(target.buffer)) {
      // The datagram stays for the next receive.
      if (!peek && !this.closed) this.#reader.unshift(datagram);
      throw detachedError(where, "buffer");
    }
    const [data, from] = datagram;
    const n = Math.min(data.length, target.length);
    target.set(n === data.length ? data : data.subarray(0, n));
    return [n, fromDenoAddr(this.family, from)];
  }

  /** @ignore */
  protected async receiveInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    return (await this.#recvfromInto(buffer, nbytes, flags, options, "recv_into()"))[0];
  }

  /**
   * Receives datagrams until the socket is closed, then ends cleanly.
   *
   * @example
   * ```ts ignore
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 9999]);
   * for await (const [data, address] of sock) {
   *   await sock.sendto(data, address);
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncGenerator<[Uint8Array<ArrayBuffer>, SocketAddress], void, void> {
    return untilClosed(this, () => this.recvfrom(FULL_DATAGRAM));
  }

  // ---- readiness (select) ------------------------------------------------

  /** @ignore */
  override _ready(events: number): number {
    this.checkOpen();
    let ready = events & 2; // a datagram send never waits for the peer
    if (events & 1 && this.#reader.ready()) ready |= 1;
    return ready;
  }

  /** @ignore */
  override _watch(events: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!(events & 1)) return new Promise<void>(() => {});
    return this.#reader.watch();
  }

  // ---- dup and sendfile -------------------------------------------------------

  /**
   * A second socket object on the same datagram socket, as CPython's
   * `dup()`: its own `fileno` and timeout (copied from this one), the same
   * binding, peer and queued datagrams. The socket closes when this one and
   * every duplicate are closed (while a duplicate is open, `close()` on
   * this one is deferred).
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * using copy = sock.dup();
   * console.log(copy.getsockname());
   * ```
   *
   * @throws {OSError} `EBADF` when this socket is closed.
   */
  dup(): DatagramSocket {
    return duplicate(
      this,
      () => new DatagramSocket(this.family, this.type, this.proto),
      ["bind", "getsockname", "getpeername", "setsockopt", "getsockopt", "_ready"],
      [
        "connect",
        "connect_ex",
        "sendto",
        "send",
        "sendall",
        "recvfrom",
        "recv",
        "recvfrom_into",
        "recv_into",
      ],
    );
  }

  /**
   * CPython's `sendfile` is for stream sockets only: on a datagram socket
   * it rejects, as CPython's raises `ValueError`.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * await sock.sendfile({ read: () => Promise.resolve(null), seek: () => Promise.resolve(0) })
   *   .catch((e) => console.log(e.message));
   * ```
   *
   * @throws {TypeError} Always: "only SOCK_STREAM type sockets are supported".
   */
  sendfile(_file: SendableFile, _offset?: number, _count?: number | null): Promise<number> {
    return quiet(
      Promise.reject(new TypeError("sendfile(): only SOCK_STREAM type sockets are supported")),
    );
  }

  // ---- options -----------------------------------------------------------

  /**
   * Sets an option. `SO_BROADCAST` allows sending to the broadcast address;
   * `SO_REUSEADDR`/`SO_REUSEPORT` take effect at `bind` (Deno sets both
   * together). Multicast, with Python's values: `IP_ADD_MEMBERSHIP` /
   * `IP_DROP_MEMBERSHIP` take `ip_mreq` bytes (group then interface
   * address, e.g. `inet_aton(group) + inet_aton("0.0.0.0")`),
   * `IPV6_JOIN_GROUP` / `IPV6_LEAVE_GROUP` `ipv6_mreq` bytes (group then
   * interface index); `IP_MULTICAST_LOOP`/`IPV6_MULTICAST_LOOP` (before
   * `bind`, or once a group is joined) and `IP_MULTICAST_TTL` (once a
   * group is joined) as integers. Deno joins groups asynchronously: the
   * next blocking call waits for it and rejects if it failed (also readable
   * as `SO_ERROR`). Anything Deno cannot do rejects with `OSError`
   * `ENOPROTOOPT`.
   *
   * @example
   * ```ts
   * import { AF_INET, SO_BROADCAST, SOCK_DGRAM, SOL_SOCKET, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
   * console.log(sock.getsockopt(SOL_SOCKET, SO_BROADCAST)); // 1
   * ```
   */
  setsockopt(level: number, option: number, value: number | boolean | Uint8Array): void {
    this.checkOpen();
    if (level === IPPROTO_IP || level === IPPROTO_IPV6) {
      this.#multicast.set(level, option, value);
      return;
    }
    if (ArrayBuffer.isView(value) && value instanceof Uint8Array) {
      throw new TypeError("setsockopt(): value must be an integer or boolean for this option");
    }
    const on = optionValue(value, "setsockopt()");
    const name = checkOption(level, option, this.family, this.type, "set");
    if (name === "reuseaddr" || name === "reuseport" || name === "broadcast") {
      this.#options[name] = on;
    }
  }

  /**
   * Reads an option back: the values set by `setsockopt` (0 or 1, Linux's
   * defaults otherwise: `IP_MULTICAST_LOOP` 1, `IP_MULTICAST_TTL` 1),
   * `SO_TYPE`, `SO_DOMAIN`, `SO_PROTOCOL`, `SO_ACCEPTCONN` (0: datagram
   * sockets never listen), and `SO_ERROR` (the errno of a failed multicast
   * change, cleared by reading).
   *
   * @example
   * ```ts
   * import { AF_INET, SO_TYPE, SOCK_DGRAM, SOL_SOCKET, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * console.log(sock.getsockopt(SOL_SOCKET, SO_TYPE)); // 2
   * ```
   */
  getsockopt(level: number, option: number): number {
    this.checkOpen();
    const multicast = this.#multicast.get(level, option);
    if (multicast !== null) return multicast;
    const name = checkOption(level, option, this.family, this.type, "get");
    const state = stateOption(this, name, false, () => this.#multicast.takeError());
    if (state !== null) return state;
    return name === "reuseaddr" || name === "reuseport" || name === "broadcast"
      ? this.#options[name]
      : 0;
  }

  /** Waits for the multicast changes Deno is making; rejects with how one failed. */
  async #settleOptions(deadline: Deadline): Promise<void> {
    const multicast = this.#multicast;
    if (multicast.ops) await this.#reader.wait(multicast.ops, deadline);
    const failure = multicast.takeError();
    if (failure) throw failure;
  }

  // ---- closing -----------------------------------------------------------

  /** @ignore */
  protected release(): void {
    try {
      this.#conn?.close();
    } catch {
      // Already closed by Deno: nothing left to free.
    }
    this.#conn = null;
    this.#reader.release();
    this.#multicast.release();
    this.#state = "closed";
  }

  /** Throws what `call` gets in the current state (EBADF, ENOTCONN, EDESTADDRREQ, EINVAL). */
  #check(call: Call): void {
    const refusal = refuseDatagram(this.#state, call);
    if (refusal !== null) throw refusal;
  }

  #fail(e: unknown, target?: UdpTarget): OSError {
    return failure(this, e, target);
  }
}

// sendto, recvfrom and recvfrom_into see to it themselves (quiet), their
// fast paths only when they fail.
quietRejections(DatagramSocket.prototype, [
  "connect",
  "send",
  "sendall",
  "recv",
  "recv_into",
]);

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIPv4(host)) return host.startsWith("127.");
  return canonicalHost(host) === "::1";
}
