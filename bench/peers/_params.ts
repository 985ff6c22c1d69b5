/**
 * The parameters the comparison script passes to every peer, as JSON.
 *
 * @module
 */

/** What one workload run needs; each workload reads its own fields. */
export interface Params {
  /** tcp_bulk: bytes to send in all. */
  total?: number;
  /** tcp_bulk: bytes per `sendall`. */
  write?: number;
  /** How the server reads: `recv(bufsize)` (fresh bytes) or `recv_into` (one buffer). */
  read?: "recv" | "recv_into";
  /** Server read size (tcp_fanin). */
  bufsize?: number;
  /** Round trips, or connections (tcp_connect). */
  count?: number;
  /** Message size in bytes. */
  size?: number;
  /** tcp_rr: `settimeout` on both ends (null: blocking). */
  timeout?: number | null;
  /** tcp_fanin: concurrent clients. */
  clients?: number;
  /** tcp_fanin: echoes per client. */
  echoes?: number;
}
