/**
 * How a stream socket gets a connection: the {@linkcode Connector} (the one
 * connect attempt Deno has in flight, how it ended, and Linux's rules for
 * reporting a non-blocking one) and the {@linkcode Acceptor} (a listener,
 * the one accept Deno keeps in flight, and the connections it accepted
 * after the caller stopped waiting). Both go through the transport.
 *
 * Neither drops an operation: an attempt or an accept outlives a timed-out
 * or aborted call, and its result goes to the next call; `close()` ends
 * both (an aborted connect, a closed listener).
 *
 * @module
 */

import { errno, fromErrno, OSError, toOSError } from "./errors.ts";
import { formatTarget, type Target } from "./_address.ts";
import {
  droppedWhileQueued,
  plainTransport,
  type StreamConn,
  type StreamListener,
  type Transport,
} from "./_transport.ts";

/**
 * A stream socket's connect attempts.
 * @ignore
 */
export class Connector {
  /** How this socket opens connections and listeners. */
  transport: Transport = plainTransport;
  /** The address the socket is bound or connected to (for messages, and what it may give up). */
  target: Target | null = null;
  /** The attempt Deno has in flight. */
  connecting: Promise<void> | null = null;
  /** How the last attempt failed (`SO_ERROR`), until reported. */
  error: OSError | null = null;
  /** False after a non-blocking connect said EINPROGRESS: the next connect reports how it ended. */
  reported = true;
  /** Ends the attempt in flight: close() aborts it, as closing the fd does on Linux. */
  #abort: AbortController | null = null;

  /**
   * Starts an attempt to `target`; `done` gets the connection, or null when
   * it failed (its error is in `error`).
   */
  start(target: Target, done: (conn: StreamConn | null) => void): void {
    this.target = target;
    this.error = null;
    const abort = this.#abort = new AbortController();
    this.connecting = this.transport.connect(target, abort.signal).then((conn) => {
      this.#abort = null;
      this.connecting = null;
      done(conn);
    }, (e) => {
      this.#abort = null;
      this.connecting = null;
      this.error = toOSError(e, { address: formatTarget(target) });
      done(null);
    });
  }

  /**
   * After the attempt ended: throws its error, or ECONNABORTED when it
   * failed and another connect call waiting on it took the error (Linux's
   * sock_error gives the other waiters that).
   */
  result(connected: boolean): void {
    const failure = this.error;
    if (failure) {
      this.error = null;
      throw failure;
    }
    if (!connected) {
      throw fromErrno(errno.ECONNABORTED, {
        detail: this.target ? formatTarget(this.target) : undefined,
      });
    }
  }

  /**
   * Before a bound socket connects: Deno cannot connect from a chosen
   * source address, so an ephemeral TCP binding is given up (the kernel
   * picks one, as it would have anyway) and true returned; any other
   * binding is `EOPNOTSUPP`.
   */
  releasable(to: Target): boolean {
    const bound = this.target;
    if (to.transport === "tcp" && bound?.transport === "tcp" && bound.port === 0) return true;
    throw new OSError(errno.EOPNOTSUPP, null, {
      detail: `Deno cannot connect from a chosen local address (bound to ${
        bound ? formatTarget(bound) : "?"
      }); connect an unbound socket`,
    });
  }

  /** Takes the failure to report (SO_ERROR). */
  takeError(): OSError | null {
    const failure = this.error;
    this.error = null;
    return failure;
  }

  /**
   * Ends the attempt in flight (the socket closed): a connect that timed
   * out goes on until then, or Deno retries its SYNs for minutes and keeps
   * the process alive.
   */
  stop(): void {
    this.#abort?.abort();
    this.#abort = null;
  }
}

/**
 * A listening stream socket's accepts.
 * @ignore
 */
export class Acceptor {
  readonly listener: StreamListener;
  /** How the accept in flight failed, for the next call. */
  error: unknown = null;
  /** Connections Deno accepted after the caller stopped waiting. */
  readonly ready: StreamConn[] = [];
  #accepting: Promise<void> | null = null;
  #closed: () => boolean;

  constructor(listener: StreamListener, closed: () => boolean) {
    this.listener = listener;
    this.#closed = closed;
  }

  /** True when an accept call has nothing to take and nothing to report. */
  empty(): boolean {
    return this.ready.length === 0 && this.error === null;
  }

  /**
   * The accept Deno keeps in flight (started if none); its connection
   * waits in `ready`. Every path that accepts (accept, iteration, select,
   * socketserver) goes through here, so a client that reset while queued
   * is skipped in this one place.
   */
  start(): Promise<void> {
    return this.#accepting ??= this.#next();
  }

  #next(): Promise<void> {
    return this.listener.accept().then(this.#accepted, this.#failed);
  }

  // The accept handlers, made once per listener rather than per accept.
  #accepted = (conn: StreamConn): void => {
    this.#accepting = null;
    if (this.#closed()) conn.close();
    else this.ready.push(conn);
  };

  #failed = (e: unknown): Promise<void> | void => {
    // Deno fails the whole accept when the queued client has gone (it
    // reads the peer's address, ENOTCONN); the listener itself is fine.
    if (!this.#closed() && droppedWhileQueued(e)) return this.#next();
    this.#accepting = null;
    this.error = e;
  };

  /** Closes the listener and the connections nobody took. */
  close(): void {
    for (const conn of this.ready.splice(0)) closeQuietly(conn);
    closeQuietly(this.listener);
  }
}

/**
 * Closes `resource`, ignoring that Deno already did (the peer went away).
 * @ignore
 */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed by Deno: nothing left to free.
  }
}
