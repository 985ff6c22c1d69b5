/**
 * The parameters the comparison script passes to every peer, as JSON.
 *
 * @module
 */

/** What one workload run needs; each workload reads its own fields. */
export interface Params {
  /** tcp_bulk, tls_bulk: bytes to send in all. */
  total?: number;
  /** tcp_bulk, tls_bulk: bytes per `sendall`. */
  write?: number;
  /** How the server reads: `recv(bufsize)` (fresh bytes) or `recv_into` (one buffer). */
  read?: "recv" | "recv_into";
  /**
   * Raw Deno only: a new read buffer per read (`conn.read(new Uint8Array(n))`,
   * `receive()` with no buffer) instead of one reused buffer.
   */
  alloc?: boolean;
  /** Server read size (tcp_fanin). */
  bufsize?: number;
  /** Round trips, or connections (tcp_connect, tls_handshake). */
  count?: number;
  /**
   * The client's untimed warm-up, done first on the same connection or
   * flow: round trips (tcp_rr, udp_rr, line_rr, tls_rr), connections
   * (tcp_connect) or bytes (tcp_bulk, a multiple of `write`). The server's
   * `count` or `total` already includes it.
   */
  warm?: number;
  /** Message size in bytes. */
  size?: number;
  /** tcp_rr: `settimeout` on both ends (null: blocking). */
  timeout?: number | null;
  /** tcp_fanin: concurrent clients (0: start, serve nobody, exit: the idle footprint). */
  clients?: number;
  /** tcp_fanin: echoes per client. */
  echoes?: number;
  /**
   * tcp_fanin: connections being opened at most. The client first opens
   * every connection, this many at a time, each open being a connect and
   * the first echo (so the server has accepted it: connects alone would
   * overflow the accept queue, Deno's backlog being 511, and the dropped
   * SYNs wait 1 s, 3 s... to be sent again, which the row would then
   * measure); then all of them run the other echoes at once; then all close.
   */
  connecting?: number;
  /**
   * http: how the server is written. Library: `loop` (accept loop,
   * `recv_into`), `makefile` (`makefile("rb")` + `readline`), `socketserver`
   * (`TCPServer` + `StreamRequestHandler`). Raw Deno: `loop` or `serve`
   * (`Deno.serve`). CPython: `socketserver`. tls_*, library server:
   * `accepted` wraps each accepted socket (with TCP_NODELAY) in place of
   * the listening one.
   */
  style?: "loop" | "makefile" | "socketserver" | "serve" | "accepted";
  /** http: response body size in bytes. */
  body?: number;
  /** http: exit after this many responses (bench/profile.ts; the harness stops the server). */
  requests?: number;
  /** tls_*: directory holding `ca.pem`, `server.pem` and `server.key`. */
  certs?: string;
}
