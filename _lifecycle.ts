/**
 * Lifecycle: the states a socket goes through and, in one table per kind,
 * the errno each call gets in each state. A socket keeps its state in one
 * field and asks {@linkcode refuse} before it acts; no other module decides
 * `EBADF`, `ENOTCONN`, `EISCONN`, `EINVAL` or `EPIPE` for a call made in the
 * wrong state.
 *
 * Stream: `fresh` → `bound` → `listening`, or `fresh` (or an ephemeral
 * `bound`) → `connecting` → `connected` → `half-closed` (after
 * `shutdown(SHUT_WR)`); any state → `closed`. A connect that fails goes
 * back to `fresh`.
 *
 * Datagram: `fresh` → `bound` → `connected` (a default peer); an unbound
 * socket that sends or connects binds itself first; any state → `closed`.
 *
 * @module
 */

import { errno, fromErrno, type OSError } from "./errors.ts";

/** Where a stream socket is in its life. */
export type StreamState =
  | "fresh"
  | "bound"
  | "listening"
  | "connecting"
  | "connected"
  | "half-closed"
  | "closed";

/** Where a datagram socket is in its life. */
export type DatagramState = "fresh" | "bound" | "connected" | "closed";

/** The calls whose answer depends on the state. */
export type Call =
  | "bind"
  | "listen"
  | "accept"
  | "connect"
  | "recv"
  | "send"
  | "shutdown"
  | "getpeername";

/** An errno and the words that say why. */
type Refusal = readonly [code: number, detail?: string];

const BOUND: Refusal = [errno.EINVAL, "socket is already bound"];
const CONNECTED: Refusal = [errno.EINVAL, "socket is connected"];
const NOT_LISTENING: Refusal = [errno.EINVAL, "call listen() before accept()"];
const IS_CONN: Refusal = [errno.EISCONN];
const NOT_CONN: Refusal = [errno.ENOTCONN];

/** Stream sockets: what each call gets in each state (absent: the call goes ahead). */
const STREAM: Record<Call, Partial<Record<StreamState, Refusal>>> = {
  bind: {
    bound: BOUND,
    listening: BOUND,
    connecting: BOUND,
    connected: BOUND,
    "half-closed": BOUND,
  },
  listen: { connecting: CONNECTED, connected: CONNECTED, "half-closed": CONNECTED },
  accept: {
    fresh: NOT_LISTENING,
    bound: NOT_LISTENING,
    connecting: NOT_LISTENING,
    connected: NOT_LISTENING,
    "half-closed": NOT_LISTENING,
  },
  // `connecting` is not refused: the call waits for (or reports) the attempt.
  connect: { listening: IS_CONN, connected: IS_CONN, "half-closed": IS_CONN },
  recv: { fresh: NOT_CONN, bound: NOT_CONN, listening: NOT_CONN, connecting: NOT_CONN },
  send: {
    fresh: [errno.EPIPE, "on an unconnected socket"],
    bound: [errno.EPIPE, "on an unconnected socket"],
    listening: [errno.EPIPE, "on an unconnected socket"],
    connecting: [errno.EPIPE, "on an unconnected socket"],
    "half-closed": [errno.EPIPE, "after shutdown(SHUT_WR)"],
  },
  shutdown: { fresh: NOT_CONN, bound: NOT_CONN, listening: NOT_CONN, connecting: NOT_CONN },
  getpeername: { fresh: NOT_CONN, bound: NOT_CONN, listening: NOT_CONN, connecting: NOT_CONN },
};

/** Datagram sockets: the same, for the calls whose answer depends on the state. */
const DATAGRAM: Partial<Record<Call, Partial<Record<DatagramState, Refusal>>>> = {
  bind: { bound: BOUND, connected: BOUND },
  send: { fresh: [errno.EDESTADDRREQ], bound: [errno.EDESTADDRREQ] },
  getpeername: { fresh: NOT_CONN, bound: NOT_CONN },
};

/**
 * The error `call` gets in `state`, or `null` when it may go ahead. `where`
 * (the call as the caller wrote it) prefixes the detail where it helps.
 * Every call on a closed socket gets `EBADF`.
 */
export function refuse(state: StreamState, call: Call, where?: string): OSError | null {
  if (state === "closed") return fromErrno(errno.EBADF);
  const refusal = STREAM[call][state];
  return refusal === undefined ? null : errorOf(refusal, where);
}

/** As {@linkcode refuse}, for a datagram socket. */
export function refuseDatagram(
  state: DatagramState,
  call: Call,
  where?: string,
): OSError | null {
  if (state === "closed") return fromErrno(errno.EBADF);
  const refusal = DATAGRAM[call]?.[state];
  return refusal === undefined ? null : errorOf(refusal, where);
}

function errorOf([code, detail]: Refusal, where?: string): OSError {
  if (detail === undefined) return fromErrno(code);
  return fromErrno(code, { detail: where && code === errno.EPIPE ? `${where} ${detail}` : detail });
}
