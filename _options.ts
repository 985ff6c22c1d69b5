/**
 * Argument checks shared by every socket kind: data, flags, protocol
 * numbers and socket options. Each check runs before any I/O and names the
 * argument it rejects.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SO_ACCEPTCONN,
  SO_BROADCAST,
  SO_DOMAIN,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_PROTOCOL,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import { errno, OSError, OverflowError } from "./errors.ts";
import { describe, show } from "./_address.ts";
import type { CallOptions } from "./_deadlines.ts";

const encoder = new TextEncoder();

/** Data to send: bytes, any view on bytes, or a string (sent as UTF-8). */
export type Data = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/** True when `buffer` was detached (transferred); a `SharedArrayBuffer` never is. */
export function isDetached(buffer: ArrayBufferLike): boolean {
  return (buffer as { detached?: boolean }).detached === true;
}

/** The error for a buffer that was detached (transferred) before or during a call. */
export function detachedError(where: string, name: string): TypeError {
  return new TypeError(`${where}: ${name} is a view on a detached (transferred) ArrayBuffer`);
}

/** `value instanceof ArrayBuffer`, false for a revoked proxy instead of throwing. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  try {
    return value instanceof ArrayBuffer;
  } catch {
    return false;
  }
}

/** Turns what the caller may send into bytes, or throws a `TypeError` naming `name`. */
export function toBytes(data: unknown, where: string, name = "data"): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  // ArrayBuffer.isView reads an internal slot: no proxy trap can throw here.
  if (ArrayBuffer.isView(data)) {
    if (isDetached(data.buffer)) throw detachedError(where, name);
    if (data instanceof Uint8Array) return data;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (isArrayBuffer(data)) {
    if (isDetached(data)) throw detachedError(where, name);
    return new Uint8Array(data);
  }
  throw new TypeError(
    `${where}: ${name} must be a Uint8Array, an ArrayBufferView or a string, not ${describe(data)}`,
  );
}

/**
 * A writable byte view of `buffer` (a `Uint8Array`, any `ArrayBufferView`
 * or an `ArrayBuffer`), for the `*_into` calls; `TypeError` otherwise.
 */
export function writableView(buffer: unknown, where: string): Uint8Array {
  if (ArrayBuffer.isView(buffer)) {
    if (isDetached(buffer.buffer)) throw detachedError(where, "buffer");
    if (buffer instanceof Uint8Array) return buffer;
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  if (isArrayBuffer(buffer)) {
    if (isDetached(buffer)) throw detachedError(where, "buffer");
    return new Uint8Array(buffer);
  }
  throw new TypeError(
    `${where}: buffer must be a Uint8Array, an ArrayBufferView or an ArrayBuffer, not ${
      describe(buffer)
    }`,
  );
}

/**
 * The part of `buffer` a `*_into` call fills: its first `nbytes` bytes (0:
 * all of it), after the checks CPython makes, with CPython's words.
 */
export function intoTarget(
  buffer: unknown,
  nbytes: unknown,
  where: string,
  datagram = false,
): Uint8Array {
  const view = writableView(buffer, where);
  checkBufsize(nbytes, where, "nbytes");
  const n = nbytes as number;
  if (n > view.length) {
    // CPython's words differ between the stream and the datagram calls.
    throw new RangeError(
      datagram
        ? `${where}: nbytes is greater than the length of the buffer (${n} > ${view.length})`
        : `${where}: buffer too small for requested bytes (nbytes ${n} > ${view.length})`,
    );
  }
  return n === 0 || n === view.length ? view : view.subarray(0, n);
}

/**
 * The largest receive size: what one buffer of V8's can hold. CPython
 * allocates `bufsize` bytes too and fails with `MemoryError` past what it can.
 */
export const MAX_BUFSIZE = 2 ** 32;
/** CPython's `Py_ssize_t` holds less than this (2^63 - 1 is not a double). */
const SSIZE_LIMIT = 2 ** 63;

/** Checks that a receive size (`bufsize`, `nbytes`) is an integer >= 0 that fits one buffer. */
export function checkBufsize(value: unknown, where: string, name = "bufsize"): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, not ${describe(value)}`);
  }
  if (value >= SSIZE_LIMIT || value < -SSIZE_LIMIT) {
    throw new OverflowError(`${where}: ${name}: Python int too large to convert to C ssize_t`);
  }
  if (value < 0) throw new RangeError(`${where}: negative ${name} (${value})`);
  if (value > MAX_BUFSIZE) {
    throw new RangeError(
      `${where}: ${name} ${value} is larger than one buffer can be (${MAX_BUFSIZE} bytes)`,
    );
  }
}

/**
 * Checks an integer CPython passes as a C `int`: `OverflowError` with its
 * message outside -2^31..2^31-1.
 */
export function checkInt32(value: number, where: string, name: string): number {
  if (value > 0x7fffffff) {
    throw new OverflowError(`${where}: ${name}: signed integer is greater than maximum`);
  }
  if (value < -0x80000000) {
    throw new OverflowError(`${where}: ${name}: signed integer is less than minimum`);
  }
  return value;
}

/** Checks a `listen` backlog: an integer that fits a C `int`, as CPython. */
export function checkBacklog(backlog: unknown, where: string): number {
  if (typeof backlog !== "number" || !Number.isInteger(backlog)) {
    throw new TypeError(`${where}: backlog must be an integer, not ${describe(backlog)}`);
  }
  return checkInt32(backlog, where, "backlog");
}

/**
 * Lets `flags` be omitted before `{ signal }`: `recv(n, { signal })`. Any
 * other object where `flags` goes (unknown keys, a class instance) is a
 * `TypeError`, not options.
 */
export function splitOptions(
  flags: number | CallOptions | undefined,
  options: CallOptions | undefined,
  where: string,
): [number, CallOptions | undefined] {
  if (flags === undefined) return [0, options];
  if (typeof flags === "object" && flags !== null) {
    if (options === undefined && isOptions(flags)) return [0, flags];
    throw new TypeError(`${where}: flags must be an integer, not ${describe(flags)}`);
  }
  return [flags, options];
}

/** A plain object whose only own key, if any, is `signal`. */
function isOptions(value: object): value is CallOptions {
  try {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key of Reflect.ownKeys(value)) if (key !== "signal") return false;
    return true;
  } catch {
    return false; // a revoked proxy
  }
}

/** Checks that `flags` is a 32-bit integer made only of `allowed` bits. */
export function checkFlags(flags: unknown, allowed: number, where: string): number {
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(`${where}: flags must be an integer, not ${describe(flags)}`);
  }
  checkInt32(flags, where, "flags");
  if (flags < 0 || (flags & ~allowed) !== 0) {
    throw new RangeError(
      `${where}: unsupported flags 0x${flags.toString(16)} (supported: 0x${allowed.toString(16)})`,
    );
  }
  return flags;
}

/**
 * Checks a family for `socket()`.
 */
export function checkFamily(family: unknown): number {
  if (typeof family !== "number" || !Number.isInteger(family)) {
    throw new TypeError(`socket(): family must be an integer, not ${describe(family)}`);
  }
  if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
    throw new OSError(errno.EAFNOSUPPORT, null, {
      detail: `family ${family} (use AF_INET, AF_INET6 or AF_UNIX)`,
    });
  }
  return family;
}

/**
 * The checks a socket class makes of its arguments: the family, that the
 * type is `want` (the class's own), and the protocol.
 */
export function checkKind(
  family: unknown,
  type: unknown,
  proto: unknown,
  want: number,
  name: string,
  families: readonly number[] = [AF_INET, AF_INET6, AF_UNIX],
): void {
  checkFamily(family);
  if (type !== want) {
    throw new OSError(errno.EINVAL, null, {
      detail: `${name} is for ${want === SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM"}; got type ${
        show(type)
      }`,
    });
  }
  if (!families.includes(family as number)) {
    throw new OSError(errno.EAFNOSUPPORT, null, {
      detail: "datagram sockets are AF_INET or AF_INET6 (Unix datagram sockets are not supported)",
    });
  }
  checkProto(family as number, want, proto);
}

/** Checks `proto` against the family and type, as the kernel would. */
export function checkProto(family: number, type: number, proto: unknown): number {
  if (typeof proto !== "number" || !Number.isInteger(proto)) {
    throw new TypeError(`socket(): proto must be an integer, not ${describe(proto)}`);
  }
  const native = type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  if (proto !== 0 && (family === AF_UNIX || proto !== native)) {
    throw new OSError(errno.EPROTONOSUPPORT, null, {
      detail: `socket(): proto ${proto} with type ${type}`,
    });
  }
  return proto;
}

/** The options this library understands, by name. */
export type OptionName =
  | "nodelay"
  | "keepalive"
  | "reuseaddr"
  | "reuseport"
  | "broadcast"
  | "type"
  | "error"
  | "acceptconn"
  | "domain"
  | "protocol";

const SOCKET_OPTIONS: Record<number, OptionName> = {
  [SO_REUSEADDR]: "reuseaddr",
  [SO_REUSEPORT]: "reuseport",
  [SO_KEEPALIVE]: "keepalive",
  [SO_BROADCAST]: "broadcast",
  [SO_TYPE]: "type",
  [SO_ERROR]: "error",
  [SO_ACCEPTCONN]: "acceptconn",
  [SO_DOMAIN]: "domain",
  [SO_PROTOCOL]: "protocol",
};

/** Options the socket's own state answers, on every kind of socket; read-only. */
const STATE = new Set<OptionName>(["type", "error", "acceptconn", "domain", "protocol"]);

const STREAM_ONLY = new Set<OptionName>(["nodelay", "keepalive"]);
const DGRAM_ONLY = new Set<OptionName>(["broadcast"]);

/**
 * Names the option `(level, option)` for a socket of `family`/`type`, or
 * throws `OSError` `ENOPROTOOPT` (`EOPNOTSUPP` for TCP options on a Unix
 * socket) when Deno cannot honour it.
 */
export function checkOption(
  level: unknown,
  option: unknown,
  family: number,
  type: number,
  access: "get" | "set",
): OptionName {
  for (const [name, value] of [["level", level], ["option", option]] as const) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(`${access}sockopt(): ${name} must be an integer, not ${describe(value)}`);
    }
  }
  let name: OptionName | undefined;
  if (level === SOL_SOCKET) name = SOCKET_OPTIONS[option as number];
  else if (level === IPPROTO_TCP && option === TCP_NODELAY) {
    if (family === AF_UNIX) {
      throw new OSError(errno.EOPNOTSUPP, null, {
        detail: "TCP_NODELAY on an AF_UNIX socket",
      });
    }
    name = "nodelay";
  }
  const wrongKind = name !== undefined &&
    ((type === SOCK_DGRAM && STREAM_ONLY.has(name)) ||
      (type === SOCK_STREAM && DGRAM_ONLY.has(name)) ||
      (family === AF_UNIX && !STATE.has(name)));
  const readOnly = access === "set" && name !== undefined && STATE.has(name);
  if (name === undefined || wrongKind || readOnly) {
    throw new OSError(errno.ENOPROTOOPT, null, {
      detail: `Deno cannot ${access} option ${option} at level ${level}${
        level === IPPROTO_IP || level === IPPROTO_IPV6 ? " (IP-level)" : ""
      } on this socket`,
    });
  }
  return name;
}

/** Checks an option value (an integer or boolean) and folds it to 0 or 1. */
export function optionValue(value: unknown, where: string): 0 | 1 {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: value must be an integer or boolean, not ${describe(value)}`);
  }
  return value === 0 ? 0 : 1;
}

/** True when Deno runs with `--unstable-net` (its datagram API exists). */
export function unstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/**
 * `SO_PROTOCOL`: the protocol a socket really uses (TCP or UDP when it was
 * made with 0, as the kernel fills it in; 0 for Unix sockets).
 */
export function protocolOf(family: number, type: number, proto: number): number {
  if (proto !== 0 || family === AF_UNIX) return proto;
  return type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
}
