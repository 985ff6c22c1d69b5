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

/** Unix-domain sockets (a filesystem path as address). */
export const AF_UNIX = 1;
/** IPv4 (`[host, port]` addresses). */
export const AF_INET = 2;
/** IPv6 (`[host, port, flowinfo, scope_id]` addresses). */
export const AF_INET6 = 10;
/** `AF_UNSPEC`: any family, for `getaddrinfo`. */
export const AF_UNSPEC = 0;

/** A reliable byte stream (TCP, or a Unix stream socket). */
export const SOCK_STREAM = 1;
/** Datagrams (UDP). */
export const SOCK_DGRAM = 2;

/** `shutdown`: no more receives. */
export const SHUT_RD = 0;
/** `shutdown`: no more sends (the peer's `recv` returns empty). */
export const SHUT_WR = 1;
/** `shutdown`: neither. */
export const SHUT_RDWR = 2;

/** `recv` flag: return data without consuming it. */
export const MSG_PEEK = 2;
/** `recv`/`send` flag: this call is non-blocking. */
export const MSG_DONTWAIT = 64;
/** `recv` flag: wait for the full `bufsize` (or end of stream). */
export const MSG_WAITALL = 256;

/** `setsockopt` level of socket options. */
export const SOL_SOCKET = 1;
/** Option: allow reuse of a local address (Deno always sets it on listeners). */
export const SO_REUSEADDR = 2;
/** Option: read back the socket type. */
export const SO_TYPE = 3;
/** Option: read and clear the pending error. */
export const SO_ERROR = 4;
/** Option: allow sending to broadcast addresses. */
export const SO_BROADCAST = 6;
/** Option: send buffer size (Deno cannot read or set it). */
export const SO_SNDBUF = 7;
/** Option: receive buffer size (Deno cannot read or set it). */
export const SO_RCVBUF = 8;
/** Option: TCP keep-alive probes. */
export const SO_KEEPALIVE = 9;
/** Option: several sockets may bind the same port (needs `--unstable-net`). */
export const SO_REUSEPORT = 15;

/** Protocol number of IP, and `setsockopt` level of IPv4 options. */
export const IPPROTO_IP = 0;
/** Protocol number of TCP, and `setsockopt` level of TCP options. */
export const IPPROTO_TCP = 6;
/** Protocol number of UDP. */
export const IPPROTO_UDP = 17;
/** `setsockopt` level of IPv6 options. */
export const IPPROTO_IPV6 = 41;
/** Option: disable Nagle's algorithm. */
export const TCP_NODELAY = 1;

/** The largest backlog the kernel takes (Linux's default `somaxconn`). */
export const SOMAXCONN = 4096;
