/**
 * Address checking and conversion between Python's shapes (`[host, port]`,
 * `[host, port, flowinfo, scope_id]`, a path) and Deno's `Addr` objects.
 * Every check runs before any I/O and names the argument it rejects.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";
import { gaierror } from "./errors.ts";

/** An IPv4 address: `[host, port]`. */
export type IPv4Address = [host: string, port: number];
/** An IPv6 address: `[host, port, flowinfo, scope_id]` (the last two optional on input). */
export type IPv6Address =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number]
  | [host: string, port: number, flowinfo: number, scope_id: number];
/** Any address a socket takes: a tuple for IP families, a path for AF_UNIX. */
export type Address = IPv4Address | IPv6Address | string;
/** An address as returned by `getsockname`, `accept`, `recvfrom`… */
export type SocketAddress =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number, scope_id: number]
  | string;

/** A checked destination, ready for Deno. */
export type Target =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

const SHAPE4 = "(host, port)";
const SHAPE6 = "(host, port[, flowinfo[, scope_id]])";
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True when `host` is a dotted-quad IPv4 literal. */
export function isIPv4(host: string): boolean {
  return IPV4.test(host);
}

/** True when `host` looks like an IPv6 literal. */
export function isIPv6(host: string): boolean {
  return host.includes(":");
}

/** Checks a port number: an integer in 0–65535. */
export function checkPort(port: unknown, where: string): number {
  if (typeof port !== "number") {
    throw new TypeError(
      `${where}: port must be a number, not ${describe(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${where}: port must be 0-65535, got ${port}`);
  }
  return port;
}

/**
 * A short description of a value's type, for error messages. Never throws:
 * a revoked proxy, a null-prototype object or a `constructor` getter that
 * throws are described, not inspected.
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value !== "object") return typeof value;
  try {
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (value instanceof Uint8Array) return "Uint8Array";
    const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" ? name : "object";
  } catch {
    return "object";
  }
}

/**
 * A value as an error message shows it (`String(value)` for a number or a
 * string, else its {@linkcode describe}); never throws.
 */
export function show(value: unknown): string {
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  return describe(value);
}

/** `Array.isArray` that answers false for a revoked proxy instead of throwing. */
export function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Checks `address` for a socket of `family` and says where Deno should go.
 * `role` picks what an empty host means: the wildcard for bind, the local
 * host for connect (as the kernel treats INADDR_ANY).
 */
export function checkAddress(
  family: number,
  address: unknown,
  where: string,
  role: "bind" | "connect",
): Target {
  if (family === AF_UNIX) {
    if (typeof address !== "string") {
      throw new TypeError(
        `${where}: address for AF_UNIX must be a path string, not ${describe(address)}`,
      );
    }
    if (address.length === 0) {
      throw new TypeError(`${where}: AF_UNIX path must not be empty`);
    }
    if (address.includes("\0")) {
      throw new TypeError(
        `${where}: AF_UNIX path must not contain NUL (abstract sockets are not supported by Deno)`,
      );
    }
    if (new TextEncoder().encode(address).length > 107) {
      throw new RangeError(`${where}: AF_UNIX path too long (over 107 bytes)`);
    }
    return { transport: "unix", path: address };
  }
  const v6 = family === AF_INET6;
  if (!isArray(address)) {
    throw new TypeError(
      `${where}: address for ${v6 ? "AF_INET6" : "AF_INET"} must be a tuple ${
        v6 ? SHAPE6 : SHAPE4
      }, not ${describe(address)}`,
    );
  }
  if (v6 ? address.length < 2 || address.length > 4 : address.length !== 2) {
    throw new TypeError(
      `${where}: address for ${v6 ? "AF_INET6" : "AF_INET"} must be a tuple ${
        v6 ? SHAPE6 : SHAPE4
      }, got ${address.length} items`,
    );
  }
  // Indexing, not destructuring: this runs on every connect and sendto.
  const host: unknown = address[0];
  const port: unknown = address[1];
  if (typeof host !== "string") {
    throw new TypeError(`${where}: host must be a string, not ${describe(host)}`);
  }
  checkPort(port, where);
  if (address.length > 2) {
    checkFlowField(address[2], "flowinfo", 0xfffff, where);
    checkFlowField(address[3], "scope_id", 0xffffffff, where);
  }
  return { transport: "tcp", hostname: resolveHost(host, v6, role), port: port as number };
}

function checkFlowField(value: unknown, name: string, max: number, where: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer`);
  }
  if (value < 0 || value > max) {
    throw new RangeError(`${where}: ${name} must be 0-${max}, got ${value}`);
  }
}

// The dotted quad seen last: a program talks to the same few hosts.
let lastQuad = "127.0.0.1";

function resolveHost(host: string, v6: boolean, role: "bind" | "connect"): string {
  if (host === "") {
    if (role === "bind") return v6 ? "::" : "0.0.0.0";
    return v6 ? "::1" : "127.0.0.1";
  }
  if (host === "<broadcast>") return "255.255.255.255";
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  // Already a dotted quad (nearly every call): dottedQuad would give it back
  // unchanged, at several µs per connect or sendto (its parse, a typed array
  // and a join).
  if (!v6) {
    if (bare === lastQuad) return bare;
    if (IPV4.test(bare)) {
      lastQuad = bare;
      return bare;
    }
  }
  if (v6 ? isIPv4(bare) : isIPv6(bare)) {
    throw new gaierror(-9, "Address family for hostname not supported", {
      detail: `${host} is an ${v6 ? "IPv4" : "IPv6"} address; use an ${
        v6 ? "AF_INET" : "AF_INET6"
      } socket`,
    });
  }
  // "127.1", "0x7f.1", "2130706433" are 127.0.0.1 to CPython (getaddrinfo);
  // Deno would ask permission for the text as written.
  const quad = v6 ? null : dottedQuad(bare);
  if (quad) return quad;
  // Deno resolves "localhost" to 127.0.0.1 here; an AF_INET6 socket means ::1.
  if (v6 && host === "localhost") return "::1";
  return bare;
}

/** Formats a target the way Deno's permission flags spell it. */
export function formatTarget(target: Target): string {
  if (target.transport === "unix") return `unix:${target.path}`;
  const host = isIPv6(target.hostname) ? `[${target.hostname}]` : target.hostname;
  return `${host}:${target.port}`;
}

/** Converts a Deno address into Python's shape for `family`. */
export function fromDenoAddr(family: number, addr: Deno.Addr): SocketAddress {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return addr.path ?? "";
  }
  const { hostname, port } = addr as Deno.NetAddr;
  if (family === AF_INET6) return [hostname, port, 0, 0];
  return [hostname, port];
}

/** The family a Deno hostname belongs to. */
export function familyOf(hostname: string): number {
  return isIPv6(hostname) ? AF_INET6 : AF_INET;
}

export { AF_INET, AF_INET6, AF_UNIX };

const ATON_PART = /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const SPACE = /[ \t\n\v\f\r]/;

/**
 * Parses what glibc's `inet_aton` accepts, or returns `null`.
 * @ignore
 */
export function parseAton(text: string, trailingSpace: boolean): number | null {
  let body = text;
  const space = text.search(SPACE);
  if (space !== -1) {
    if (!trailingSpace) return null;
    body = text.slice(0, space);
  }
  const parts = body.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    if (!ATON_PART.test(part)) return null;
    const value = Number(
      part.length > 1 && part[0] === "0" && !/[xX]/.test(part) ? `0o${part}` : part,
    );
    if (!Number.isFinite(value) || value > 0xffffffff) return null;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 0xff)) return null;
  const room = 2 ** (8 * (4 - values.length));
  if (last >= room) return null;
  let result = 0;
  for (const v of values) result = result * 256 + v;
  return result * room + last;
}

/**
 * The dotted quad of an IPv4 address in any numeric form `getaddrinfo(3)`
 * takes (`"127.1"` → `"127.0.0.1"`), or `null` when `host` is not one.
 * @ignore
 */
export function dottedQuad(host: string): string | null {
  const value = parseAton(host, false);
  return value === null ? null : packedIPv4(value).join(".");
}

/**
 * The four bytes of an IPv4 address, in network order.
 * @ignore
 */
export function packedIPv4(value: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}
