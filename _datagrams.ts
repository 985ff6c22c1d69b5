/**
 * The receiving side of a datagram socket: the only code that calls
 * `receive` on a `Deno.DatagramConn`. It owns the one receive Deno may have
 * in flight, the datagrams that arrived after their caller stopped waiting
 * (so a timeout, a `BlockingIOError` or an abort loses none), the default
 * peer's filter (a connected socket drops other senders' datagrams), and
 * the wait of a receive on a socket that is not bound yet.
 *
 * @module
 */

import { fromDenoAddr, type SocketAddress } from "./_address.ts";
import { badf, type Link, quiet } from "./_base.ts";
import type { Deadline } from "./_deadlines.ts";
import { detachedError, isDetached } from "./_options.ts";
import { canonicalHost } from "./inet.ts";

/** Room for any datagram, for receives made before the caller's bufsize is known. */
export const FULL_DATAGRAM = 65536;
// A blocking receive of up to this many bytes goes straight into the result;
// a larger bufsize uses the scratch buffer and a copy at the datagram's size
// (not a 64 KiB buffer per datagram).
const DIRECT_RECEIVE_MAX = 2048;

/** One datagram and who sent it. */
export type Datagram = [data: Uint8Array, from: Deno.NetAddr];

/** The default peer, as a connected socket filters by it. */
export interface Peer {
  port: number;
  /** The peer's host in canonical form (names resolved at connect). */
  canonical: string;
}

function ignoreResult(): void {}

const EMPTY = new Uint8Array(0);

/**
 * One datagram socket's receiving side.
 * @ignore
 */
export class DatagramReader {
  /** The bound endpoint; null before bind and after close. */
  conn: Deno.DatagramConn | null = null;
  /** The default peer set by connect: datagrams from others are dropped. */
  peer: Peer | null = null;
  // Datagrams Deno delivered after the caller stopped waiting, and the one
  // receive Deno may have in flight. A fast recvfrom's own promise may
  // reject: calls wait on it through inFlight().
  #ready: Datagram[] = [];
  #receiving: Promise<unknown> | null = null;
  #receiveError: unknown = null;
  #scratch: Uint8Array | null = null;
  #whenBound: PromiseWithResolvers<void> | null = null;
  #link: Link;
  #family: number;
  // recvfromIntoFast's caller's buffer while its receive is in flight.
  #into: Uint8Array = EMPTY;

  constructor(family: number, link: Link) {
    this.#family = family;
    this.#link = link;
  }

  /** True when a call may go straight to Deno: nothing queued, in flight or to report. */
  idle(): boolean {
    return this.#receiving === null && this.#ready.length === 0 && this.#receiveError === null &&
      this.peer === null;
  }

  /** The socket is bound: receives waiting for an address go on. */
  bound(conn: Deno.DatagramConn): void {
    this.conn = conn;
    this.#whenBound?.resolve();
    this.#whenBound = null;
  }

  /**
   * Blocking recvfrom of a bound, unconnected socket with nothing queued:
   * one Deno receive, no async frames. As the direct path of `receive`, a
   * small bufsize receives into the result itself, a large one into the
   * scratch buffer and keeps a copy of the datagram's own size.
   */
  recvfromFast(conn: Deno.DatagramConn, bufsize: number): Promise<[Uint8Array, SocketAddress]> {
    const own = bufsize <= DIRECT_RECEIVE_MAX;
    const buffer = own ? new Uint8Array(bufsize) : this.#scratchView(bufsize);
    const received: Promise<[Uint8Array, SocketAddress]> = conn.receive(buffer).then(
      (datagram) => {
        this.#receiving = null;
        const data = datagram[0];
        return [own ? data : data.slice(), fromDenoAddr(this.#family, datagram[1])];
      },
      (e) => {
        this.#receiving = null;
        quiet(received);
        throw this.#link.fail(e);
      },
    );
    // Calls made meanwhile wait for it (see inFlight).
    this.#receiving = received;
    return received;
  }

  /**
   * Blocking recvfrom_into of a bound, unconnected socket with nothing
   * queued: one Deno receive into the scratch buffer (sized to `target`, so
   * the kernel truncates as it would into `target`), copied into `target`.
   * Never straight into `target`: it may be detached (transferred) while the
   * receive waits, and the datagram would leave with it; then the datagram
   * stays queued for the next call. The handlers are made once: the call
   * allocates its promise and the address.
   */
  recvfromIntoFast(conn: Deno.DatagramConn, target: Uint8Array): Promise<[number, SocketAddress]> {
    this.#into = target;
    const scratch = this.#scratch ??= new Uint8Array(FULL_DATAGRAM);
    const size = target.length;
    const received = conn.receive(size >= FULL_DATAGRAM ? scratch : scratch.subarray(0, size))
      .then(this.#intoDone, this.#intoFailed);
    // Calls made meanwhile wait for it (see inFlight).
    this.#receiving = received;
    return received;
  }

  #intoDone = (datagram: [Uint8Array, Deno.Addr]): [number, SocketAddress] => {
    const received = this.#receiving;
    this.#receiving = null;
    const into = this.#into;
    this.#into = EMPTY;
    const data = datagram[0];
    if (isDetached(into.buffer)) {
      // Detached while the call waited: the datagram stays for the next receive.
      if (!this.#link.closed()) this.#ready.unshift([data.slice(), datagram[1] as Deno.NetAddr]);
      if (received !== null) quiet(received);
      throw detachedError("recvfrom_into()", "buffer");
    }
    into.set(data);
    return [data.length, fromDenoAddr(this.#family, datagram[1])];
  };

  #intoFailed = (e: unknown): never => {
    const received = this.#receiving;
    this.#receiving = null;
    this.#into = EMPTY;
    if (received !== null) quiet(received);
    throw this.#link.fail(e);
  };

  /** One datagram: a queued one first, else one receive from Deno. */
  async receive(deadline: Deadline, peek: boolean, size: number): Promise<Datagram> {
    for (;;) {
      this.#link.checkOpen();
      const next = this.#ready[0];
      if (next) {
        if (!this.#fromPeer(next[1])) {
          this.#ready.shift(); // a connected socket drops other senders' datagrams
          continue;
        }
        if (!peek) this.#ready.shift();
        return next;
      }
      const failure = this.#receiveError;
      if (failure) {
        this.#receiveError = null;
        throw this.#link.fail(failure);
      }
      const conn = this.conn;
      if (!conn) {
        // Nothing can arrive before the socket has an address: wait for one.
        this.#whenBound ??= Promise.withResolvers<void>();
        await this.wait(this.#whenBound.promise, deadline);
        continue;
      }
      if (!this.#receiving && deadline.timeout === null && !deadline.signal && !peek) {
        // Blocking with nothing queued: receive straight into the result; the
        // kernel truncates to its size. A large bufsize reads into the scratch
        // buffer and keeps only a copy of the datagram's own size, not a 64 KiB
        // buffer per datagram. Never the caller's buffer: it may be detached
        // while Deno fills it, and the datagram would be lost.
        const own = size <= DIRECT_RECEIVE_MAX ? new Uint8Array(size) : null;
        const buffer = own ?? this.#scratchView(size);
        const got = await this.#receiveDirect(conn, buffer, !own);
        if (this.#fromPeer(got[1])) return got;
        continue;
      }
      await this.wait(this.#inFlight(conn), deadline);
    }
  }

  /** Waits for `op` within `deadline`; EBADF if the socket closed meanwhile. */
  async wait(op: Promise<unknown>, deadline: Deadline): Promise<void> {
    try {
      await this.#link.waitFor(op, deadline, "read");
    } catch (e) {
      throw this.#link.closed() ? badf(e) : e;
    }
    this.#link.checkOpen();
  }

  /** Puts a datagram back at the front of the queue (its caller could not take it). */
  unshift(datagram: Datagram): void {
    this.#ready.unshift(datagram);
  }

  /** True when a receive would not wait (select's "readable"). */
  ready(): boolean {
    // A connected socket drops other senders' datagrams, as recv would.
    while (this.#ready.length > 0 && !this.#fromPeer(this.#ready[0][1])) this.#ready.shift();
    return this.#ready.length > 0 || this.#receiveError !== null;
  }

  /** What select waits on: the binding, or the receive in flight (never rejects). */
  watch(): Promise<void> {
    const conn = this.conn;
    if (!conn) return (this.#whenBound ??= Promise.withResolvers<void>()).promise;
    return this.#inFlight(conn);
  }

  /** The socket closed: queued datagrams go, waits for a binding end. */
  release(): void {
    this.conn = null;
    this.#ready = [];
    this.#whenBound?.resolve();
    this.#whenBound = null;
  }

  async #receiveDirect(
    conn: Deno.DatagramConn,
    buffer: Uint8Array,
    copy: boolean,
  ): Promise<Datagram> {
    let settle!: () => void;
    this.#receiving = new Promise<void>((resolve) => settle = resolve);
    try {
      const [data, from] = await conn.receive(buffer);
      // Copy out of the scratch buffer before another receive may reuse it.
      return [copy ? data.slice() : data, from as Deno.NetAddr];
    } catch (e) {
      throw this.#link.fail(e);
    } finally {
      this.#receiving = null;
      settle();
    }
  }

  /** The first `size` bytes of the scratch buffer (made on first use). */
  #scratchView(size: number): Uint8Array {
    return (this.#scratch ??= new Uint8Array(FULL_DATAGRAM)).subarray(0, size);
  }

  #receiveAhead(conn: Deno.DatagramConn): Promise<void> {
    // One receive ahead at a time, so one scratch buffer serves them all;
    // each datagram is copied out at its own size.
    this.#scratch ??= new Uint8Array(FULL_DATAGRAM);
    return conn.receive(this.#scratch).then(([data, from]) => {
      this.#receiving = null;
      if (this.#link.closed()) return;
      this.#ready.push([data.slice(), from as Deno.NetAddr]);
    }, (e) => {
      this.#receiving = null;
      if (!this.#link.closed()) this.#receiveError = e;
    });
  }

  /** The receive in flight (started if none), as a promise that never rejects. */
  #inFlight(conn: Deno.DatagramConn): Promise<void> {
    const receiving = this.#receiving ??= this.#receiveAhead(conn);
    return receiving.then(ignoreResult, ignoreResult);
  }

  #fromPeer(from: Deno.NetAddr): boolean {
    const peer = this.peer;
    if (!peer) return true;
    return from.port === peer.port &&
      (canonicalHost(from.hostname) ?? from.hostname) === peer.canonical;
  }
}
