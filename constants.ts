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

/**
 * A raw socket (listed by `getaddrinfo`; this library cannot create one).
 *
 * @example
 * ```ts
 * import { SOCK_RAW } from "@seed/socket";
 * console.log(SOCK_RAW);
 * ```
 */
export const SOCK_RAW = 3;
/**
 * Or-ed into `socket()`'s type: the socket starts non-blocking, as
 * `setblocking(false)`; `type` reads back without it, as in CPython.
 *
 * @example
 * ```ts
 * import { SOCK_NONBLOCK, SOCK_STREAM, socket } from "@seed/socket";
 * using sock = socket(2, SOCK_STREAM | SOCK_NONBLOCK);
 * console.log(sock.type, sock.gettimeout()); // 1 0
 * ```
 */
export const SOCK_NONBLOCK = 2048;
/**
 * Or-ed into `socket()`'s type: close-on-exec. Accepted and ignored, as
 * Deno's sockets never pass to a child process (CPython sets it on all).
 *
 * @example
 * ```ts
 * import { SOCK_CLOEXEC, SOCK_STREAM, socket } from "@seed/socket";
 * using sock = socket(2, SOCK_STREAM | SOCK_CLOEXEC);
 * console.log(sock.type); // 1
 * ```
 */
export const SOCK_CLOEXEC = 524288;
/**
 * `setsockopt` (IPv4): interface for outgoing multicast (Deno cannot set it).
 *
 * @example
 * ```ts
 * import { IP_MULTICAST_IF } from "@seed/socket";
 * console.log(IP_MULTICAST_IF);
 * ```
 */
export const IP_MULTICAST_IF = 32;
/**
 * `setsockopt` (IPv4): time-to-live of outgoing multicast datagrams.
 *
 * @example
 * ```ts
 * import { IP_MULTICAST_TTL } from "@seed/socket";
 * console.log(IP_MULTICAST_TTL);
 * ```
 */
export const IP_MULTICAST_TTL = 33;
/**
 * `setsockopt` (IPv4): loop sent multicast datagrams back to local sockets.
 *
 * @example
 * ```ts
 * import { IP_MULTICAST_LOOP } from "@seed/socket";
 * console.log(IP_MULTICAST_LOOP);
 * ```
 */
export const IP_MULTICAST_LOOP = 34;
/**
 * `setsockopt` (IPv4): join a multicast group (value: `ip_mreq` bytes).
 *
 * @example
 * ```ts
 * import { IP_ADD_MEMBERSHIP } from "@seed/socket";
 * console.log(IP_ADD_MEMBERSHIP);
 * ```
 */
export const IP_ADD_MEMBERSHIP = 35;
/**
 * `setsockopt` (IPv4): leave a multicast group (value: `ip_mreq` bytes).
 *
 * @example
 * ```ts
 * import { IP_DROP_MEMBERSHIP } from "@seed/socket";
 * console.log(IP_DROP_MEMBERSHIP);
 * ```
 */
export const IP_DROP_MEMBERSHIP = 36;
/**
 * `setsockopt` (IPv6): interface for outgoing multicast (Deno cannot set it).
 *
 * @example
 * ```ts
 * import { IPV6_MULTICAST_IF } from "@seed/socket";
 * console.log(IPV6_MULTICAST_IF);
 * ```
 */
export const IPV6_MULTICAST_IF = 17;
/**
 * `setsockopt` (IPv6): hop limit of outgoing multicast datagrams.
 *
 * @example
 * ```ts
 * import { IPV6_MULTICAST_HOPS } from "@seed/socket";
 * console.log(IPV6_MULTICAST_HOPS);
 * ```
 */
export const IPV6_MULTICAST_HOPS = 18;
/**
 * `setsockopt` (IPv6): loop sent multicast datagrams back to local sockets.
 *
 * @example
 * ```ts
 * import { IPV6_MULTICAST_LOOP } from "@seed/socket";
 * console.log(IPV6_MULTICAST_LOOP);
 * ```
 */
export const IPV6_MULTICAST_LOOP = 19;
/**
 * `setsockopt` (IPv6): join a multicast group (value: `ipv6_mreq` bytes).
 *
 * @example
 * ```ts
 * import { IPV6_JOIN_GROUP } from "@seed/socket";
 * console.log(IPV6_JOIN_GROUP);
 * ```
 */
export const IPV6_JOIN_GROUP = 20;
/**
 * `setsockopt` (IPv6): leave a multicast group (value: `ipv6_mreq` bytes).
 *
 * @example
 * ```ts
 * import { IPV6_LEAVE_GROUP } from "@seed/socket";
 * console.log(IPV6_LEAVE_GROUP);
 * ```
 */
export const IPV6_LEAVE_GROUP = 21;
/**
 * `setsockopt` (IPv6): accept only IPv6 (Deno cannot set it).
 *
 * @example
 * ```ts
 * import { IPV6_V6ONLY } from "@seed/socket";
 * console.log(IPV6_V6ONLY);
 * ```
 */
export const IPV6_V6ONLY = 26;
/**
 * `0.0.0.0` as a number: any address.
 *
 * @example
 * ```ts
 * import { INADDR_ANY } from "@seed/socket";
 * console.log(INADDR_ANY);
 * ```
 */
export const INADDR_ANY = 0;
/**
 * `127.0.0.1` as a number.
 *
 * @example
 * ```ts
 * import { INADDR_LOOPBACK } from "@seed/socket";
 * console.log(INADDR_LOOPBACK);
 * ```
 */
export const INADDR_LOOPBACK = 0x7f000001;
/**
 * `255.255.255.255` as a number.
 *
 * @example
 * ```ts
 * import { INADDR_BROADCAST } from "@seed/socket";
 * console.log(INADDR_BROADCAST);
 * ```
 */
export const INADDR_BROADCAST = 0xffffffff;
/**
 * `getaddrinfo` flag: addresses for `bind` (the wildcard when host is null).
 *
 * @example
 * ```ts
 * import { AI_PASSIVE } from "@seed/socket";
 * console.log(AI_PASSIVE);
 * ```
 */
export const AI_PASSIVE = 1;
/**
 * `getaddrinfo` flag: fill in the canonical name of the first result.
 *
 * @example
 * ```ts
 * import { AI_CANONNAME } from "@seed/socket";
 * console.log(AI_CANONNAME);
 * ```
 */
export const AI_CANONNAME = 2;
/**
 * `getaddrinfo` flag: host must be a numeric address (no lookup).
 *
 * @example
 * ```ts
 * import { AI_NUMERICHOST } from "@seed/socket";
 * console.log(AI_NUMERICHOST);
 * ```
 */
export const AI_NUMERICHOST = 4;
/**
 * `getaddrinfo` flag: IPv4-mapped addresses when no IPv6 one exists.
 *
 * @example
 * ```ts
 * import { AI_V4MAPPED } from "@seed/socket";
 * console.log(AI_V4MAPPED);
 * ```
 */
export const AI_V4MAPPED = 8;
/**
 * `getaddrinfo` flag: with `AI_V4MAPPED`, both IPv6 and mapped IPv4.
 *
 * @example
 * ```ts
 * import { AI_ALL } from "@seed/socket";
 * console.log(AI_ALL);
 * ```
 */
export const AI_ALL = 16;
/**
 * `getaddrinfo` flag: only families configured on the host.
 *
 * @example
 * ```ts
 * import { AI_ADDRCONFIG } from "@seed/socket";
 * console.log(AI_ADDRCONFIG);
 * ```
 */
export const AI_ADDRCONFIG = 32;
/**
 * `getaddrinfo` flag: port must be numeric (no service lookup).
 *
 * @example
 * ```ts
 * import { AI_NUMERICSERV } from "@seed/socket";
 * console.log(AI_NUMERICSERV);
 * ```
 */
export const AI_NUMERICSERV = 1024;
/**
 * `getaddrinfo` error: temporary failure in name resolution.
 *
 * @example
 * ```ts
 * import { EAI_AGAIN } from "@seed/socket";
 * console.log(EAI_AGAIN);
 * ```
 */
export const EAI_AGAIN: number = -3;
/**
 * `getaddrinfo` error: non-recoverable failure in name resolution.
 *
 * @example
 * ```ts
 * import { EAI_FAIL } from "@seed/socket";
 * console.log(EAI_FAIL);
 * ```
 */
export const EAI_FAIL: number = -4;
/**
 * `getaddrinfo` error: address family not supported.
 *
 * @example
 * ```ts
 * import { EAI_FAMILY } from "@seed/socket";
 * console.log(EAI_FAMILY);
 * ```
 */
export const EAI_FAMILY: number = -6;
/**
 * `getaddrinfo` error: socket type not supported.
 *
 * @example
 * ```ts
 * import { EAI_SOCKTYPE } from "@seed/socket";
 * console.log(EAI_SOCKTYPE);
 * ```
 */
export const EAI_SOCKTYPE: number = -7;
/**
 * `getaddrinfo` error: service not supported for the socket type.
 *
 * @example
 * ```ts
 * import { EAI_SERVICE } from "@seed/socket";
 * console.log(EAI_SERVICE);
 * ```
 */
export const EAI_SERVICE: number = -8;
/**
 * `getaddrinfo` error: address family for the host name not supported.
 *
 * @example
 * ```ts
 * import { EAI_ADDRFAMILY } from "@seed/socket";
 * console.log(EAI_ADDRFAMILY);
 * ```
 */
export const EAI_ADDRFAMILY: number = -9;
/**
 * `getaddrinfo` error: bad flags.
 *
 * @example
 * ```ts
 * import { EAI_BADFLAGS } from "@seed/socket";
 * console.log(EAI_BADFLAGS);
 * ```
 */
export const EAI_BADFLAGS: number = -1;

/**
 * True: Deno supports IPv6 sockets (CPython's `socket.has_ipv6`, which says
 * the same of its build).
 *
 * @example
 * ```ts
 * import { has_ipv6 } from "@seed/socket";
 * console.log(has_ipv6); // true
 * ```
 */
// deno-lint-ignore camelcase
export const has_ipv6: boolean = true;

export * from "./_constants.ts";
