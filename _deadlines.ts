/**
 * Deadlines: the one timer service behind every timeout of a socket
 * (accept, connect, recv, send, sendall's whole-call bound, and so the
 * makefile calls made of them), plus the checks of timeout values and the
 * long sleeps `select` needs.
 *
 * A socket owns one {@linkcode Timers}: one `setTimeout` armed for the
 * earliest deadline and re-armed when it fires. A timer per call costs more
 * CPU than a loopback round trip. Waits come in two kinds, one service:
 * a listed wait (a call on the general path, pushed and taken off the list)
 * and a slot (a fast path's reusable wait, registered once, armed by
 * setting its `at`, so a call costs one comparison).
 *
 * Deno cannot cancel a read, an accept or a connect it has started: a wait
 * that expires only stops *waiting*; the operation stays in flight with its
 * owner (the reader, the writer, the lifecycle) for the next call.
 *
 * @module
 */

import { errno, OSError, OverflowError, TimeoutError } from "./errors.ts";
import { describe } from "./_address.ts";

/** The longest delay `setTimeout` honours (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 0x7fffffff;

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

/** Options every blocking call takes as its last argument. */
export interface CallOptions {
  /** Aborting it rejects the call with the signal's reason; no data is lost. */
  signal?: AbortSignal;
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

/** The deadline of a blocking call with no signal (shared: it carries nothing). */
export const WAIT_FOREVER: Deadline = { timeout: null, start: 0 };

/**
 * A wait with a timeout: when it is due (`performance.now()` time) and how
 * it gives up. A slot's `waiting` says whether it is armed.
 * @ignore
 */
export interface TimedWait {
  at: number;
  expire(): void;
}

/**
 * A fast path's reusable wait, registered once with {@linkcode Timers.slot}:
 * armed while `waiting` is true. A call sets `ms`, `waiting` and `at` to
 * `NaN` (its start unread) and calls {@linkcode Timers.armSlot}.
 * @ignore
 */
export interface Slot extends TimedWait {
  waiting: boolean;
  /** The call's timeout in milliseconds. */
  ms: number;
}

// A slot's call reads no clock: the next firing of the socket's timer, due
// at most this share of the timeout after the call started, stamps its
// deadline (its own time + the timeout; the call started before it). So a
// timed call costs no clock read, and times out at most 1/16 late.
const STAMP_SHARE = 1 / 16;

/**
 * One socket's timer service.
 * @ignore
 */
export class Timers {
  #waits: TimedWait[] = [];
  #slots: Slot[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  // The clock when last read here: never after now.
  #clock = 0;
  /**
   * The calls waiting in waitFor, rejected with EBADF by stop() (the socket
   * closed): the operation they wait on may outlive the close (a read stays
   * in flight while close waits for a write to drain), the caller must not.
   */
  #closeWaiters: Set<() => void> | null = null;
  #stopped = false;

  /** Registers a fast path's reusable wait; arm it with {@linkcode Timers.arm}. */
  slot(slot: Slot): void {
    this.#slots.push(slot);
  }

  /** Forgets a slot that will never be armed again. */
  unslot(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }

  /**
   * Makes sure the timer fires soon enough to stamp `slot`'s deadline (a
   * call that just started). The clock is read only when the timer is not
   * already due by then: once per firing at most in a busy loop.
   */
  armSlot(slot: Slot): void {
    if (this.#timer !== undefined && this.#timerAt <= this.#clock + slot.ms * STAMP_SHARE) return;
    const now = this.#clock = performance.now();
    const due = now + slot.ms * STAMP_SHARE;
    if (this.#timer === undefined || due < this.#timerAt) this.#start(due);
  }

  /**
   * Lists a wait; arms the timer if it is due first. While waits are listed
   * the timer keeps the process alive (a wait may be on no Deno operation,
   * as a recvfrom waiting for a binding).
   */
  watch(wait: TimedWait): void {
    const waits = this.#waits;
    waits.push(wait);
    if (this.#timer === undefined || wait.at < this.#timerAt) this.#start(wait.at);
    else if (waits.length === 1) Deno.refTimer(this.#timer);
  }

  /** Takes a listed wait off (a socket has a few at most: an array beats a Set). */
  unwatch(wait: TimedWait): void {
    const waits = this.#waits;
    const i = waits.indexOf(wait);
    if (i < 0) return;
    const last = waits.pop()!;
    if (i < waits.length) waits[i] = last;
    if (waits.length === 0 && this.#timer !== undefined) Deno.unrefTimer(this.#timer);
  }

  /** Stops for good (the socket closed): the timer, and every call waiting gets EBADF. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = null;
    if (waiters !== null) { for (const reject of waiters) reject(); }
  }

  /**
   * Waits for `op` within `deadline`. On timeout it rejects with
   * `TimeoutError`, in non-blocking mode with `wouldBlock()` (after one
   * macrotask, which is enough for Deno to finish an operation whose data
   * is ready), on abort with the signal's reason. `op` itself is never
   * dropped: its owner keeps it for the next call.
   */
  waitFor<T>(op: Promise<T>, deadline: Deadline, wouldBlock: () => OSError): Promise<T> {
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
        reject(new OSError(errno.EBADF, null));
      };
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        if (wait !== undefined) this.unwatch(wait);
        signal?.removeEventListener("abort", onAbort);
        this.#closeWaiters?.delete(onClose);
      };
      if (signal?.aborted) return reject(signal.reason);
      if (this.#stopped) return reject(new OSError(errno.EBADF, null));
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
          reject(wouldBlock());
        }, 0);
      } else if (timeout !== null) {
        wait = {
          at: deadline.start + timeout * 1000,
          expire: () => {
            done();
            reject(new TimeoutError());
          },
        };
        this.watch(wait);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #start(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // A delay over 2^31-1 ms would fire at once; #fire re-arms until due.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now()));
    this.#timer = setTimeout(() => this.#fire(), delay);
    // Slots wait on a Deno read or write, which keeps the process alive by
    // itself: ref'ing the timer per call and unref'ing it after would cost
    // a µs per round trip.
    if (this.#waits.length === 0) Deno.unrefTimer(this.#timer);
  }

  /** Expires what is due; re-arms for the earliest wait left. */
  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock = performance.now();
    let next = Infinity;
    // expire() may take its own slot off: walk from the end.
    const slots = this.#slots;
    for (let i = slots.length - 1; i >= 0; i--) {
      const slot = slots[i];
      if (!slot.waiting) continue;
      // A call not stamped yet started before now: its deadline is at least now + ms.
      if (Number.isNaN(slot.at)) slot.at = now + slot.ms;
      else if (slot.at <= now) {
        slot.expire();
        continue;
      }
      if (slot.at < next) next = slot.at;
      // While slots wait, fire often enough to stamp the calls that follow.
      const beat = now + slot.ms * STAMP_SHARE;
      if (beat < next) next = beat;
    }
    // expire() takes a wait off the list: walk a copy.
    for (const wait of this.#waits.slice()) {
      if (wait.at <= now) wait.expire();
      else if (wait.at < next) next = wait.at;
    }
    if (next !== Infinity) this.#start(next);
  }
}

/**
 * Resolves at `end` (a `performance.now()` time; Infinity: never), after at
 * least one macrotask, waiting in steps a timer can hold. The timers are
 * ref'd: the process stays alive while it waits, as CPython sleeps.
 * @ignore
 */
export function sleepUntil(end: number): Promise<void> {
  return new Promise((resolve) => {
    const step = () => {
      const left = end - performance.now();
      if (left <= 0) resolve();
      else setTimeout(step, Math.min(left, MAX_TIMER_MS));
    };
    setTimeout(step, Math.min(Math.max(0, end - performance.now()), MAX_TIMER_MS));
  });
}
