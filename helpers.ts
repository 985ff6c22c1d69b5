/**
 * The convenience functions of Python's `socket` module, built (as
 * CPython's `Lib/socket.py` builds them) only from the public socket
 * methods: `create_connection`, `create_server`, `socketpair` and
 * `has_dualstack_ipv6`.
 *
 * @example A server and a client in three lines
 * ```ts
 * import { create_connection, create_server } from "@seed/socket";
 *
 * await using server = create_server(["127.0.0.1", 0]);
 * await using client = await create_connection(server.getsockname() as [string, number], 5);
 * const [conn] = await server.accept();
 * await client.sendall("hi");
 * console.log(await conn.recv(16));
 * conn.close();
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import { ConnectionError, errno, OSError, type OSErrorOptions } from "./errors.ts";
import {
  describe,
  type IPv4Address,
  type IPv6Address,
  isArray,
  type SocketAddress,
} from "./_address.ts";
import { type Socket, socket } from "./socket.ts";
import type { DatagramSocket } from "./udp.ts";
import { getaddrinfo } from "./inet.ts";
import { checkTimeout, getdefaulttimeout } from "./_base.ts";
import { checkBacklog } from "./_options.ts";

function checkHostPort(address: unknown, where: string): [string, number] {
  if (!isArray(address) || address.length < 2) {
    throw new TypeError(`${where}: address must be a tuple (host, port), not ${describe(address)}`);
  }
  const [host, port] = address as unknown[];
  if (typeof host !== "string") {
    throw new TypeError(`${where}: host must be a string, not ${describe(host)}`);
  }
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(`${where}: port must be an integer, not ${describe(port)}`);
  }
  if (port < 0 || port > 65535) throw new RangeError(`${where}: port must be 0-65535, got ${port}`);
  return [host, port];
}

/**
 * Connects to a TCP service at `[host, port]`, as CPython's
 * `socket.create_connection`: it resolves `host` with `getaddrinfo` and
 * tries each address in turn until one connects, then resolves to the
 * connected {@linkcode Socket}. `timeout` (seconds, `null` for blocking)
 * is set on each attempt and stays on the returned socket; omitted, the
 * `getdefaulttimeout()` applies. `source_address` binds before connecting
 * (Deno can choose only the host of the source, with port 0). When every
 * attempt fails the first error is thrown, as CPython 3.12 does.
 *
 * @example
 * ```ts ignore
 * import { create_connection } from "@seed/socket";
 * await using sock = await create_connection(["localhost", 8000], 5);
 * await sock.sendall("GET / HTTP/1.0\r\n\r\n");
 * ```
 */
export async function create_connection(
  address: [host: string, port: number],
  timeout?: number | null,
  source_address?: [host: string, port: number] | null,
): Promise<Socket> {
  const [host, port] = checkHostPort(address, "create_connection()");
  // Every check before the name lookup (I/O): settimeout would see NaN only
  // after it.
  checkTimeout(timeout, "create_connection()");
  if (source_address !== undefined && source_address !== null) {
    const [, sourcePort] = checkHostPort(source_address, "create_connection() source_address");
    if (sourcePort !== 0) {
      // Known before the name lookup and the bind: say so before any I/O.
      throw new OSError(errno.EOPNOTSUPP, null, {
        detail: `Deno cannot connect from a chosen local port (source_address port ${sourcePort})`,
      });
    }
  }
  const errors: unknown[] = [];
  for (const [family, , proto, , sockaddr] of await getaddrinfo(host, port, 0, SOCK_STREAM)) {
    let sock: Socket | null = null;
    try {
      sock = socket(family, SOCK_STREAM, proto);
      if (timeout !== undefined) sock.settimeout(timeout);
      if (source_address) sock.bind(source_address);
      await sock.connect(sockaddr);
      return sock;
    } catch (e) {
      errors.push(e);
      sock?.close();
    }
  }
  if (errors.length > 0) throw errors[0];
  throw new OSError(null, "getaddrinfo returns an empty list");
}

/** Options of {@linkcode create_server}, as CPython's keyword arguments. */
export interface CreateServerOptions {
  /** `AF_INET` (default) or `AF_INET6`. */
  family?: number;
  /** The `listen` backlog; Python's default when omitted. */
  backlog?: number | null;
  /** Set `SO_REUSEPORT` (needs `--unstable-net`). */
  reuse_port?: boolean;
  /** An `AF_INET6` server that also accepts IPv4 (see {@linkcode has_dualstack_ipv6}). */
  dualstack_ipv6?: boolean;
}

/**
 * Makes a TCP server socket bound to `address` and listening, as CPython's
 * `socket.create_server`: `SO_REUSEADDR` is set, `reuse_port` sets
 * `SO_REUSEPORT`, `dualstack_ipv6` (with `family: AF_INET6`) asks for an
 * IPv6 socket that accepts IPv4 too. A failure to bind keeps its class
 * and errno and says which address: `"Address already in use (while
 * attempting to bind on address …)"`. Deno cannot set `IPV6_V6ONLY`, so an
 * `AF_INET6` server on the wildcard accepts IPv4 whenever the OS default
 * is dual-stack, with or without `dualstack_ipv6`.
 *
 * @example
 * ```ts
 * import { create_server } from "@seed/socket";
 * await using server = create_server(["127.0.0.1", 0], { backlog: 16 });
 * console.log(server.getsockname());
 * ```
 */
export function create_server(
  address: [host: string, port: number] | IPv6Address,
  options?: CreateServerOptions,
): Socket;
export function create_server(
  address: [host: string, port: number] | IPv6Address,
  options: CreateServerOptions = {},
): Socket {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`create_server(): options must be an object, not ${describe(options)}`);
  }
  let read: CreateServerOptions;
  try {
    const { family, backlog, reuse_port, dualstack_ipv6 } = options;
    read = { family, backlog, reuse_port, dualstack_ipv6 };
  } catch {
    throw new TypeError(`create_server(): options must be an object, not ${describe(options)}`);
  }
  const { family = AF_INET, backlog = null, reuse_port = false, dualstack_ipv6 = false } = read;
  checkHostPort(address, "create_server()");
  // Before bind (I/O): listen would see a bad backlog only after it.
  if (backlog !== null) checkBacklog(backlog, "create_server()");
  if (dualstack_ipv6 && !has_dualstack_ipv6()) {
    throw new RangeError("dualstack_ipv6 not supported on this platform");
  }
  if (dualstack_ipv6 && family !== AF_INET6) {
    throw new RangeError("dualstack_ipv6 requires AF_INET6 family");
  }
  const sock = socket(family, SOCK_STREAM);
  try {
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (reuse_port) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    try {
      sock.bind(address);
    } catch (e) {
      if (!(e instanceof OSError)) throw e;
      const cls = e.constructor as new (
        code: number | null,
        text?: string | null,
        options?: OSErrorOptions,
      ) => OSError;
      // Keep the original detail (for a missing permission, the --allow-net
      // entry that would allow it), after CPython's wording.
      const head = e.errno === null ? e.strerror : `[Errno ${e.errno}] ${e.strerror}`;
      const detail = e.message.startsWith(`${head}: `) ? e.message.slice(head!.length + 2) : "";
      throw new cls(
        e.errno,
        `${e.strerror} (while attempting to bind on address ${JSON.stringify(address)})`,
        { cause: e, detail: detail || undefined },
      );
    }
    if (backlog === null) sock.listen();
    else sock.listen(backlog);
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}

/**
 * Whether an `AF_INET6` server can accept IPv4 connections too (as
 * `::ffff:a.b.c.d`). Deno binds with the OS default for `IPV6_V6ONLY` and
 * cannot change it: dual-stack on Linux (unless `net.ipv6.bindv6only` is
 * set) and macOS, IPv6-only on Windows.
 *
 * @example
 * ```ts
 * import { has_dualstack_ipv6 } from "@seed/socket";
 * console.log(has_dualstack_ipv6());
 * ```
 */
export function has_dualstack_ipv6(): boolean {
  return Deno.build.os !== "windows";
}

/**
 * A pair of connected sockets, as CPython's `socket.socketpair`. Deno has
 * no `socketpair(2)`, so this is built as CPython builds it where the OS
 * lacks one: a loopback listener, a connection to it, and a check that
 * the accepted peer is the pair's own end. `family` is therefore `AF_INET`
 * (the default here, where Linux's CPython defaults to `AF_UNIX`) or
 * `AF_INET6`, and it needs `--allow-net=127.0.0.1` (or `[::1]`).
 * `SOCK_DGRAM` gives two loopback datagram sockets connected to each
 * other. Resolves to `[a, b]`.
 *
 * @example
 * ```ts
 * import { socketpair } from "@seed/socket";
 * const [a, b] = await socketpair();
 * await a.sendall("ping");
 * console.log(await b.recv(4));
 * a.close();
 * b.close();
 * ```
 */
export async function socketpair(
  family?: number,
  type?: typeof SOCK_STREAM,
  proto?: number,
): Promise<[Socket, Socket]>;
/**
 * Two loopback datagram sockets, each connected to the other.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socketpair } from "@seed/socket";
 * const [a, b] = await socketpair(AF_INET, SOCK_DGRAM);
 * await a.send("ping");
 * console.log(await b.recv(4));
 * a.close();
 * b.close();
 * ```
 */
export async function socketpair(
  family: number,
  type: typeof SOCK_DGRAM,
  proto?: number,
): Promise<[DatagramSocket, DatagramSocket]>;
export async function socketpair(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto: number = 0,
): Promise<[Socket, Socket] | [DatagramSocket, DatagramSocket]> {
  let host: string;
  if (family === AF_INET) host = "127.0.0.1";
  else if (family === AF_INET6) host = "::1";
  else {
    throw new OSError(errno.EAFNOSUPPORT, null, {
      detail: "Deno has no socketpair(); it is built over loopback: use AF_INET or AF_INET6",
    });
  }
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM) {
    throw new RangeError("socketpair(): type must be SOCK_STREAM or SOCK_DGRAM");
  }
  if (proto !== 0) throw new RangeError("Only protocol zero is supported");
  if (type === SOCK_DGRAM) return await datagramPair(family, host);
  const listener = socket(family, SOCK_STREAM);
  let client: Socket | null = null;
  let server: Socket | null = null;
  try {
    listener.bind([host, 0]);
    listener.listen(1);
    // Set up blocking whatever setdefaulttimeout() says (0 would make the
    // connect EINPROGRESS); the pair then gets the default, as CPython's.
    listener.settimeout(null);
    client = socket(family, SOCK_STREAM);
    client.settimeout(null);
    const connecting = client.connect(listener.getsockname() as IPv4Address);
    [server] = await listener.accept();
    await connecting;
    client.settimeout(getdefaulttimeout());
    server.settimeout(getdefaulttimeout());
  } catch (e) {
    client?.close();
    server?.close();
    throw e;
  } finally {
    listener.close();
  }
  // Something else on the host could have connected first: check the peer.
  if (
    !same(server.getsockname(), client.getpeername()) ||
    !same(client.getsockname(), server.getpeername())
  ) {
    server.close();
    client.close();
    throw new ConnectionError(null, "Unexpected peer connection");
  }
  return [server, client];
}

async function datagramPair(
  family: number,
  host: string,
): Promise<[DatagramSocket, DatagramSocket]> {
  const a = socket(family, SOCK_DGRAM);
  const b = socket(family, SOCK_DGRAM);
  try {
    a.bind([host, 0]);
    b.bind([host, 0]);
    await a.connect(b.getsockname() as IPv4Address);
    await b.connect(a.getsockname() as IPv4Address);
    return [a, b];
  } catch (e) {
    a.close();
    b.close();
    throw e;
  }
}

function same(a: SocketAddress, b: SocketAddress): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
