/**
 * What Python's `socket` module has and Deno cannot do, in one place: each
 * exists by name and throws `OSError` saying why (README: "What Deno cannot
 * do"). `sendmsg`/`recvmsg` work without ancillary data and refuse it.
 *
 * @module
 */

import { MSG_TRUNC, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET } from "./constants.ts";
import { errno, OSError } from "./errors.ts";
import { type Address, describe, type SocketAddress } from "./_address.ts";
import { checkBufsize, type Data, toBytes } from "./_options.ts";

/** An ancillary data item of `sendmsg`/`recvmsg`: `[cmsg_level, cmsg_type, cmsg_data]`. */
export type Ancillary = [cmsg_level: number, cmsg_type: number, cmsg_data: Uint8Array];

/** `recvmsg`'s result: `[data, ancdata, msg_flags, address]` (address `null` on a stream). */
export type RecvmsgResult = [
  data: Uint8Array<ArrayBuffer>,
  ancdata: Ancillary[],
  msg_flags: number,
  address: SocketAddress | null,
];

function cannot(what: string, why: string): OSError {
  return new OSError(errno.EOPNOTSUPP, null, { detail: `${what}: ${why}` });
}

const NO_ANCILLARY = "Deno has no sendmsg()/recvmsg(): ancillary data (SCM_RIGHTS, " +
  "SCM_CREDENTIALS, IP_PKTINFO...) can be neither sent nor received";

const NO_DESCRIPTORS = "Deno exposes no OS file descriptors, so a socket cannot be made from one";

/**
 * Python's `socket.fromfd`: not possible in Deno, which exposes no OS file
 * descriptors (a socket's `fileno()` is this library's own number).
 *
 * @example
 * ```ts
 * import { AF_INET, fromfd, SOCK_STREAM } from "@seed/socket";
 * try {
 *   fromfd(3, AF_INET, SOCK_STREAM);
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
export function fromfd(_fd: number, _family: number, _type: number, _proto?: number): never;
export function fromfd(_fd: number, _family: number, _type: number, _proto: number = 0): never {
  throw cannot("fromfd()", NO_DESCRIPTORS);
}

/**
 * Python's `socket.close(fd)` (closing an OS descriptor): Deno exposes
 * none; close the socket object itself (`sock.close()`).
 *
 * @example
 * ```ts
 * import { close } from "@seed/socket";
 * try {
 *   close(3);
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
export function close(_fd: number): never {
  throw cannot("close()", "Deno exposes no OS file descriptors; call sock.close()");
}

/**
 * Python's `socket.dup(fd)` (duplicating an OS descriptor): Deno exposes
 * none; duplicate the socket object instead (`sock.dup()`).
 *
 * @example
 * ```ts
 * import { dup } from "@seed/socket";
 * try {
 *   dup(3);
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
export function dup(_fd: number): never {
  throw cannot("dup()", "Deno exposes no OS file descriptors; call sock.dup()");
}

/**
 * Python's `socket.fromshare` (Windows): not possible in Deno, which has
 * no `WSADuplicateSocket` and exposes no socket handles.
 *
 * @example
 * ```ts
 * import { fromshare } from "@seed/socket";
 * try {
 *   fromshare(new Uint8Array(0));
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
export function fromshare(_info: Uint8Array): never {
  throw cannot("fromshare()", "Deno exposes no socket handles to share between processes");
}

/**
 * Python's `socket.sethostname`: Deno has no API to set the host name
 * (`Deno.hostname()` only reads it).
 *
 * @example
 * ```ts
 * import { sethostname } from "@seed/socket";
 * try {
 *   sethostname("box");
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
export function sethostname(_name: string): never {
  throw cannot("sethostname()", "Deno has no API to set the host name (Deno.hostname() reads it)");
}

const NO_INDEXES = "Deno exposes no interface indexes (Deno.networkInterfaces() lists names " +
  "and addresses only)";

/**
 * Python's `socket.if_nameindex`: Deno exposes no network interface
 * indexes. `Deno.networkInterfaces()` (with `--allow-sys=networkInterfaces`)
 * lists the names and addresses.
 *
 * @example
 * ```ts
 * import { if_nameindex } from "@seed/socket";
 * try {
 *   if_nameindex();
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
// deno-lint-ignore camelcase
export function if_nameindex(): never {
  throw cannot("if_nameindex()", NO_INDEXES);
}

/**
 * Python's `socket.if_nametoindex`: Deno exposes no interface indexes.
 *
 * @example
 * ```ts
 * import { if_nametoindex } from "@seed/socket";
 * try {
 *   if_nametoindex("lo");
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
// deno-lint-ignore camelcase
export function if_nametoindex(_if_name: string): never {
  throw cannot("if_nametoindex()", NO_INDEXES);
}

/**
 * Python's `socket.if_indextoname`: Deno exposes no interface indexes.
 *
 * @example
 * ```ts
 * import { if_indextoname } from "@seed/socket";
 * try {
 *   if_indextoname(1);
 * } catch (e) {
 *   console.log(String(e));
 * }
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
// deno-lint-ignore camelcase
export function if_indextoname(_if_index: number): never {
  throw cannot("if_indextoname()", NO_INDEXES);
}

/** `sizeof(struct cmsghdr)` on 64-bit Linux. */
const CMSG_HEADER = 16;
/** The largest ancillary length CPython accepts (`INT_MAX`). */
const CMSG_LIMIT = 2 ** 31 - 1;

function cmsgArg(length: unknown, fn: string): number {
  if (typeof length !== "number" || !Number.isInteger(length)) {
    throw new TypeError(`${fn}(): length must be an integer, not ${describe(length)}`);
  }
  return length;
}

/**
 * Python's `socket.CMSG_LEN(length)`: the size of an ancillary item
 * carrying `length` bytes, as 64-bit Linux lays it out (no padding after
 * the data). Computed here for ported code; Deno itself cannot send or
 * receive ancillary data.
 *
 * @example
 * ```ts
 * import { CMSG_LEN } from "@seed/socket";
 * console.log(CMSG_LEN(4)); // 20
 * ```
 *
 * @throws {RangeError} `length` is negative or too large (CPython's `OverflowError`).
 * @throws {TypeError} `length` is not an integer.
 */
export function CMSG_LEN(length: number): number {
  const n = cmsgArg(length, "CMSG_LEN");
  if (n < 0 || n > CMSG_LIMIT - CMSG_HEADER) {
    throw new RangeError("CMSG_LEN() argument out of range");
  }
  return CMSG_HEADER + n;
}

/**
 * Python's `socket.CMSG_SPACE(length)`: the buffer size an ancillary item
 * of `length` data bytes takes, padding included (64-bit Linux).
 *
 * @example
 * ```ts
 * import { CMSG_SPACE } from "@seed/socket";
 * console.log(CMSG_SPACE(4)); // 24
 * ```
 *
 * @throws {RangeError} `length` is negative or too large (CPython's `OverflowError`).
 * @throws {TypeError} `length` is not an integer.
 */
export function CMSG_SPACE(length: number): number {
  const n = cmsgArg(length, "CMSG_SPACE");
  // CPython's bound: the length plus CMSG_SPACE(1) must fit.
  if (n < 0 || n > CMSG_LIMIT - (CMSG_HEADER + 8)) {
    throw new RangeError("CMSG_SPACE() argument out of range");
  }
  return CMSG_HEADER + Math.ceil(n / 8) * 8;
}

/**
 * Python's `socket.send_fds(sock, buffers, fds)`: file descriptors travel
 * as ancillary data (`SCM_RIGHTS`), which Deno can neither send nor
 * receive, and Deno exposes no descriptors to send.
 *
 * Cancel safety: nothing is sent.
 *
 * @example
 * ```ts
 * import { send_fds, socket } from "@seed/socket";
 * using sock = socket();
 * await send_fds(sock, ["x"], [0]).catch((e) => console.log(String(e)));
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
// deno-lint-ignore camelcase
export function send_fds(
  _sock: MessageSocket,
  _buffers: Iterable<Data>,
  _fds: Iterable<number>,
  _flags?: number,
  _address?: Address,
): Promise<never> {
  const failed = Promise.reject(cannot("send_fds()", NO_ANCILLARY));
  failed.catch(() => {});
  return failed;
}

/**
 * Python's `socket.recv_fds(sock, bufsize, maxfds)`: see
 * {@linkcode send_fds}; Deno cannot receive descriptors.
 *
 * Cancel safety: nothing is received.
 *
 * @example
 * ```ts
 * import { recv_fds, socket } from "@seed/socket";
 * using sock = socket();
 * await recv_fds(sock, 1024, 1).catch((e) => console.log(String(e)));
 * ```
 *
 * @throws {OSError} Always: `EOPNOTSUPP`, saying why.
 */
// deno-lint-ignore camelcase
export function recv_fds(
  _sock: MessageSocket,
  _bufsize: number,
  _maxfds: number,
  _flags?: number,
): Promise<never> {
  const failed = Promise.reject(cannot("recv_fds()", NO_ANCILLARY));
  failed.catch(() => {});
  return failed;
}

/**
 * The error `socket()` gives for a socket type Deno has no API for
 * (`SOCK_RAW`, `SOCK_SEQPACKET`, `SOCK_RDM`), or `null` for any other type.
 * @ignore
 */
export function unsupportedType(type: number): OSError | null {
  const why = type === SOCK_RAW
    ? "raw sockets: Deno has no raw socket API"
    : type === SOCK_SEQPACKET
    ? "SOCK_SEQPACKET: Deno has no sequenced-packet sockets"
    : type === SOCK_RDM
    ? "SOCK_RDM: Deno has no reliably-delivered-message sockets"
    : null;
  return why === null
    ? null
    : new OSError(errno.ESOCKTNOSUPPORT, null, { detail: `socket(): ${why}` });
}

/** What `sendmsg`/`recvmsg` (and `send_fds`/`recv_fds`) take: a socket of this library. */
export interface MessageSocket {
  /** `SOCK_STREAM` or `SOCK_DGRAM`. */
  readonly type: number;
  /** The socket's `send`. */
  send(data: Uint8Array, flags?: number): Promise<number>;
  /** The socket's `recv`. */
  recv(bufsize: number, flags?: number): Promise<Uint8Array>;
}

/** What they need of a datagram socket. @ignore */
export interface DatagramMessageSocket extends MessageSocket {
  sendto(data: Uint8Array, flags: number, address: Address): Promise<number>;
  recvfrom(bufsize: number, flags?: number): Promise<[Uint8Array, SocketAddress]>;
}

function isDatagram(sock: MessageSocket): sock is DatagramMessageSocket {
  return sock.type === SOCK_DGRAM;
}

/**
 * `sock.sendmsg(buffers, ancdata, flags, address)`: the buffers as one
 * send (one datagram); ancillary data rejects with `OSError`.
 * @ignore
 */
export async function sendmsg(
  sock: MessageSocket,
  buffers: Iterable<Data>,
  ancdata: Iterable<Ancillary> = [],
  flags: number = 0,
  address?: Address | null,
): Promise<number> {
  if (buffers === null || typeof buffers !== "object" || !(Symbol.iterator in buffers)) {
    throw new TypeError(
      `sendmsg(): buffers must be an iterable of bytes, not ${describe(buffers)}`,
    );
  }
  if (ancdata === null || typeof ancdata !== "object" || !(Symbol.iterator in ancdata)) {
    throw new TypeError(`sendmsg(): ancdata must be an iterable, not ${describe(ancdata)}`);
  }
  const parts = Array.from(buffers, (b) => toBytes(b, "sendmsg()"));
  if (Array.from(ancdata).length > 0) throw cannot("sendmsg()", NO_ANCILLARY);
  const size = parts.reduce((n, p) => n + p.length, 0);
  const data = parts.length === 1 ? parts[0] : new Uint8Array(size);
  if (parts.length !== 1) {
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
  }
  if (isDatagram(sock) && address !== undefined && address !== null) {
    return await sock.sendto(data, flags, address);
  }
  // A stream socket ignores the address, as Linux's TCP does.
  return await sock.send(data, flags);
}

/**
 * `sock.recvmsg(bufsize, ancbufsize, flags)`: one receive; `MSG_TRUNC` in
 * `msg_flags` when a datagram was longer than `bufsize`. Asking for
 * ancillary data rejects with `OSError`.
 * @ignore
 */
export async function recvmsg(
  sock: MessageSocket,
  bufsize: number,
  ancbufsize: number = 0,
  flags: number = 0,
): Promise<RecvmsgResult> {
  checkBufsize(bufsize, "recvmsg()");
  checkBufsize(ancbufsize, "recvmsg()", "ancbufsize");
  if (ancbufsize > 0) throw cannot("recvmsg()", NO_ANCILLARY);
  if (!isDatagram(sock)) {
    const data = await sock.recv(bufsize, flags);
    return [ownBytes(data), [], 0, null];
  }
  // A datagram is consumed whole whatever the size asked for: one byte
  // more tells whether it was cut, as the kernel's MSG_TRUNC does.
  const [data, address] = await sock.recvfrom(bufsize + 1, flags);
  const cut = data.length > bufsize;
  return [ownBytes(cut ? data.subarray(0, bufsize) : data), [], cut ? MSG_TRUNC : 0, address];
}

/** `bytes` over a plain `ArrayBuffer` (copied only when it is not). */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;
}
