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
import { errno, OSError } from "./errors.ts";
import { describe } from "./_address.ts";
import type { CallOptions } from "./_deadlines.ts";

const encoder = new TextEncoder();

/** Data to send: bytes, any view on bytes, or a string (sent as UTF-8). */
export type Data = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/** Turns what the caller may send into bytes, or throws a `TypeError`. */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(
    `${where}: data must be a Uint8Array, an ArrayBufferView or a string, not ${describe(data)}`,
  );
}

/**
 * A writable byte view of `buffer` (a `Uint8Array`, any `ArrayBufferView`
 * or an `ArrayBuffer`), for the `*_into` calls; `TypeError` otherwise.
 */
export function writableView(buffer: unknown, where: string): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
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
export function intoTarget(buffer: unknown, nbytes: unknown, where: string): Uint8Array {
  const view = writableView(buffer, where);
  checkBufsize(nbytes, where, "nbytes");
  const n = nbytes as number;
  if (n > view.length) {
    throw new RangeError(
      where === "recv_into()"
        ? `${where}: buffer too small for requested bytes (nbytes ${n} > ${view.length})`
        : `${where}: nbytes is greater than the length of the buffer (${n} > ${view.length})`,
    );
  }
  return n === 0 || n === view.length ? view : view.subarray(0, n);
}

/** Checks that a receive size (`bufsize`, `nbytes`) is an integer >= 0. */
export function checkBufsize(value: unknown, where: string, name = "bufsize"): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, not ${describe(value)}`);
  }
  if (value < 0) throw new RangeError(`${where}: negative ${name} (${value})`);
}

/** Lets `flags` be omitted before `{ signal }`: `recv(n, { signal })`. */
export function splitOptions(
  flags: number | CallOptions | undefined,
  options: CallOptions | undefined,
): [number, CallOptions | undefined] {
  if (flags === undefined) return [0, options];
  if (typeof flags === "object" && flags !== null) return [0, flags];
  return [flags, options];
}

/** Checks that `flags` is an integer made only of `allowed` bits. */
export function checkFlags(flags: unknown, allowed: number, where: string): number {
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(`${where}: flags must be an integer, not ${describe(flags)}`);
  }
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
      detail: `${name} is for ${
        want === SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM"
      }; got type ${type}`,
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
