/**
 * The constants of Python's `socket` module, with Linux's numbers (the
 * numbers are this library's own vocabulary: they mean the same on every
 * platform Deno runs on).
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from "@seed/socket/constants";
 * console.log(AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR); // 2 1 1 2
 * ```
 *
 * @module
 */

/**
 * Unix-domain sockets (a filesystem path as address).
 *
 * @example
 * ```ts
 * import { AF_UNIX } from "@seed/socket";
 * console.log(AF_UNIX);
 * ```
 */
export const AF_UNIX = 1;
/**
 * IPv4 (`[host, port]` addresses).
 *
 * @example
 * ```ts
 * import { AF_INET } from "@seed/socket";
 * console.log(AF_INET);
 * ```
 */
export const AF_INET = 2;
/**
 * IPv6 (`[host, port, flowinfo, scope_id]` addresses).
 *
 * @example
 * ```ts
 * import { AF_INET6 } from "@seed/socket";
 * console.log(AF_INET6);
 * ```
 */
export const AF_INET6 = 10;
/**
 * `AF_UNSPEC`: any family, for `getaddrinfo`.
 *
 * @example
 * ```ts
 * import { AF_UNSPEC } from "@seed/socket";
 * console.log(AF_UNSPEC);
 * ```
 */
export const AF_UNSPEC = 0;

/**
 * A reliable byte stream (TCP, or a Unix stream socket).
 *
 * @example
 * ```ts
 * import { SOCK_STREAM } from "@seed/socket";
 * console.log(SOCK_STREAM);
 * ```
 */
export const SOCK_STREAM = 1;
/**
 * Datagrams (UDP).
 *
 * @example
 * ```ts
 * import { SOCK_DGRAM } from "@seed/socket";
 * console.log(SOCK_DGRAM);
 * ```
 */
export const SOCK_DGRAM = 2;

/**
 * `shutdown`: no more receives.
 *
 * @example
 * ```ts
 * import { SHUT_RD } from "@seed/socket";
 * console.log(SHUT_RD);
 * ```
 */
export const SHUT_RD = 0;
/**
 * `shutdown`: no more sends (the peer's `recv` returns empty).
 *
 * @example
 * ```ts
 * import { SHUT_WR } from "@seed/socket";
 * console.log(SHUT_WR);
 * ```
 */
export const SHUT_WR = 1;
/**
 * `shutdown`: neither.
 *
 * @example
 * ```ts
 * import { SHUT_RDWR } from "@seed/socket";
 * console.log(SHUT_RDWR);
 * ```
 */
export const SHUT_RDWR = 2;

/**
 * `recv` flag: return data without consuming it.
 *
 * @example
 * ```ts
 * import { MSG_PEEK } from "@seed/socket";
 * console.log(MSG_PEEK);
 * ```
 */
export const MSG_PEEK = 2;
/**
 * `recv`/`send` flag: this call is non-blocking.
 *
 * @example
 * ```ts
 * import { MSG_DONTWAIT } from "@seed/socket";
 * console.log(MSG_DONTWAIT);
 * ```
 */
export const MSG_DONTWAIT = 64;
/**
 * `recv` flag: wait for the full `bufsize` (or end of stream).
 *
 * @example
 * ```ts
 * import { MSG_WAITALL } from "@seed/socket";
 * console.log(MSG_WAITALL);
 * ```
 */
export const MSG_WAITALL = 256;

/**
 * `setsockopt` level of socket options.
 *
 * @example
 * ```ts
 * import { SOL_SOCKET } from "@seed/socket";
 * console.log(SOL_SOCKET);
 * ```
 */
export const SOL_SOCKET = 1;
/**
 * Option: allow reuse of a local address (Deno always sets it on listeners).
 *
 * @example
 * ```ts
 * import { SO_REUSEADDR } from "@seed/socket";
 * console.log(SO_REUSEADDR);
 * ```
 */
export const SO_REUSEADDR = 2;
/**
 * Option: read back the socket type.
 *
 * @example
 * ```ts
 * import { SO_TYPE } from "@seed/socket";
 * console.log(SO_TYPE);
 * ```
 */
export const SO_TYPE = 3;
/**
 * Option: read and clear the pending error.
 *
 * @example
 * ```ts
 * import { SO_ERROR } from "@seed/socket";
 * console.log(SO_ERROR);
 * ```
 */
export const SO_ERROR = 4;
/**
 * Option: allow sending to broadcast addresses.
 *
 * @example
 * ```ts
 * import { SO_BROADCAST } from "@seed/socket";
 * console.log(SO_BROADCAST);
 * ```
 */
export const SO_BROADCAST = 6;
/**
 * Option: send buffer size (Deno cannot read or set it).
 *
 * @example
 * ```ts
 * import { SO_SNDBUF } from "@seed/socket";
 * console.log(SO_SNDBUF);
 * ```
 */
export const SO_SNDBUF = 7;
/**
 * Option: receive buffer size (Deno cannot read or set it).
 *
 * @example
 * ```ts
 * import { SO_RCVBUF } from "@seed/socket";
 * console.log(SO_RCVBUF);
 * ```
 */
export const SO_RCVBUF = 8;
/**
 * Option: TCP keep-alive probes.
 *
 * @example
 * ```ts
 * import { SO_KEEPALIVE } from "@seed/socket";
 * console.log(SO_KEEPALIVE);
 * ```
 */
export const SO_KEEPALIVE = 9;
/**
 * Option: several sockets may bind the same port (needs `--unstable-net`).
 *
 * @example
 * ```ts
 * import { SO_REUSEPORT } from "@seed/socket";
 * console.log(SO_REUSEPORT);
 * ```
 */
export const SO_REUSEPORT = 15;

/**
 * Protocol number of IP, and `setsockopt` level of IPv4 options.
 *
 * @example
 * ```ts
 * import { IPPROTO_IP } from "@seed/socket";
 * console.log(IPPROTO_IP);
 * ```
 */
export const IPPROTO_IP = 0;
/**
 * Protocol number of TCP, and `setsockopt` level of TCP options.
 *
 * @example
 * ```ts
 * import { IPPROTO_TCP } from "@seed/socket";
 * console.log(IPPROTO_TCP);
 * ```
 */
export const IPPROTO_TCP = 6;
/**
 * Protocol number of UDP.
 *
 * @example
 * ```ts
 * import { IPPROTO_UDP } from "@seed/socket";
 * console.log(IPPROTO_UDP);
 * ```
 */
export const IPPROTO_UDP = 17;
/**
 * `setsockopt` level of IPv6 options.
 *
 * @example
 * ```ts
 * import { IPPROTO_IPV6 } from "@seed/socket";
 * console.log(IPPROTO_IPV6);
 * ```
 */
export const IPPROTO_IPV6 = 41;
/**
 * Option: disable Nagle's algorithm.
 *
 * @example
 * ```ts
 * import { TCP_NODELAY } from "@seed/socket";
 * console.log(TCP_NODELAY);
 * ```
 */
export const TCP_NODELAY = 1;

/**
 * The largest backlog the kernel takes (Linux's default `somaxconn`).
 *
 * @example
 * ```ts
 * import { SOMAXCONN } from "@seed/socket";
 * console.log(SOMAXCONN);
 * ```
 */
export const SOMAXCONN = 4096;
