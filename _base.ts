/**
 * What every socket kind shares: its identity (family, type, proto, fileno),
 * the open/closed state, and the blocking state machine (blocking, timeout,
 * non-blocking, abort signals) that every waiting call goes through.
 *
 * Deno cannot cancel a read or an accept it has started, and a connect goes
 * on as CPython's does until the socket closes: a call
 * that times out or is aborted leaves the operation in flight, and the socket
 * keeps it so that the next call receives its result. {@linkcode SocketBase.waitFor}
 * only stops *waiting*; it never drops a promise.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";
import { BlockingIOError, errno, OSError, OverflowError, TimeoutError } from "./errors.ts";
import type { Address, SocketAddress, Target } from "./_address.ts";
import { checkAddress, describe } from "./_address.ts";

/** Options every blocking call takes as its last argument. */
export interface CallOptions {
  /** Aborting it rejects the call with the signal's reason; no data is lost. */
  signal?: AbortSignal;
}

let defaultTimeout: number | null = null;

/**
 * Checks a timeout value as Python's `settimeout` does.
 * @ignore
 */
export function checkTimeout(value: unknown, where: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${where}: timeout must be a number of seconds or null, not ${describe(value)}`,
    );
  }
  if (value < 0) {
    throw new RangeError(`${where}: timeout must be >= 0 or null, got ${value}`);
  }
  // CPython converts to nanoseconds in a 64-bit integer: an int past it is
  // "too large", a float (and an int past time_t, or infinity) "out of
  // range". A whole number below 2^63 reads as an int here.
  if (value * 1e9 >= 2 ** 63) {
    throw new OverflowError(
      Number.isInteger(value) && value < 2 ** 63
        ? `${where}: timeout: timestamp too large to convert to C _PyTime_t`
        : `${where}: timeout: timestamp out of range for platform time_t (use null to wait forever)`,
    );
  }
  return value;
}

/** The longest delay `setTimeout` honours (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Sets the timeout that new sockets start with, in seconds (`null`: block
 * forever; `0`: non-blocking), as Python's `socket.setdefaulttimeout`.
 *
 * @example
 * ```ts
 * import { getdefaulttimeout, setdefaulttimeout } from "@seed/socket";
 * setdefaulttimeout(5);
 * console.log(getdefaulttimeout()); // 5
 * setdefaulttimeout(null);
 * ```
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout, "setdefaulttimeout()");
}

/**
 * The timeout new sockets start with (`null` unless changed).
 *
 * @example
 * ```ts
 * import { getdefaulttimeout } from "@seed/socket";
 * console.log(getdefaulttimeout()); // null
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

let nextFileno = 3;
const openFilenos = new Map<number, SocketBase>();

/**
 * The open socket that holds `fileno`, if any (for `select`).
 * @ignore
 */
export function socketByFileno(fileno: number): SocketBase | undefined {
  return openFilenos.get(fileno);
}

function allocateFileno(owner: SocketBase): number {
  // Never reuse a number while a socket holding it is open.
  while (openFilenos.has(nextFileno)) nextFileno++;
  const n = nextFileno++;
  if (nextFileno > 0x7fffffff) nextFileno = 3;
  openFilenos.set(n, owner);
  return n;
}

/**
 * When a call must finish: its start, the socket's timeout at that moment
 * (or 0 for `MSG_DONTWAIT`), and an optional abort signal.
 * @ignore
 */
export interface Deadline {
  /** Seconds allowed (`null`: forever, `0`: non-blocking). */
  readonly timeout: number | null;
  /** `performance.now()` when the call started. */
  readonly start: number;
  /** The caller's abort signal. */
  readonly signal?: AbortSignal;
}

const WAIT_FOREVER: Deadline = { timeout: null, start: 0 };

/**
 * A call waiting with a timeout: when it is due (`performance.now()` time),
 * and how it gives up (`expire` of a wait given to `watchTimeout` must call
 * `unwatchTimeout`).
 * @ignore
 */
export interface TimedWait {
  readonly at: number;
  expire(): void;
}

/**
 * The part of Python's socket that every kind shares: family, type, proto,
 * `fileno`, `close`, disposal, and the timeout / blocking mode with its
 * waiting rules. {@linkcode Socket} (streams) and {@linkcode DatagramSocket}
 * extend it.
 *
 * @example
 * ```ts
 * import { SocketBase, socket } from "@seed/socket";
 * using sock = socket();
 * console.log(sock instanceof SocketBase, sock.gettimeout());
 * ```
 */
export abstract class SocketBase {
  /** The address family given at creation (`AF_INET`, `AF_INET6`, `AF_UNIX`). */
  readonly family: number;
  /** The socket type given at creation (`SOCK_STREAM` or `SOCK_DGRAM`). */
  readonly type: number;
  /** The protocol given at creation (0 unless set). */
  readonly proto: number;
  #timeout: number | null = defaultTimeout;
  #fileno: number;
  // Calls waiting with a timeout share one timer, armed for the earliest
  // deadline and re-armed when it fires (see #expire): a timer per call
  // costs more CPU than a loopback round trip.
  #waits: TimedWait[] = [];
  /**
   * The calls waiting in waitFor, rejected with EBADF by close(): the
   * operation they wait on may outlive the close (a read stays in flight
   * while close waits for a write to drain), the caller must not.
   */
  #closeWaiters: Set<() => void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  // Files made by makefile() that are still open, and whether close() was
  // called while they were (CPython's _io_refs and _closed).
  #ioRefs = 0;
  #closeRequested = false;

  /**
   * Records the socket's identity and gives it a `fileno`.
   *
   * @param family The address family.
   * @param type The socket type.
   * @param proto The protocol number.
   */
  constructor(family: number, type: number, proto: number) {
    this.family = family;
    this.type = type;
    this.proto = proto;
    this.#fileno = allocateFileno(this);
  }

  /**
   * A small non-negative integer unique among this process's open sockets,
   * or `-1` once closed. Deno exposes no OS descriptor, so this number is
   * the library's own: use it as a key (`select`, dictionaries), not with
   * OS calls.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * const sock = socket();
   * console.log(sock.fileno() >= 0);
   * sock.close();
   * console.log(sock.fileno()); // -1
   * ```
   */
  fileno(): number {
    return this.#fileno;
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.#fileno === -1;
  }

  /**
   * True once `close()` has been called, even while open `makefile` files
   * or duplicates defer the real close (CPython's `_closed`, shown by repr).
   * @ignore
   */
  get _closeCalled(): boolean {
    return this.#closeRequested || this.#fileno === -1;
  }

  /**
   * Sets the timeout of blocking calls, in seconds: `null` waits forever
   * (blocking mode), `0` makes the socket non-blocking, a positive number
   * makes each call reject with `TimeoutError` when it cannot finish in time.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.settimeout(2.5);
   * console.log(sock.gettimeout(), sock.getblocking()); // 2.5 true
   * ```
   */
  settimeout(timeout: number | null): void {
    this.checkOpen(); // EBADF once closed, as CPython
    this.#timeout = checkTimeout(timeout, "settimeout()");
  }

  /**
   * The timeout in seconds, `0` when non-blocking, `null` when blocking.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * console.log(sock.gettimeout()); // null
   * ```
   */
  gettimeout(): number | null {
    return this.#timeout;
  }

  /**
   * `setblocking(false)` is `settimeout(0)`; `setblocking(true)` is
   * `settimeout(null)`.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.setblocking(false);
   * console.log(sock.gettimeout()); // 0
   * ```
   */
  setblocking(flag: boolean): void {
    this.checkOpen(); // EBADF once closed, as CPython
    this.#timeout = flag ? null : 0;
  }

  /**
   * False only in non-blocking mode (a socket with a timeout is blocking,
   * as in Python).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * using sock = socket();
   * sock.settimeout(1);
   * console.log(sock.getblocking()); // true
   * ```
   */
  getblocking(): boolean {
    return this.#timeout !== 0;
  }

  /**
   * Closes the socket. Idempotent; pending calls reject with `OSError`
   * (`EBADF`), and every later call does too. While files made by
   * `makefile()` are open the socket stays usable and closes for real with
   * the last of them, as in CPython.
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * const sock = socket();
   * sock.close();
   * sock.close(); // no error
   * ```
   */
  close(): void {
    if (this.#fileno === -1) return;
    this.#closeRequested = true;
    if (this.#ioRefs > 0) return; // closes for real with its last file
    openFilenos.delete(this.#fileno);
    this.#fileno = -1;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.release();
    const waiters = this.#closeWaiters;
    this.#closeWaiters = null;
    if (waiters !== null) { for (const reject of waiters) reject(); }
  }

  /**
   * Counts one more open file made from this socket (CPython's `_io_refs`).
   * @ignore
   */
  _incref_socketios(): void {
    this.checkOpen();
    this.#ioRefs++;
  }

  /**
   * A file made from this socket was closed: the socket closes for real
   * when `close()` was called and no file is left (CPython's
   * `_decref_socketios`).
   * @ignore
   */
  _decref_socketios(): void {
    if (this.#ioRefs > 0) this.#ioRefs--;
    if (this.#ioRefs === 0 && this.#closeRequested) this.close();
  }

  /**
   * Which of `events` (1 read, 2 write) a call could do now without waiting,
   * from the socket's own state. Kinds that support `select` override it.
   * @ignore
   */
  _ready(_events: number): number {
    throw new OSError(errno.EOPNOTSUPP, null, {
      detail: `select() does not support ${this.constructor.name} yet`,
    });
  }

  /**
   * Starts the operation that would make `events` ready (the read or accept
   * the socket keeps in flight) and resolves, never rejects, when something
   * changed; `_ready` then tells what. Kinds that support `select` override it.
   * @ignore
   */
  _watch(_events: number): Promise<void> {
    return Promise.reject(
      new OSError(errno.EOPNOTSUPP, null, {
        detail: `select() does not support ${this.constructor.name} yet`,
      }),
    );
  }

  /**
   * Closes the socket (`using sock = socket()`).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * { using sock = socket(); }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Closes the socket (`await using sock = socket()`).
   *
   * @example
   * ```ts
   * import { socket } from "@seed/socket";
   * { await using sock = socket(); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * Frees the Deno resources; called once by `close()`.
   * @ignore
   */
  protected abstract release(): void;

  /**
   * Throws `EBADF` when closed.
   * @ignore
   */
  protected checkOpen(): void {
    if (this.#fileno === -1) throw badf();
  }

  /**
   * Checks an address for this socket's family.
   * @ignore
   */
  protected target(address: Address, where: string, role: "bind" | "connect"): Target {
    return checkAddress(this.family, address, where, role);
  }

  /**
   * The deadline of a call starting now, honouring `MSG_DONTWAIT`.
   * @ignore
   */
  protected deadline(options?: CallOptions, dontwait = false): Deadline {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`options must be an object, not ${describe(options)}`);
      }
      try {
        signal = options.signal;
      } catch {
        throw new TypeError(`options must be an object, not ${describe(options)}`);
      }
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`options.signal must be an AbortSignal, not ${describe(signal)}`);
    }
    const timeout = dontwait ? 0 : this.#timeout;
    if (timeout === null && signal === undefined) return WAIT_FOREVER;
    signal?.throwIfAborted();
    return { timeout, start: timeout === null ? 0 : performance.now(), signal };
  }

  /**
   * Waits for `op` within `deadline`. On timeout it rejects with
   * `TimeoutError`, in non-blocking mode with `BlockingIOError` (after one
   * macrotask, which is enough for Deno to finish an operation whose data
   * is ready), on abort with the signal's reason. `op` itself is never
   * dropped: its owner keeps it for the next call.
   * @ignore
   */
  protected waitFor<T>(
    op: Promise<T>,
    deadline: Deadline,
    wouldBlock: number = errno.EAGAIN,
  ): Promise<T> {
    const { timeout, signal } = deadline;
    if (timeout === null && signal === undefined) return op;
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let wait: TimedWait | undefined;
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const onClose = () => {
        done();
        reject(badf());
      };
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        if (wait !== undefined) this.#unwatch(wait);
        signal?.removeEventListener("abort", onAbort);
        this.#closeWaiters?.delete(onClose);
      };
      if (signal?.aborted) return reject(signal.reason);
      if (this.#fileno === -1) return reject(badf());
      (this.#closeWaiters ??= new Set()).add(onClose);
      op.then((value) => {
        done();
        resolve(value);
      }, (error) => {
        done();
        reject(error);
      });
      if (timeout === 0) {
        timer = setTimeout(() => {
          done();
          reject(new BlockingIOError(wouldBlock));
        }, 0);
      } else if (timeout !== null) {
        wait = {
          at: deadline.start + timeout * 1000,
          expire: () => {
            done();
            reject(new TimeoutError());
          },
        };
        this.#watch(wait);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Registers a timed wait; arms the shared timer if this one is due first.
   * While waits are listed the timer keeps the process alive (a wait may be
   * on no Deno operation, as a recvfrom waiting for a binding).
   */
  #watch(wait: TimedWait): void {
    const waits = this.#waits;
    waits.push(wait);
    if (this.#timer === undefined || wait.at < this.#timerAt) this.#arm(wait.at);
    else if (waits.length === 1) Deno.refTimer(this.#timer);
  }

  /**
   * Puts a wait of the socket's own making on the shared timer (for fast
   * paths that settle their own promise instead of using `waitFor`).
   * @ignore
   */
  protected watchTimeout(wait: TimedWait): void {
    this.#watch(wait);
  }

  /**
   * Takes a wait off the shared timer.
   * @ignore
   */
  protected unwatchTimeout(wait: TimedWait): void {
    this.#unwatch(wait);
  }

  #unwatch(wait: TimedWait): void {
    // A socket has a few waits at most: an array beats a Set here.
    const waits = this.#waits;
    const i = waits.indexOf(wait);
    if (i < 0) return;
    const last = waits.pop()!;
    if (i < waits.length) waits[i] = last;
    if (waits.length === 0 && this.#timer !== undefined) Deno.unrefTimer(this.#timer);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // A delay over 2^31-1 ms would fire at once; #expire re-arms until due.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now()));
    this.#timer = setTimeout(() => this.#expire(), delay);
    // Waits kept by timerBy are on a Deno read or write, which keeps the
    // process alive by itself: ref'ing the timer per call and unref'ing it
    // after would cost a µs per round trip.
    if (this.#waits.length === 0) Deno.unrefTimer(this.#timer);
  }

  /**
   * Makes sure the shared timer fires by `at`, for a fast path that keeps
   * its wait in a field of its own instead of on the list: one comparison
   * per call, where the list costs a push and a search. The socket's
   * {@linkcode SocketBase.expireOwn} finds that wait when the timer fires.
   * @ignore
   */
  protected timerBy(at: number): void {
    if (this.#timer === undefined || at < this.#timerAt) this.#arm(at);
  }

  /**
   * Called when the shared timer fires: expires the waits the socket keeps
   * in its own fields (see {@linkcode SocketBase.timerBy}) that are due at
   * `now`, and returns when the earliest one left is due (Infinity: none).
   * @ignore
   */
  protected expireOwn(_now: number): number {
    return Infinity;
  }

  /** Rejects the waits whose deadline has passed; re-arms for the next one. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = this.expireOwn(now);
    // expire() takes a wait off the list: walk a copy.
    for (const wait of this.#waits.slice()) {
      if (wait.at <= now) wait.expire();
      else if (wait.at < next) next = wait.at;
    }
    if (next !== Infinity) this.#arm(next);
  }
}

/** Handles a rejection by doing nothing (one function for every call). */
function ignore(): void {}

/**
 * Marks `promise` as handled and returns it: a call the caller abandoned
 * (never awaited) that fails later, for example when another task closes
 * the socket, must not become an unhandled rejection that ends the process.
 * Awaiting it still throws. The fast paths call it only on their way to a
 * rejection: a handler per call costs more than the rest of the call.
 * @ignore
 */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/**
 * Makes every promise `generator`'s `next`, `return` and `throw` give
 * handled (see {@linkcode quiet}): a `next()` the caller never awaited that
 * fails when another task closes the socket must not end the process.
 * `for await` still sees each rejection.
 * @ignore
 */
export function quietIterator<T>(
  generator: AsyncGenerator<T, void, void>,
): AsyncGenerator<T, void, void> {
  const { next, return: finish, throw: raise } = generator;
  generator.next = (...args) => quiet(next.apply(generator, args));
  generator.return = (value) => quiet(finish.call(generator, value));
  generator.throw = (error) => quiet(raise.call(generator, error));
  return generator;
}

/**
 * Marks the promise each of `methods` returns as handled, so that a call
 * the caller abandoned (never awaited) that fails later, for example when
 * another task closes the socket, does not become an unhandled rejection
 * that ends the process. Awaiting the promise still throws as before.
 * @ignore
 */
export function quietRejections(prototype: object, methods: readonly string[]): void {
  const table = prototype as Record<string, unknown>;
  for (const name of methods) {
    const original = table[name];
    if (typeof original !== "function") continue;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      if (result instanceof Promise) result.catch(ignore);
      return result;
    };
    Object.defineProperty(wrapped, "name", { value: name });
    Object.defineProperty(prototype, name, {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/**
 * `connect_ex()` of every socket kind: 0 once `connect()` resolves, else
 * the errno of the `OSError` it rejected with; `gaierror`,
 * `PermissionError` and anything that is not an `OSError` are rethrown,
 * as in CPython.
 * @ignore
 */
export async function connectEx(connect: () => Promise<void>): Promise<number> {
  try {
    await connect();
    return 0;
  } catch (e) {
    if (!(e instanceof OSError) || e.name === "gaierror" || e.name === "PermissionError") throw e;
    return e.errno ?? errno.EAGAIN;
  }
}

/**
 * The error for an operation on a closed socket.
 * @ignore
 */
export function badf(cause?: unknown): OSError {
  return new OSError(errno.EBADF, null, { cause });
}

/**
 * Checks a family/type pair for `socket()`.
 * @ignore
 */
export function checkFamily(family: unknown): number {
  if (typeof family !== "number" || !Number.isInteger(family)) {
    throw new TypeError(`socket(): family must be an integer, not ${describe(family)}`);
  }
  if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
    throw new OSError(errno.EAFNOSUPPORT, null, {
      detail: `family ${family} (use AF_INET, AF_INET6 or AF_UNIX)`,
    });
  }
  return family;
}

export type { Address, SocketAddress };
