/**
 * Addresses and names: `inet_aton`, `inet_ntoa`, `inet_pton`, `inet_ntop`,
 * the byte-order functions `htons`, `ntohs`, `htonl`, `ntohl`, and the name
 * functions `getaddrinfo` and `gethostname`, with CPython's results and
 * errors on Linux (checked against `python3` by the test suite).
 *
 * @example
 * ```ts
 * import { AF_INET6, getaddrinfo, inet_aton, inet_ntop, inet_pton } from "@seed/socket";
 *
 * console.log(inet_aton("127.1"));                         // Uint8Array [127, 0, 0, 1]
 * console.log(inet_ntop(AF_INET6, inet_pton(AF_INET6, "0:0::1"))); // "::1"
 * console.log(await getaddrinfo("127.0.0.1", 80));         // three entries: stream, dgram, raw
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_ADDRCONFIG,
  AI_ALL,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  AI_V4MAPPED,
  EAI_ADDRFAMILY,
  EAI_AGAIN,
  EAI_BADFLAGS,
  EAI_FAIL,
  EAI_FAMILY,
  EAI_SERVICE,
  EAI_SOCKTYPE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "./constants.ts";
import { EAI_NONAME, errno, gaierror, OSError, PermissionError } from "./errors.ts";
import { describe, packedIPv4, parseAton } from "./_address.ts";
import { isArrayBuffer, toBytes } from "./_options.ts";
import { servicePorts } from "./_services.ts";

// ---- IPv4 -------------------------------------------------------------------

function illegal(fn: string): OSError {
  return new OSError(null, `illegal IP address string passed to ${fn}`);
}

function checkString(value: unknown, fn: string, name: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${fn}(): ${name} must be a string, not ${describe(value)}`);
  }
  return value;
}

function checkBytes(value: unknown, fn: string): Uint8Array {
  if (ArrayBuffer.isView(value) || isArrayBuffer(value)) {
    return toBytes(value, `${fn}()`, "packed_ip");
  }
  throw new TypeError(`${fn}(): packed_ip must be a Uint8Array, not ${describe(value)}`);
}

/**
 * Converts an IPv4 address in any form `inet_aton(3)` accepts (`"1.2.3.4"`,
 * `"127.1"`, `"0x7f.1"`, `"010.0.0.1"`, a single 32-bit number) to its four
 * bytes in network order. As glibc, anything after a whitespace character
 * is ignored. Anything else throws `OSError("illegal IP address string
 * passed to inet_aton")`, as CPython.
 *
 * @example
 * ```ts
 * import { inet_aton } from "@seed/socket";
 * console.log(inet_aton("127.1")); // Uint8Array(4) [127, 0, 0, 1]
 * ```
 */
export function inet_aton(ip_string: string): Uint8Array<ArrayBuffer> {
  const value = parseAton(checkString(ip_string, "inet_aton", "ip_string"), true);
  if (value === null) throw illegal("inet_aton");
  return packedIPv4(value);
}

/**
 * Converts four bytes in network order to dotted-quad text. Any other
 * length throws `OSError("packed IP wrong length for inet_ntoa")`.
 *
 * @example
 * ```ts
 * import { inet_ntoa } from "@seed/socket";
 * console.log(inet_ntoa(new Uint8Array([192, 168, 0, 1]))); // "192.168.0.1"
 * ```
 */
export function inet_ntoa(packed_ip: Uint8Array): string {
  const bytes = checkBytes(packed_ip, "inet_ntoa");
  if (bytes.length !== 4) throw new OSError(null, "packed IP wrong length for inet_ntoa");
  return Array.from(bytes).join(".");
}

// ---- IPv6 -------------------------------------------------------------------

const STRICT_V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseV4Strict(text: string): Uint8Array<ArrayBuffer> | null {
  if (!STRICT_V4.test(text)) return null;
  return new Uint8Array(text.split(".").map(Number));
}

function parseV6(text: string): Uint8Array<ArrayBuffer> | null {
  const out = new Uint8Array(16);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const words: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseV4Strict(piece);
        if (!v4) return null;
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (HEXTET.test(piece)) {
        words.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return words;
  };
  const head = groups(halves[0]);
  if (!head) return null;
  let words: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1]);
    if (!tail) return null;
    // An embedded IPv4 address may only end the address.
    if (halves[0].includes(".")) return null;
    if (head.length + tail.length > 7) return null;
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    words = head;
  }
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function formatV6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // The longest run of two or more zero words (the first on a tie) becomes "::".
  let bestBase = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestBase, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  // glibc writes an IPv4-compatible or IPv4-mapped address with a dotted tail.
  const dotted = bestBase === 0 &&
    (bestLen === 6 || (bestLen === 7 && words[7] !== 1) ||
      (bestLen === 5 && words[5] === 0xffff));
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      text += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    if (dotted && i === 6) {
      text += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    text += words[i].toString(16) + (i < 7 ? ":" : "");
  }
  return text;
}

function checkFamilyArg(family: unknown, fn: string): number {
  if (typeof family !== "number" || !Number.isInteger(family)) {
    throw new TypeError(`${fn}(): address_family must be an integer, not ${describe(family)}`);
  }
  return family;
}

/**
 * Converts an address in text to its packed bytes: 4 for `AF_INET` (only
 * the strict dotted quad), 16 for `AF_INET6`. A malformed address throws
 * `OSError("illegal IP address string passed to inet_pton")`; another
 * family `OSError` `EAFNOSUPPORT`, as CPython.
 *
 * @example
 * ```ts
 * import { AF_INET6, inet_pton } from "@seed/socket";
 * console.log(inet_pton(AF_INET6, "::1").length); // 16
 * ```
 */
export function inet_pton(address_family: number, ip_string: string): Uint8Array<ArrayBuffer> {
  const family = checkFamilyArg(address_family, "inet_pton");
  const text = checkString(ip_string, "inet_pton", "ip_string");
  let packed: Uint8Array<ArrayBuffer> | null;
  if (family === AF_INET) packed = parseV4Strict(text);
  else if (family === AF_INET6) packed = parseV6(text);
  else throw new OSError(errno.EAFNOSUPPORT, null);
  if (!packed) throw illegal("inet_pton");
  return packed;
}

/**
 * Converts packed bytes (4 for `AF_INET`, 16 for `AF_INET6`) to text, in
 * glibc's form (`"::1"`, `"::ffff:1.2.3.4"`). A wrong length or family
 * throws `RangeError` (CPython's `ValueError`) with CPython's message.
 *
 * @example
 * ```ts
 * import { AF_INET, inet_ntop } from "@seed/socket";
 * console.log(inet_ntop(AF_INET, new Uint8Array([10, 0, 0, 1]))); // "10.0.0.1"
 * ```
 */
export function inet_ntop(address_family: number, packed_ip: Uint8Array): string {
  const family = checkFamilyArg(address_family, "inet_ntop");
  const bytes = checkBytes(packed_ip, "inet_ntop");
  if (family !== AF_INET && family !== AF_INET6) {
    throw new RangeError(`unknown address family ${family}`);
  }
  if (bytes.length !== (family === AF_INET ? 4 : 16)) {
    throw new RangeError("invalid length of packed IP address string");
  }
  return family === AF_INET ? Array.from(bytes).join(".") : formatV6(bytes);
}

/**
 * The canonical text of a numeric host (`"0:0::1"` → `"::1"`), or `null`
 * when `host` is not an IP literal.
 * @ignore
 */
export function canonicalHost(host: string): string | null {
  const v4 = parseV4Strict(host);
  if (v4) return host;
  const v6 = parseV6(host);
  return v6 ? formatV6(v6) : null;
}

// ---- byte order -------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkInt(x: unknown, fn: string, bits: 16 | 32): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${fn}(): x must be an integer, not ${describe(x)}`);
  }
  if (x < 0) {
    throw new RangeError(
      bits === 16
        ? `${fn}: can't convert negative Python int to C 16-bit unsigned integer`
        : "can't convert negative value to unsigned int",
    );
  }
  if (x > 2 ** bits - 1) {
    throw new RangeError(
      bits === 16
        ? `${fn}: Python int too large to convert to C 16-bit unsigned integer`
        : "int larger than 32 bits",
    );
  }
  return x;
}

function swap16(x: number): number {
  return LITTLE_ENDIAN ? ((x & 0xff) << 8) | (x >>> 8) : x;
}

function swap32(x: number): number {
  if (!LITTLE_ENDIAN) return x;
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * A 16-bit integer from host to network byte order. Outside 0–65535 →
 * `RangeError` (CPython's `OverflowError`); not an integer → `TypeError`.
 *
 * @example
 * ```ts
 * import { htons } from "@seed/socket";
 * console.log(htons(1)); // 256 on a little-endian host
 * ```
 */
export function htons(x: number): number {
  return swap16(checkInt(x, "htons", 16));
}

/**
 * A 16-bit integer from network to host byte order.
 *
 * @example
 * ```ts
 * import { ntohs } from "@seed/socket";
 * console.log(ntohs(256)); // 1 on a little-endian host
 * ```
 */
export function ntohs(x: number): number {
  return swap16(checkInt(x, "ntohs", 16));
}

/**
 * A 32-bit integer from host to network byte order. Outside 0–2³²−1 →
 * `RangeError` (CPython's `OverflowError`).
 *
 * @example
 * ```ts
 * import { htonl } from "@seed/socket";
 * console.log(htonl(1)); // 16777216 on a little-endian host
 * ```
 */
export function htonl(x: number): number {
  return swap32(checkInt(x, "htonl", 32));
}

/**
 * A 32-bit integer from network to host byte order.
 *
 * @example
 * ```ts
 * import { ntohl } from "@seed/socket";
 * console.log(ntohl(16777216)); // 1 on a little-endian host
 * ```
 */
export function ntohl(x: number): number {
  return swap32(checkInt(x, "ntohl", 32));
}

// ---- names ------------------------------------------------------------------

/**
 * One `getaddrinfo` result: `[family, type, proto, canonname, sockaddr]`,
 * as CPython's 5-tuple.
 */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: [host: string, port: number] | [
    host: string,
    port: number,
    flowinfo: number,
    scope_id: number,
  ],
];

const KNOWN_FLAGS = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL |
  AI_ADDRCONFIG | AI_NUMERICSERV;

function gai(code: number, text: string, detail?: string, cause?: unknown): gaierror {
  return new gaierror(code, text, { detail, cause });
}

function noName(detail?: string, cause?: unknown): gaierror {
  return gai(EAI_NONAME, "Name or service not known", detail, cause);
}

function checkIntArg(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`getaddrinfo(): ${name} must be an integer, not ${describe(value)}`);
  }
  return value;
}

/** A port number, or a service name to look up. */
function parsePort(port: unknown, flags: number): number | string {
  if (port === null || port === undefined) return 0;
  let text: string;
  if (typeof port === "number") {
    if (!Number.isInteger(port)) {
      throw new TypeError(
        `getaddrinfo(): port must be an integer, a string or null, not ${describe(port)}`,
      );
    }
    text = String(port);
  } else if (typeof port === "string") {
    text = port;
  } else {
    throw new TypeError(
      `getaddrinfo(): port must be an integer, a string or null, not ${describe(port)}`,
    );
  }
  if (/^\d+$/.test(text)) return Number(text) % 65536; // glibc keeps the low 16 bits
  if (flags & AI_NUMERICSERV || text === "") throw noName();
  if (text.startsWith("-")) throw servname();
  return text;
}

function servname(): gaierror {
  return gai(EAI_SERVICE, "Servname not supported for ai_socktype");
}

/** The (type, proto) pairs glibc lists for a request. */
function kinds(type: number, proto: number): [number, number][] {
  const all: [number, number][] = [[SOCK_STREAM, IPPROTO_TCP], [SOCK_DGRAM, IPPROTO_UDP], [
    SOCK_RAW,
    0,
  ]];
  if (type === SOCK_RAW) return [[SOCK_RAW, proto]];
  const picked = all.filter(([t, p]) =>
    (type === 0 || t === type) && (proto === 0 || p === proto) &&
    (type !== 0 || t !== SOCK_RAW || proto === 0)
  );
  if (picked.length === 0) throw gai(EAI_SOCKTYPE, "ai_socktype not supported");
  return picked;
}

interface Found {
  family: number;
  address: string;
  scope: number;
}

/** Numeric hosts, resolved without a lookup (as glibc does). */
function numericHost(host: string): Found | null {
  const v4 = parseAton(host, false);
  if (v4 !== null) {
    return { family: AF_INET, address: Array.from(packedIPv4(v4)).join("."), scope: 0 };
  }
  const percent = host.indexOf("%");
  const bare = percent === -1 ? host : host.slice(0, percent);
  const v6 = parseV6(bare);
  if (!v6) return null;
  let scope = 0;
  if (percent !== -1) {
    const zone = host.slice(percent + 1);
    if (!/^\d+$/.test(zone)) {
      throw noName(
        `scope "${zone}": Deno cannot map interface names to indexes; use the number (${bare}%1)`,
      );
    }
    scope = Number(zone);
  }
  return { family: AF_INET6, address: formatV6(v6), scope };
}

interface LookupAddress {
  address: string;
  family: number;
}

type Lookup = (
  host: string,
  options: { all: true; family: number; order: "verbatim" },
  callback: (err: (Error & { code?: string }) | null, addresses: LookupAddress[]) => void,
) => void;

async function lookupName(host: string, family: number): Promise<Found[]> {
  // Deno.resolveDns asks DNS servers only and ignores /etc/hosts; the
  // system resolver (getaddrinfo(3), with /etc/hosts and nsswitch) is
  // reachable only through node:dns, which needs just --allow-net=HOST.
  const { lookup } = await import("node:dns") as unknown as { lookup: Lookup };
  const wanted = family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    try {
      lookup(host, { all: true, family: wanted, order: "verbatim" }, (err, found) => {
        if (err) reject(err);
        else resolve(found);
      });
    } catch (e) {
      reject(e);
    }
  }).catch((e: Error & { code?: string }) => {
    throw lookupError(e, host);
  });
  return addresses
    .filter((a) => wanted === 0 || a.family === wanted)
    .map((a) => ({
      family: a.family === 6 ? AF_INET6 : AF_INET,
      address: a.family === 6 ? formatV6(parseV6(a.address) ?? new Uint8Array(16)) : a.address,
      scope: 0,
    }));
}

function lookupError(e: Error & { code?: string }, host: string): OSError {
  if (e instanceof Deno.errors.NotCapable || e.code === "EPERM") {
    return new PermissionError(errno.EACCES, null, {
      cause: e,
      detail: `Deno needs net permission for "${host}" to look it up: run with --allow-net=${host}`,
    });
  }
  switch (e.code) {
    case "EAI_AGAIN":
    case "ETIMEOUT":
      return gai(EAI_AGAIN, "Temporary failure in name resolution", host, e);
    case "EAI_FAIL":
    case "ESERVFAIL":
      return gai(EAI_FAIL, "Non-recoverable failure in name resolution", host, e);
    default:
      return noName(undefined, e);
  }
}

/**
 * Resolves `host` and `port` into the addresses to connect or bind to, as
 * CPython's `socket.getaddrinfo`: a list of
 * `[family, type, proto, canonname, sockaddr]`, in the system resolver's
 * order. `type` 0 lists each address for `SOCK_STREAM`, `SOCK_DGRAM` and
 * `SOCK_RAW`; `host` `null` gives the loopback addresses (the wildcard with
 * `AI_PASSIVE`). Numeric hosts (any form `inet_aton` takes, IPv6 with a
 * numeric `%scope`) resolve without I/O or permission. Names go to the
 * system resolver, so `/etc/hosts` is honoured; that needs
 * `--allow-net=HOST` (a `PermissionError` says so otherwise).
 *
 * An unknown host rejects with `gaierror` (`EAI_NONAME`, -2 on Linux); a
 * family the host has no address in with `gaierror` -9 (`EAI_ADDRFAMILY`)
 * for numeric hosts. A service name (`"http"`) is looked up in
 * `/etc/services` when Deno may read it (`--allow-read=/etc/services`),
 * else in a built-in table of the well-known services, as
 * `getservbyname`; a name in neither rejects with `gaierror`
 * (`EAI_SERVICE`, -8), as CPython. A port number needs nothing.
 *
 * @example
 * ```ts
 * import { getaddrinfo, SOCK_STREAM } from "@seed/socket";
 * const infos = await getaddrinfo("127.0.0.1", 8080, 0, SOCK_STREAM);
 * console.log(infos); // [[2, 1, 6, "", ["127.0.0.1", 8080]]]
 * ```
 */
export function getaddrinfo(
  host: string | null,
  port: number | string | null,
  family?: number,
  type?: number,
  proto?: number,
  flags?: number,
): Promise<AddrInfo[]>;
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  family: number = AF_UNSPEC,
  type: number = 0,
  proto: number = 0,
  flags: number = 0,
): Promise<AddrInfo[]> {
  if (host !== null && host !== undefined && typeof host !== "string") {
    throw new TypeError(`getaddrinfo(): host must be a string or null, not ${describe(host)}`);
  }
  checkIntArg(family, "family");
  checkIntArg(type, "type");
  checkIntArg(proto, "proto");
  checkIntArg(flags, "flags");
  if (flags & ~KNOWN_FLAGS) throw gai(EAI_BADFLAGS, "Bad value for ai_flags");
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw gai(EAI_FAMILY, "ai_family not supported");
  }
  if (type !== 0 && type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_RAW) {
    throw gai(EAI_SOCKTYPE, "ai_socktype not supported");
  }
  // Neither a host nor a service: EAI_NONAME, as glibc and CPython.
  if ((host === null || host === undefined) && (port === null || port === undefined)) {
    throw noName();
  }
  // Each (type, proto) with its port: a service name lists only the
  // protocols the services database has it for, as glibc does.
  let pairs: [number, number, number][];
  const service = parsePort(port, flags);
  if (typeof service === "number") {
    pairs = kinds(type, proto).map(([t, p]) => [t, p, service]);
  } else {
    const ports = servicePorts(service);
    pairs = kinds(type, proto).flatMap(([t, p]): [number, number, number][] => {
      const number = t === SOCK_STREAM ? ports.tcp : t === SOCK_DGRAM ? ports.udp : undefined;
      return number === undefined ? [] : [[t, p, number]];
    });
    if (pairs.length === 0) throw servname();
  }
  let found: Found[];
  if (host === null || host === undefined) {
    const v4 = { family: AF_INET, address: flags & AI_PASSIVE ? "0.0.0.0" : "127.0.0.1", scope: 0 };
    const v6 = { family: AF_INET6, address: flags & AI_PASSIVE ? "::" : "::1", scope: 0 };
    found = (flags & AI_PASSIVE ? [v4, v6] : [v6, v4]).filter((f) =>
      family === AF_UNSPEC || f.family === family
    );
  } else {
    const numeric = numericHost(host);
    if (numeric) {
      if (family !== AF_UNSPEC && numeric.family !== family) {
        throw gai(EAI_ADDRFAMILY, "Address family for hostname not supported");
      }
      found = [numeric];
    } else if (flags & AI_NUMERICHOST || host === "") {
      throw noName();
    } else {
      found = await lookupName(host, family);
      if (found.length === 0) throw noName();
    }
  }
  const result: AddrInfo[] = [];
  for (const f of found) {
    for (const [t, p, portNumber] of pairs) {
      const canon = flags & AI_CANONNAME && result.length === 0 ? (host ?? "") : "";
      result.push([
        f.family,
        t,
        p,
        canon,
        f.family === AF_INET6 ? [f.address, portNumber, 0, f.scope] : [f.address, portNumber],
      ]);
    }
  }
  return result;
}

/**
 * The host's name, as CPython's `socket.gethostname()`. Deno asks for
 * `--allow-sys=hostname`; without it this throws a `PermissionError` that
 * names the flag.
 *
 * @example
 * ```ts ignore
 * import { gethostname } from "@seed/socket";
 * console.log(gethostname());
 * ```
 */
export function gethostname(): string {
  try {
    return Deno.hostname();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new PermissionError(errno.EACCES, null, {
        cause: e,
        detail: "Deno needs sys permission to read the host name: run with --allow-sys=hostname",
      });
    }
    throw e;
  }
}
