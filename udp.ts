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
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
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
} from "./_base.ts";
import {
  checkBufsize,
  checkFlags,
  checkOption,
  checkProto,
  type Data,
  detachedError,
  isDetached,
  optionValue,
  protocolOf,
  splitOptions,
  toBytes,
  unstableNet,
  writableView,
} from "./_options.ts";
import { canonicalHost, getaddrinfo, inet_ntop } from "./inet.ts";
import { type Ancillary, recvmsg, type RecvmsgResult, sendmsg } from "./_omissions.ts";
import { socketRepr } from "./_repr.ts";
import { dupDatagramSocket } from "./_dup.ts";
import type { SendableFile } from "./_sendfile.ts";

/** The largest UDP payload over IPv4 (65,535 − 20 − 8). */
const MAX_IPV4_PAYLOAD = 65507;
/** The largest UDP payload over IPv6 (65,535 − 8). */
const MAX_IPV6_PAYLOAD = 65527;
/** Room for any datagram, for receives made before the caller's bufsize is known. */
const FULL_DATAGRAM = 65536;
// A blocking receive of up to this many bytes goes straight into the result;
// a larger bufsize uses the socket's scratch buffer and a copy at the
// datagram's size (not a 64 KiB buffer per datagram).
const DIRECT_RECEIVE_MAX = 2048;
const RECV_FLAGS = MSG_PEEK | MSG_DONTWAIT;

type Datagram = [data: Uint8Array, from: Deno.NetAddr];
type Membership = Deno.MulticastV4Membership | Deno.MulticastV6Membership;
interface Group {
  membership: Membership | null;
  joined: Promise<void> | null;
}
type UdpTarget = Extract<Target, { transport: "tcp" }>;

function ignoreResult(): void {}

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
  #conn: Deno.DatagramConn | null = null;
  #whenBound: PromiseWithResolvers<void> | null = null;
  #peer: { hostname: string; port: number; canonical: string } | null = null;

  // Datagrams Deno delivered after the caller stopped waiting, and the one
  // receive Deno may have in flight.
  #ready: Datagram[] = [];
  // A fast recvfrom's own promise may reject: wait on it through #inFlight.
  #receiving: Promise<unknown> | null = null;
  #receiveError: unknown = null;
  #scratch: Uint8Array | null = null;

  #options = { reuseaddr: 0, reuseport: 0, broadcast: 0, loop: 1, ttl: 1 };
  #groups = new Map<string, Group>();
  #pendingJoins: (() => void)[] = [];
  #optionOps: Promise<void> | null = null;
  #optionError: OSError | null = null;

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
    checkFamily(family);
    if (type !== SOCK_DGRAM) {
      throw new OSError(errno.EINVAL, null, {
        detail: `DatagramSocket is for SOCK_DGRAM; got type ${show(type)}`,
      });
    }
    if (family !== AF_INET && family !== AF_INET6) {
      throw new OSError(errno.EAFNOSUPPORT, null, {
        detail:
          "datagram sockets are AF_INET or AF_INET6 (Unix datagram sockets are not supported)",
      });
    }
    checkProto(family, type, proto);
    if (!unstableNet()) {
      throw new OSError(errno.EPROTONOSUPPORT, null, {
        detail: "datagram sockets need Deno's --unstable-net flag " +
          '(deno run --unstable-net …, or "unstable": ["net"] in deno.json)',
      });
    }
    super(family, type, proto);
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
    if (this.#conn) throw new OSError(errno.EINVAL, null, { detail: "socket is already bound" });
    this.#open(target.hostname, target.port);
  }

  #open(hostname: string, port: number): void {
    try {
      this.#conn = Deno.listenDatagram({
        transport: "udp",
        hostname,
        port,
        // Deno's reuseAddress sets SO_REUSEADDR and SO_REUSEPORT together.
        reuseAddress: this.#options.reuseaddr === 1 || this.#options.reuseport === 1,
        // Linux loops multicast back by default; Deno turns it off unless asked.
        loopback: this.#options.loop === 1,
      });
    } catch (e) {
      throw toOSError(e, { address: formatTarget({ transport: "tcp", hostname, port }) });
    }
    this.#whenBound?.resolve();
    this.#whenBound = null;
    for (const join of this.#pendingJoins.splice(0)) join();
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
    const peer = this.#peer;
    if (!peer) throw new OSError(errno.ENOTCONN, null);
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
  }

  /**
   * As `connect`, but resolves to 0 or the errno number instead of
   * rejecting with an `OSError`.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * console.log(await sock.connect_ex(["127.0.0.1", 9])); // 0
   * ```
   */
  connect_ex(address: Address, options?: CallOptions): Promise<number> {
    return connectEx(() => this.connect(address, options));
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
      this.#optionOps === null && this.#optionError === null &&
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
    checkFlags(flags, MSG_DONTWAIT, "sendto()");
    this.checkOpen();
    const target = this.target(address, "sendto()", "connect") as UdpTarget;
    return await this.#sendTo(bytes, target, this.deadline(options, flags !== 0), "sendto()");
  }

  /**
   * Sends one datagram to the peer set by `connect`; `OSError`
   * `EDESTADDRREQ` without one.
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
    [flags, options] = splitOptions(flags, options, "send()");
    const bytes = toBytes(data, "send()");
    checkFlags(flags, MSG_DONTWAIT, "send()");
    this.checkOpen();
    const peer = this.#peer;
    if (!peer) throw new OSError(errno.EDESTADDRREQ, null);
    const target: UdpTarget = { transport: "tcp", hostname: peer.hostname, port: peer.port };
    return await this.#sendTo(bytes, target, this.deadline(options, flags !== 0), "send()");
  }

  /**
   * As `send`: a datagram is all or nothing, so this sends it whole.
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
    const conn = this.#conn;
    if (
      conn !== null && flags === undefined && options === undefined && this.#receiving === null &&
      this.#ready.length === 0 && this.#receiveError === null && this.#peer === null &&
      this.#optionOps === null && this.#optionError === null && this.gettimeout() === null &&
      typeof bufsize === "number" && bufsize > 0 && Number.isInteger(bufsize)
    ) {
      // Datagrams are received into buffers this socket makes (plain ArrayBuffers).
      return this.#recvfromFast(conn, bufsize) as Promise<[Uint8Array<ArrayBuffer>, SocketAddress]>;
    }
    return quiet(this.#recvfrom(bufsize, flags, options, "recvfrom()")) as Promise<
      [Uint8Array<ArrayBuffer>, SocketAddress]
    >;
  }

  /**
   * Blocking recvfrom of a bound, unconnected socket with nothing queued:
   * one Deno receive, no async frames. As #receive's direct path, a small
   * bufsize receives into the result itself, a large one into the scratch
   * buffer and keeps a copy of the datagram's own size.
   */
  #recvfromFast(
    conn: Deno.DatagramConn,
    bufsize: number,
  ): Promise<[Uint8Array, SocketAddress]> {
    const own = bufsize <= DIRECT_RECEIVE_MAX;
    const buffer = own ? new Uint8Array(bufsize) : this.#scratchView(bufsize);
    const received: Promise<[Uint8Array, SocketAddress]> = conn.receive(buffer).then(
      (datagram) => {
        this.#receiving = null;
        const data = datagram[0];
        return [own ? data : data.slice(), fromDenoAddr(this.family, datagram[1])];
      },
      (e) => {
        this.#receiving = null;
        quiet(received);
        throw this.#fail(e);
      },
    );
    // Calls made meanwhile wait for it (as #receiving; see #inFlight).
    this.#receiving = received;
    return received;
  }

  async #recvfrom(
    bufsize: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    where: string,
  ): Promise<[Uint8Array, SocketAddress]> {
    [flags, options] = splitOptions(flags, options, where);
    checkBufsize(bufsize, where);
    checkFlags(flags, RECV_FLAGS, where);
    this.checkOpen();
    const deadline = this.deadline(options, (flags & MSG_DONTWAIT) !== 0);
    const [data, from] = await this.#receive(deadline, (flags & MSG_PEEK) !== 0, bufsize);
    return [
      data.length > bufsize ? data.slice(0, bufsize) : data,
      fromDenoAddr(this.family, from),
    ];
  }

  /**
   * Receives one datagram's data (truncated to `bufsize`), without the
   * address. Works bound or connected.
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
    return this.#recvfromInto(buffer, nbytes, flags, options, "recvfrom_into()");
  }

  async #recvfromInto(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number,
    flags: number | CallOptions | undefined,
    options: CallOptions | undefined,
    where: string,
  ): Promise<[number, SocketAddress]> {
    [flags, options] = splitOptions(flags, options, where);
    const view = writableView(buffer, where);
    checkBufsize(nbytes, where, "nbytes");
    if (nbytes > view.length) {
      throw new RangeError(
        `${where}: nbytes is greater than the length of the buffer (${nbytes} > ${view.length})`,
      );
    }
    checkFlags(flags, RECV_FLAGS, where);
    this.checkOpen();
    const deadline = this.deadline(options, (flags & MSG_DONTWAIT) !== 0);
    const target = view.subarray(0, nbytes || view.length);
    const peek = (flags & MSG_PEEK) !== 0;
    const [data, from] = await this.#receive(deadline, peek, target.length);
    if (isDetached(target.buffer)) {
      // Detached (transferred) while the call waited: the datagram stays
      // for the next receive.
      if (!peek && !this.closed) this.#ready.unshift([data, from]);
      throw detachedError(where, "buffer");
    }
    const n = Math.min(data.length, target.length);
    if (data.buffer !== target.buffer || data.byteOffset !== target.byteOffset) {
      target.set(data.subarray(0, n));
    }
    return [n, fromDenoAddr(this.family, from)];
  }

  /**
   * Receives one datagram into `buffer` (as `recvfrom_into`); resolves to
   * the count.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * sock.bind(["127.0.0.1", 0]);
   * await sock.sendto("hi", sock.getsockname());
   * console.log(await sock.recv_into(new Uint8Array(1500))); // 2
   * ```
   */
  recv_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes?: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number>;
  async recv_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes: number = 0,
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
    return quietIterator(this.#datagrams());
  }

  async *#datagrams(): AsyncGenerator<[Uint8Array<ArrayBuffer>, SocketAddress], void, void> {
    for (;;) {
      let next: [Uint8Array<ArrayBuffer>, SocketAddress];
      try {
        next = await this.recvfrom(FULL_DATAGRAM);
      } catch (e) {
        if (this.closed) return;
        throw e;
      }
      yield next;
    }
  }

  /** One datagram: a queued one first, else one receive from Deno. */
  async #receive(
    deadline: Deadline,
    peek: boolean,
    size: number,
  ): Promise<Datagram> {
    await this.#settleOptions(deadline);
    for (;;) {
      this.checkOpen();
      const next = this.#ready[0];
      if (next) {
        if (!this.#fromPeer(next[1])) {
          this.#ready.shift(); // a connected socket drops other senders' datagrams
          continue;
        }
        if (!peek) this.#ready.shift();
        return next;
      }
      const failure = this.#receiveError;
      if (failure) {
        this.#receiveError = null;
        throw this.#fail(failure);
      }
      const conn = this.#conn;
      if (!conn) {
        // Nothing can arrive before the socket has an address: wait for one.
        this.#whenBound ??= Promise.withResolvers<void>();
        await this.#wait(this.#whenBound.promise, deadline);
        continue;
      }
      if (!this.#receiving && deadline.timeout === null && !deadline.signal && !peek) {
        // Blocking with nothing queued: receive straight into the result; the
        // kernel truncates to its size. A connected socket may drop what it
        // gets, so it never lets the caller's buffer see another sender's data.
        // A large bufsize reads into the scratch buffer and keeps only a
        // copy of the datagram's own size, not a 64 KiB buffer per datagram.
        // Never the caller's buffer: it may be detached while Deno fills it,
        // and the datagram would be lost.
        const own = size <= DIRECT_RECEIVE_MAX ? new Uint8Array(size) : null;
        const buffer = own ?? this.#scratchView(size);
        const got = await this.#receiveDirect(conn, buffer, !own);
        if (this.#fromPeer(got[1])) return got;
        continue;
      }
      await this.#wait(this.#inFlight(conn), deadline);
    }
  }

  async #receiveDirect(
    conn: Deno.DatagramConn,
    buffer: Uint8Array,
    copy: boolean,
  ): Promise<Datagram> {
    let settle!: () => void;
    this.#receiving = new Promise<void>((resolve) => settle = resolve);
    try {
      const [data, from] = await conn.receive(buffer);
      // Copy out of the scratch buffer before another receive may reuse it.
      return [copy ? data.slice() : data, from as Deno.NetAddr];
    } catch (e) {
      throw this.#fail(e);
    } finally {
      this.#receiving = null;
      settle();
    }
  }

  /** The first `size` bytes of the socket's scratch buffer (made on first use). */
  #scratchView(size: number): Uint8Array {
    return (this.#scratch ??= new Uint8Array(FULL_DATAGRAM)).subarray(0, size);
  }

  #receiveAhead(conn: Deno.DatagramConn): Promise<void> {
    // One receive ahead at a time, so one scratch buffer serves them all;
    // each datagram is copied out at its own size.
    this.#scratch ??= new Uint8Array(FULL_DATAGRAM);
    return conn.receive(this.#scratch).then(([data, from]) => {
      this.#receiving = null;
      if (this.closed) return;
      this.#ready.push([data.slice(), from as Deno.NetAddr]);
    }, (e) => {
      this.#receiving = null;
      if (!this.closed) this.#receiveError = e;
    });
  }

  async #wait(op: Promise<unknown>, deadline: Deadline): Promise<void> {
    try {
      await this.waitFor(op, deadline);
    } catch (e) {
      throw this.closed ? badf(e) : e;
    }
    this.checkOpen();
  }

  #fromPeer(from: Deno.NetAddr): boolean {
    const peer = this.#peer;
    if (!peer) return true;
    return from.port === peer.port &&
      (canonicalHost(from.hostname) ?? from.hostname) === peer.canonical;
  }

  // ---- sendmsg / recvmsg (no ancillary data in Deno) --------------------------

  /**
   * Python's `sendmsg(buffers, ancdata, flags, address)`: sends the buffers
   * together as one `send` (one datagram, to `address` when given)
   * and resolves the bytes sent. Deno has no `sendmsg()`, so ancillary data
   * (file descriptors, credentials) cannot be sent: a non-empty `ancdata`
   * rejects with `OSError` `EOPNOTSUPP` saying so.
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
    return quiet(sendmsg(this, buffers, ancdata, flags, address));
  }

  /**
   * Python's `recvmsg(bufsize, ancbufsize, flags)`: one receive as
   * `[data, ancdata, msg_flags, address]`, where `ancdata` is always empty
   * and `msg_flags` has `MSG_TRUNC` when the datagram was longer than `bufsize`.
   * Deno has no `recvmsg()`: asking for ancillary data (`ancbufsize` > 0)
   * rejects with `OSError` `EOPNOTSUPP` saying so.
   *
   * Cancel safety: as `recvfrom`.
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
   * @throws {OSError} `EOPNOTSUPP` for `ancbufsize` > 0; otherwise as `recvfrom`.
   * @throws {TypeError} `bufsize` or `ancbufsize` is not an integer.
   * @throws {RangeError} `bufsize` or `ancbufsize` is negative.
   */
  recvmsg(bufsize: number, ancbufsize?: number, flags?: number): Promise<RecvmsgResult> {
    return quiet(recvmsg(this, bufsize, ancbufsize, flags));
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
    return dupDatagramSocket(this);
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

  // ---- readiness (select) ------------------------------------------------

  /** @ignore */
  override _ready(events: number): number {
    this.checkOpen();
    let ready = events & 2; // a datagram send never waits for the peer
    if (events & 1) {
      // A connected socket drops other senders' datagrams, as recv would.
      while (this.#ready.length > 0 && !this.#fromPeer(this.#ready[0][1])) this.#ready.shift();
      if (this.#ready.length > 0 || this.#receiveError) ready |= 1;
    }
    return ready;
  }

  /** @ignore */
  override _watch(events: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!(events & 1)) return new Promise<void>(() => {});
    const conn = this.#conn;
    if (!conn) return (this.#whenBound ??= Promise.withResolvers<void>()).promise;
    return this.#inFlight(conn);
  }

  /** The receive in flight (started if none), as a promise that never rejects. */
  #inFlight(conn: Deno.DatagramConn): Promise<void> {
    const receiving = this.#receiving ??= this.#receiveAhead(conn);
    return receiving.then(ignoreResult, ignoreResult);
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
      this.#setIpOption(level, option, value);
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
    const v6 = this.family === AF_INET6;
    if (level === IPPROTO_IP && !v6 || level === IPPROTO_IPV6 && v6) {
      if (option === (v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP)) return this.#options.loop;
      if (option === (v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL)) return this.#options.ttl;
    }
    const name = checkOption(level, option, this.family, this.type, "get");
    switch (name) {
      case "type":
        return this.type;
      case "domain":
        return this.family;
      case "protocol":
        return protocolOf(this.family, this.type, this.proto);
      case "error": {
        const failure = this.#optionError;
        this.#optionError = null;
        return failure?.errno ?? 0;
      }
      case "reuseaddr":
      case "reuseport":
      case "broadcast":
        return this.#options[name];
      default:
        return 0;
    }
  }

  #setIpOption(level: number, option: number, value: unknown): void {
    const v6 = this.family === AF_INET6;
    const where = "setsockopt()";
    if ((level === IPPROTO_IPV6) !== v6) {
      throw noOption(
        `${v6 ? "IPPROTO_IP" : "IPPROTO_IPV6"} options on an ${v6 ? "AF_INET6" : "AF_INET"} socket`,
      );
    }
    if (option === (v6 ? IPV6_JOIN_GROUP : IP_ADD_MEMBERSHIP)) {
      const { group, iface, key } = parseMreq(value, v6);
      if (this.#groups.has(key)) {
        throw new OSError(errno.EADDRINUSE, null, { detail: `already a member of ${group}` });
      }
      this.#join(key, group, iface);
    } else if (option === (v6 ? IPV6_LEAVE_GROUP : IP_DROP_MEMBERSHIP)) {
      const { group, key } = parseMreq(value, v6);
      const entry = this.#groups.get(key);
      if (!entry) {
        throw new OSError(errno.EADDRNOTAVAIL, null, { detail: `not a member of ${group}` });
      }
      this.#groups.delete(key);
      this.#onGroup(entry, (membership) => membership.leave());
    } else if (option === (v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP)) {
      const on = optionValue(intValue(value, where), where);
      if (this.#conn && on !== this.#options.loop) {
        if (this.#groups.size === 0) {
          throw noOption(
            "Deno sets multicast loopback at bind or on a joined group: set it before bind() or after IP_ADD_MEMBERSHIP",
          );
        }
        for (const entry of this.#groups.values()) {
          this.#onGroup(entry, (membership) => membership.setLoopback(on === 1));
        }
      }
      this.#options.loop = on;
    } else if (!v6 && option === IP_MULTICAST_TTL) {
      let ttl = intValue(value, where);
      if (ttl === -1) ttl = 1;
      if (ttl < 0 || ttl > 255) {
        throw new OSError(errno.EINVAL, null, { detail: `IP_MULTICAST_TTL ${ttl}` });
      }
      if (ttl !== this.#options.ttl) {
        const entries = [...this.#groups.values()];
        if (entries.length === 0 || !this.#conn) {
          throw noOption(
            "Deno sets the multicast TTL only on a joined group: join one (IP_ADD_MEMBERSHIP) first",
          );
        }
        for (const entry of entries) {
          this.#onGroup(
            entry,
            (membership) => (membership as Deno.MulticastV4Membership).setTTL(ttl),
          );
        }
      }
      this.#options.ttl = ttl;
    } else {
      throw noOption(`Deno cannot set option ${option} at level ${level} on a datagram socket`);
    }
  }

  #join(key: string, group: string, iface: string | number): void {
    const entry: Group = { membership: null, joined: null };
    this.#groups.set(key, entry);
    const run = () => {
      if (this.#groups.get(key) !== entry) return; // dropped before bind
      const conn = this.#conn!;
      const joining: Promise<Membership> = typeof iface === "number"
        ? conn.joinMulticastV6(group, iface)
        : conn.joinMulticastV4(group, iface);
      entry.joined = joining.then(async (membership) => {
        entry.membership = membership;
        if (this.#options.ttl !== 1 && "setTTL" in membership) {
          await membership.setTTL(this.#options.ttl);
        }
      }, (e) => {
        // A failed join leaves no membership behind (a drop is EADDRNOTAVAIL).
        if (this.#groups.get(key) === entry) this.#groups.delete(key);
        throw e;
      });
      this.#track(entry.joined);
    };
    if (this.#conn) run();
    else this.#pendingJoins.push(run);
  }

  /** Changes a group's membership once its join is done (nothing if it failed or is pending). */
  #onGroup(entry: Group, change: (membership: Membership) => Promise<void>): void {
    if (!entry.joined) return; // not bound yet: the join applies the options itself
    this.#track(entry.joined.then(
      () => entry.membership ? change(entry.membership) : undefined,
      () => {}, // the join's own failure is reported once, by the join
    ));
  }

  /** Keeps an option change Deno makes asynchronously; the next call waits for it. */
  #track(op: Promise<unknown>): void {
    const done = op.then(() => {}, (e) => {
      if (!this.closed) this.#optionError ??= toOSError(e);
    });
    const all: Promise<void> = Promise.all([this.#optionOps, done]).then(() => {
      if (this.#optionOps === all) this.#optionOps = null;
    });
    this.#optionOps = all;
  }

  async #settleOptions(deadline: Deadline): Promise<void> {
    if (this.#optionOps) await this.#wait(this.#optionOps, deadline);
    const failure = this.#optionError;
    if (failure) {
      this.#optionError = null;
      throw failure;
    }
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
    this.#ready = [];
    this.#groups.clear();
    this.#pendingJoins = [];
    this.#whenBound?.resolve();
    this.#whenBound = null;
  }

  #fail(e: unknown, target?: UdpTarget): OSError {
    if (this.closed) return badf(e);
    return toOSError(e, { address: target ? formatTarget(target) : undefined });
  }

  /**
   * CPython's repr: `<socket.socket fd=3, family=2, type=2, proto=0,
   * laddr=('127.0.0.1', 5000)>` (and `raddr` once connected), with
   * `[closed]` (and no addresses) once closed.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
   * using sock = socket(AF_INET, SOCK_DGRAM);
   * console.log(String(sock)); // <socket.socket fd=3, family=2, type=2, proto=0, laddr=('0.0.0.0', 0)>
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

// sendto and recvfrom see to it themselves (quiet), their fast paths only
// when they fail.
quietRejections(DatagramSocket.prototype, [
  "connect",
  "connect_ex",
  "send",
  "sendall",
  "recv",
  "recvfrom_into",
  "recv_into",
]);

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIPv4(host)) return host.startsWith("127.");
  return canonicalHost(host) === "::1";
}

function noOption(detail: string): OSError {
  return new OSError(errno.ENOPROTOOPT, null, { detail });
}

function intValue(value: unknown, where: string): number {
  if (ArrayBuffer.isView(value) && value instanceof Uint8Array) {
    if (value.length === 1) return value[0];
    if (value.length === 4) {
      return new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    }
    throw new OSError(errno.EINVAL, null, { detail: `${where}: value of ${value.length} bytes` });
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: value must be an integer, not ${describe(value)}`);
  }
  return value;
}

/** Reads Python's `ip_mreq` / `ip_mreqn` / `ipv6_mreq` bytes. */
function parseMreq(
  value: unknown,
  v6: boolean,
): { group: string; iface: string | number; key: string } {
  if (!(ArrayBuffer.isView(value) && value instanceof Uint8Array)) {
    throw new TypeError(
      `setsockopt(): a multicast membership takes ${
        v6
          ? "ipv6_mreq bytes (16-byte group, 4-byte interface index)"
          : "ip_mreq bytes (group, interface address)"
      }, not ${describe(value)}`,
    );
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (v6) {
    if (value.length < 20) {
      throw new OSError(errno.EINVAL, null, { detail: "ipv6_mreq is 20 bytes" });
    }
    const group = inet_ntop(AF_INET6, value.subarray(0, 16));
    if (value[0] !== 0xff) {
      throw new OSError(errno.EINVAL, null, { detail: `${group} is not a multicast address` });
    }
    const index = view.getUint32(16, true);
    return { group, iface: index, key: `${group}%${index}` };
  }
  if (value.length < 8) throw new OSError(errno.EINVAL, null, { detail: "ip_mreq is 8 bytes" });
  const group = inet_ntop(AF_INET, value.subarray(0, 4));
  if (value[0] < 224 || value[0] > 239) {
    throw new OSError(errno.EINVAL, null, { detail: `${group} is not a multicast address` });
  }
  const iface = inet_ntop(AF_INET, value.subarray(4, 8));
  if (value.length >= 12 && view.getInt32(8, true) !== 0) {
    throw noOption(
      "ip_mreqn with an interface index: Deno joins by interface address; pass ip_mreq",
    );
  }
  return { group, iface, key: `${group}@${iface}` };
}
