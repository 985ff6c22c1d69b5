/**
 * Python's `socket` module for Deno: `socket()`, `bind`, `listen`, `accept`,
 * `connect`, `recv`, `sendall`, `settimeout` and the rest, with Python's
 * names, errors and timeout rules. Port a Python script by adding `await`.
 *
 * @example A server and a client in one script
 * ```ts
 * import { socket } from "@seed/socket";
 *
 * await using server = socket();              // socket()
 * server.bind(["127.0.0.1", 0]);              // bind()
 * server.listen();                            // listen()
 *
 * await using client = socket();
 * await client.connect(server.getsockname() as [string, number]);
 * const [conn, address] = await server.accept(); // accept()
 * console.log("accepted", address);
 *
 * await client.sendall("hello");              // send
 * console.log(await conn.recv(1024));         // recv
 * conn.close();                               // close()
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./errors.ts";
export { getdefaulttimeout, setdefaulttimeout, SocketBase } from "./_base.ts";
/** CPython's `socket.SocketType`: the class every socket here extends. */
export { SocketBase as SocketType } from "./_base.ts";
export type { CallOptions } from "./_base.ts";
export type { Address, IPv4Address, IPv6Address, SocketAddress } from "./_address.ts";
export type { Data } from "./_options.ts";
export { Socket, socket } from "./socket.ts";
export { DatagramSocket } from "./udp.ts";
export {
  getaddrinfo,
  gethostname,
  htonl,
  htons,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  ntohl,
  ntohs,
} from "./inet.ts";
export type { AddrInfo } from "./inet.ts";
export {
  getfqdn,
  gethostbyaddr,
  gethostbyname,
  gethostbyname_ex,
  getnameinfo,
  getprotobyname,
  getservbyname,
  getservbyport,
} from "./_netdb.ts";
export type { HostEntry, NameInfoAddress } from "./_netdb.ts";
export {
  close,
  CMSG_LEN,
  CMSG_SPACE,
  dup,
  fromfd,
  fromshare,
  if_indextoname,
  if_nameindex,
  if_nametoindex,
  recv_fds,
  send_fds,
  sethostname,
} from "./_omissions.ts";
export type { Ancillary, MessageSocket, RecvmsgResult } from "./_omissions.ts";
export type { SendableFile } from "./_sendfile.ts";
export { create_connection, create_server, has_dualstack_ipv6, socketpair } from "./helpers.ts";
export type { CreateServerOptions } from "./helpers.ts";
export {
  DEFAULT_BUFFER_SIZE,
  SocketFile,
  SocketIO,
  SocketTextFile,
  UnicodeDecodeError,
  UnicodeEncodeError,
  UnsupportedOperation,
} from "./makefile.ts";
export type { MakefileOptions, RawStream, TextFileOptions } from "./makefile.ts";
export { DefaultSelector, EVENT_READ, EVENT_WRITE, KeyError, select } from "./select.ts";
export type { Selectable, SelectorKey } from "./select.ts";
export {
  BaseRequestHandler,
  BaseServer,
  DatagramRequestHandler,
  ForkingMixIn,
  StreamRequestHandler,
  TCPServer,
  ThreadingMixIn,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixStreamServer,
  UDPServer,
  UnixDatagramServer,
  UnixStreamServer,
} from "./socketserver.ts";
export type {
  DatagramRequest,
  ForkingSettings,
  RequestHandlerClass,
  ThreadingSettings,
} from "./socketserver.ts";
