/**
 * The name service of Python's `socket` module: `gethostbyname`,
 * `gethostbyname_ex`, `gethostbyaddr`, `getnameinfo`, `getfqdn` (async),
 * and `getservbyname`, `getservbyport`, `getprotobyname` (sync).
 *
 * Deno's DNS API (`Deno.resolveDns`) asks DNS servers only, so the hosts
 * file is read here first, as the C library's "files dns" order does. Names
 * go to the system resolver through `getaddrinfo`.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNSPEC, NI_DGRAM, NI_NAMEREQD, NI_NOFQDN } from "./constants.ts";
import { NI_NUMERICHOST, NI_NUMERICSERV, SOCK_STREAM } from "./constants.ts";
import {
  EAI_NONAME,
  errno,
  gaierror,
  herror,
  OSError,
  PermissionError,
  toOSError,
} from "./errors.ts";
import { getaddrinfo, gethostname, inet_ntop, inet_pton } from "./inet.ts";
import { describe, dottedQuad } from "./_address.ts";
import { protocolByName, serviceByName, serviceByPort } from "./_services.ts";

const HOSTS = "/etc/hosts";

/** `gethostbyname_ex` / `gethostbyaddr`'s result: `[hostname, aliaslist, ipaddrlist]`. */
export type HostEntry = [hostname: string, aliaslist: string[], ipaddrlist: string[]];

/** A socket address given to `getnameinfo`. */
export type NameInfoAddress =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo?: number, scope_id?: number];

// ---- errors -------------------------------------------------------------------

function noName(detail?: string): gaierror {
  return new gaierror(EAI_NONAME, "Name or service not known", { detail });
}

function unknownHost(): herror {
  return new herror(1, "Unknown host");
}

function tryAgain(cause: unknown): herror {
  return new herror(2, "Host name lookup failure", { cause });
}

function checkString(value: unknown, fn: string, name: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${fn}(): ${name} must be a string, not ${describe(value)}`);
  }
  return value;
}

function checkInt(value: unknown, fn: string, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${fn}(): ${name} must be an integer, not ${describe(value)}`);
  }
  return value;
}

// ---- numeric addresses ----------------------------------------------------------

interface Numeric {
  family: number;
  address: string;
  scope: number;
}

/** A numeric host as glibc's `AI_NUMERICHOST` takes it, or `null`. */
function numeric(host: string): Numeric | null {
  const v4 = dottedQuad(host);
  if (v4 !== null) return { family: AF_INET, address: v4, scope: 0 };
  const percent = host.indexOf("%");
  const bare = percent === -1 ? host : host.slice(0, percent);
  const scopeText = percent === -1 ? "0" : host.slice(percent + 1);
  if (!/^\d+$/.test(scopeText)) return null;
  try {
    return {
      family: AF_INET6,
      address: inet_ntop(AF_INET6, inet_pton(AF_INET6, bare)),
      scope: Number(scopeText),
    };
  } catch {
    return null;
  }
}

/** The canonical text of an address in the hosts file, or `null`. */
function canonical(address: string): string | null {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return dottedQuad(address);
  try {
    return inet_ntop(AF_INET6, inet_pton(AF_INET6, address));
  } catch {
    return null;
  }
}

// ---- the hosts file ---------------------------------------------------------------

interface HostLine {
  family: number;
  address: string;
  names: string[];
}

/** The hosts file's entries; a missing permission names the flag. */
async function hostsFile(fn: string): Promise<HostLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(HOSTS);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new PermissionError(errno.EACCES, null, {
        cause: e,
        detail: `Deno needs read permission for "${HOSTS}" (${fn}() reads it first, ` +
          `as the C library does): run with --allow-read=${HOSTS}`,
      });
    }
    return []; // no hosts file: DNS alone, as the C library
  }
  const lines: HostLine[] = [];
  for (const raw of text.split("\n")) {
    const [address, ...names] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (!address || names.length === 0) continue;
    const text = canonical(address);
    if (text === null) continue;
    lines.push({ family: text.includes(":") ? AF_INET6 : AF_INET, address: text, names });
  }
  return lines;
}

/** The DNS name that a PTR query for `address` asks about. */
function ptrName(family: number, address: string): string {
  if (family === AF_INET) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  const bytes = inet_pton(AF_INET6, address);
  const nibbles: string[] = [];
  for (const byte of bytes) nibbles.push((byte >> 4).toString(16), (byte & 15).toString(16));
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/**
 * The names of an address: the hosts file's first line for it, else DNS
 * PTR records; `null` when neither knows it. A DNS failure other than "no
 * such record" is an `herror` 2 (glibc's `TRY_AGAIN`).
 */
async function reverse(
  family: number,
  address: string,
  fn: string,
): Promise<[string, string[]] | null> {
  for (const line of await hostsFile(fn)) {
    if (line.family === family && line.address === address) {
      return [line.names[0], line.names.slice(1)];
    }
  }
  // Deno's resolver answers loopback PTR queries itself ("localhost", and
  // the hosts file's names) where the C library asks the DNS server, which
  // has no such records: loopback addresses stop at the hosts file.
  if (family === AF_INET ? address.startsWith("127.") : address === "::1") return null;
  let records: string[];
  try {
    records = await Deno.resolveDns(ptrName(family, address), "PTR");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof Deno.errors.NotCapable) {
      // The message names the DNS server ("Requires net access to
      // \"10.0.0.53:53\""): the flag to add is for that address.
      throw toOSError(e);
    }
    throw tryAgain(e);
  }
  const names = records.map((r) => r.replace(/\.$/, "")).filter((r) => r !== "");
  return names.length === 0 ? null : [names[0], names.slice(1)];
}

// ---- host names -----------------------------------------------------------------------

/**
 * The IPv4 address of `hostname` as a dotted string, as CPython's
 * `socket.gethostbyname`: numeric hosts come back normalized without I/O
 * (`"1.2.3"` → `"1.2.0.3"`), `""` is `"0.0.0.0"` and `"<broadcast>"`
 * `"255.255.255.255"`; names go to the system resolver (hosts file, then
 * DNS), which needs `--allow-net=HOSTNAME`.
 *
 * Cancel safety: nothing is consumed; a lookup abandoned by the caller
 * finishes in the background and is dropped.
 *
 * @example
 * ```ts
 * import { gethostbyname } from "@seed/socket";
 * console.log(await gethostbyname("127.0.0.1")); // "127.0.0.1"
 * ```
 *
 * @throws {gaierror} `EAI_NONAME` (-2, "Name or service not known") for an
 * unknown name; -9 for an IPv6 literal.
 * @throws {PermissionError} Deno's net permission for the name is missing
 * (the message names the `--allow-net=` entry).
 * @throws {TypeError} `hostname` is not a string.
 */
export async function gethostbyname(hostname: string): Promise<string> {
  checkString(hostname, "gethostbyname", "hostname");
  if (hostname === "") return "0.0.0.0";
  if (hostname === "<broadcast>") return "255.255.255.255";
  const infos = await getaddrinfo(hostname, null, AF_INET, SOCK_STREAM);
  return infos[0][4][0];
}

/**
 * `[hostname, aliaslist, ipaddrlist]` for a host name, as CPython's
 * `socket.gethostbyname_ex`: the canonical name and aliases from the hosts
 * file line that names it, with every IPv4 address the hosts file gives
 * it; a name the hosts file lacks is resolved by the system resolver and
 * comes back as given, with no aliases (Deno exposes no canonical name).
 * Reading the hosts file needs `--allow-read=/etc/hosts`; a name that goes
 * to the resolver needs `--allow-net=HOSTNAME`.
 *
 * Cancel safety: nothing is consumed; a lookup abandoned by the caller
 * finishes in the background and is dropped.
 *
 * @example
 * ```ts ignore
 * import { gethostbyname_ex } from "@seed/socket";
 * console.log(await gethostbyname_ex("localhost")); // ["localhost", [], ["127.0.0.1"]]
 * ```
 *
 * @throws {gaierror} -2 for an unknown name, -9 for an IPv6 literal.
 * @throws {herror} 3 ("Unknown server error") for `""` and `"<broadcast>"`, as glibc.
 * @throws {PermissionError} A missing read or net permission (the message names the flag).
 * @throws {TypeError} `hostname` is not a string.
 */
// deno-lint-ignore camelcase
export async function gethostbyname_ex(hostname: string): Promise<HostEntry> {
  checkString(hostname, "gethostbyname_ex", "hostname");
  if (hostname === "" || hostname === "<broadcast>") {
    throw new herror(3, "Unknown server error");
  }
  const number = numeric(hostname);
  if (number?.family === AF_INET) return [hostname, [], [number.address]];
  if (number) {
    throw new gaierror(-9, "Address family for hostname not supported");
  }
  const wanted = hostname.toLowerCase();
  const lines = (await hostsFile("gethostbyname_ex")).filter((line) =>
    line.family === AF_INET && line.names.some((n) => n.toLowerCase() === wanted)
  );
  if (lines.length > 0) {
    const [name, ...aliases] = lines[0].names;
    return [name, aliases, [...new Set(lines.map((line) => line.address))]];
  }
  const infos = await getaddrinfo(hostname, null, AF_INET, SOCK_STREAM);
  return [hostname, [], [...new Set(infos.map((info) => info[4][0]))]];
}

/**
 * `[hostname, aliaslist, ipaddrlist]` for an address, as CPython's
 * `socket.gethostbyaddr`: the hosts file first (its first line for the
 * address: the first name, the others as aliases), then DNS PTR records
 * (`Deno.resolveDns`). A name instead of an address is resolved first.
 * Needs `--allow-read=/etc/hosts`, and for the DNS query net permission for
 * the system's DNS server (`--allow-net=SERVER:53`; the error names it).
 *
 * Cancel safety: nothing is consumed; a lookup abandoned by the caller
 * finishes in the background and is dropped.
 *
 * @example
 * ```ts ignore
 * import { gethostbyaddr } from "@seed/socket";
 * console.log(await gethostbyaddr("127.0.0.1")); // ["localhost", [], ["127.0.0.1"]]
 * ```
 *
 * @throws {herror} 1 ("Unknown host") when neither the hosts file nor DNS
 * knows the address; 2 when DNS fails.
 * @throws {gaierror} -2 when `ip_address` is an unknown name.
 * @throws {PermissionError} A missing read or net permission (the message names the flag).
 * @throws {OSError} `""` (as CPython: "wildcard resolved to multiple address").
 * @throws {TypeError} `ip_address` is not a string.
 */
export async function gethostbyaddr(ip_address: string): Promise<HostEntry> {
  checkString(ip_address, "gethostbyaddr", "ip_address");
  if (ip_address === "") throw new OSError(null, "wildcard resolved to multiple address");
  let found = numeric(ip_address);
  if (found === null) {
    const info = (await getaddrinfo(ip_address, null, AF_UNSPEC, SOCK_STREAM))[0];
    found = { family: info[0], address: info[4][0], scope: 0 };
  }
  const names = await reverse(found.family, found.address, "gethostbyaddr");
  if (names === null) throw unknownHost();
  return [names[0], names[1], [found.address]];
}

/** The host's domain (after the first dot of its name), or "" when unknown. */
function localDomain(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
      return "";
    }
    const name = gethostname();
    const dot = name.indexOf(".");
    return dot === -1 ? "" : name.slice(dot + 1);
  } catch {
    return "";
  }
}

/**
 * `[host, port]` as names, as CPython's `socket.getnameinfo`: the host by
 * reverse lookup (hosts file, then DNS PTR; the numeric address when
 * neither knows it), the port by the services table (`"http"`; the number
 * when unknown). Flags: `NI_NUMERICHOST` and `NI_NUMERICSERV` skip the
 * lookups, `NI_NAMEREQD` makes an unknown address an error, `NI_DGRAM`
 * looks the port up for UDP, `NI_NOFQDN` drops the local domain. The host
 * must be numeric. Reverse lookups need the permissions of
 * {@linkcode gethostbyaddr}.
 *
 * Cancel safety: nothing is consumed; a lookup abandoned by the caller
 * finishes in the background and is dropped.
 *
 * @example
 * ```ts
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@seed/socket";
 * console.log(await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV));
 * // ["127.0.0.1", "80"]
 * ```
 *
 * @throws {gaierror} -2 when the host is not numeric, or with `NI_NAMEREQD`
 * when the address has no name.
 * @throws {OSError} an IPv4 host with four elements ("IPv4 sockaddr must be 2 tuple").
 * @throws {PermissionError} A missing read or net permission (the message names the flag).
 * @throws {TypeError} `sockaddr` is not `[host, port]` or
 * `[host, port, flowinfo, scope_id]`, or `flags` is not an integer.
 * @throws {RangeError} the port is outside 0–65535.
 */
export async function getnameinfo(sockaddr: NameInfoAddress, flags: number): Promise<[
  host: string,
  port: string,
]> {
  if (!Array.isArray(sockaddr)) {
    throw new TypeError(
      `getnameinfo(): sockaddr must be [host, port] or [host, port, flowinfo, scope_id], not ${
        describe(sockaddr)
      }`,
    );
  }
  if (sockaddr.length < 2 || sockaddr.length > 4) {
    throw new TypeError("getnameinfo(): illegal sockaddr argument");
  }
  const host = checkString(sockaddr[0], "getnameinfo", "host");
  const port = checkInt(sockaddr[1], "getnameinfo", "port");
  checkInt(sockaddr[2] ?? 0, "getnameinfo", "flowinfo");
  const scopeId = checkInt(sockaddr[3] ?? 0, "getnameinfo", "scope_id");
  checkInt(flags, "getnameinfo", "flags");
  if (port < 0 || port > 65535) throw new RangeError("getnameinfo(): port must be 0-65535.");
  const found = numeric(host);
  if (found === null) throw noName();
  if (found.family === AF_INET && sockaddr.length !== 2) {
    throw new OSError(null, "IPv4 sockaddr must be 2 tuple");
  }
  // The tuple's scope_id wins over a "%scope" in the host, as in CPython.
  const scope = found.family === AF_INET6 ? scopeId : 0;
  let name = scope ? `${found.address}%${scope}` : found.address;
  if (!(flags & NI_NUMERICHOST)) {
    let names: [string, string[]] | null;
    try {
      names = await reverse(found.family, found.address, "getnameinfo");
    } catch (e) {
      if (!(e instanceof herror)) throw e;
      if (flags & NI_NAMEREQD) {
        throw new gaierror(-3, "Temporary failure in name resolution", { cause: e });
      }
      names = null;
    }
    if (names !== null) {
      name = names[0];
      const domain = flags & NI_NOFQDN ? localDomain() : "";
      if (domain && name.endsWith(`.${domain}`) && name.length > domain.length + 1) {
        name = name.slice(0, -domain.length - 1);
      }
    } else if (flags & NI_NAMEREQD) {
      throw noName();
    }
  }
  const service = flags & NI_NUMERICSERV
    ? String(port)
    : serviceByPort(port, flags & NI_DGRAM ? "udp" : "tcp")?.name ?? String(port);
  return [name, service];
}

/**
 * The fully qualified name of `name` (the local host when empty, `0.0.0.0`
 * or `::`), as CPython's `socket.getfqdn`: the first name with a dot among
 * the host name and aliases `gethostbyaddr` gives, else its host name;
 * `name` itself when the lookup fails. Unlike CPython's, a missing
 * permission is not swallowed: it rejects, naming the flag (the local
 * host's name needs `--allow-sys=hostname`).
 *
 * Cancel safety: nothing is consumed; a lookup abandoned by the caller
 * finishes in the background and is dropped.
 *
 * @example
 * ```ts ignore
 * import { getfqdn } from "@seed/socket";
 * console.log(await getfqdn("127.0.0.1")); // "localhost"
 * ```
 *
 * @throws {PermissionError} A missing read, net or sys permission (the message names the flag).
 * @throws {TypeError} `name` is not a string.
 */
export function getfqdn(name?: string): Promise<string>;
export async function getfqdn(name: string = ""): Promise<string> {
  let host = checkString(name, "getfqdn", "name").trim();
  if (host === "" || host === "0.0.0.0" || host === "::") host = gethostname();
  let entry: HostEntry;
  try {
    entry = await gethostbyaddr(host);
  } catch (e) {
    if (e instanceof PermissionError || !(e instanceof OSError)) throw e;
    return host;
  }
  const [hostname, aliases] = entry;
  return [hostname, ...aliases].find((n) => n.includes(".")) ?? hostname;
}

// ---- services and protocols -----------------------------------------------------------------

function checkProtoName(value: unknown, fn: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return checkString(value, fn, "protocolname");
}

/**
 * The port of a service name (or alias), as CPython's
 * `socket.getservbyname`: from `/etc/services` when Deno may read it
 * (`--allow-read=/etc/services`), else from a built-in table of the
 * well-known services. Names are case-sensitive, as in the C library.
 *
 * @example
 * ```ts
 * import { getservbyname } from "@seed/socket";
 * console.log(getservbyname("http", "tcp")); // 80
 * ```
 *
 * @throws {OSError} "service/proto not found" (errno `null`, as CPython).
 * @throws {TypeError} `servicename` or `protocolname` is not a string.
 */
export function getservbyname(servicename: string, protocolname?: string): number {
  checkString(servicename, "getservbyname", "servicename");
  const proto = checkProtoName(protocolname, "getservbyname");
  const found = serviceByName(servicename, proto);
  if (!found) throw new OSError(null, "service/proto not found");
  return found.port;
}

/**
 * The service name of a port, as CPython's `socket.getservbyport`, from
 * the same table as {@linkcode getservbyname}.
 *
 * @example
 * ```ts
 * import { getservbyport } from "@seed/socket";
 * console.log(getservbyport(53, "udp")); // "domain"
 * ```
 *
 * @throws {OSError} "port/proto not found" (errno `null`, as CPython).
 * @throws {RangeError} `port` is outside 0–65535 (CPython's `OverflowError`).
 * @throws {TypeError} `port` is not an integer or `protocolname` not a string.
 */
export function getservbyport(port: number, protocolname?: string): string {
  checkInt(port, "getservbyport", "port");
  if (port < 0 || port > 65535) throw new RangeError("getservbyport: port must be 0-65535.");
  const found = serviceByPort(port, checkProtoName(protocolname, "getservbyport"));
  if (!found) throw new OSError(null, "port/proto not found");
  return found.name;
}

/**
 * The number of a protocol name (or alias, such as `"TCP"`), as CPython's
 * `socket.getprotobyname`: from `/etc/protocols` when Deno may read it
 * (`--allow-read=/etc/protocols`), else from a built-in table of the
 * IANA protocol numbers.
 *
 * @example
 * ```ts
 * import { getprotobyname } from "@seed/socket";
 * console.log(getprotobyname("udp")); // 17
 * ```
 *
 * @throws {OSError} "protocol not found" (errno `null`, as CPython).
 * @throws {TypeError} `protocolname` is not a string.
 */
export function getprotobyname(protocolname: string): number {
  checkString(protocolname, "getprotobyname", "protocolname");
  const found = protocolByName(protocolname);
  if (found === undefined) throw new OSError(null, "protocol not found");
  return found;
}
