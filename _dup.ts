/**
 * `sock.dup()`: a second socket object on the same connection (or
 * datagram socket), as CPython's. Deno has no `dup(2)`, so the duplicate
 * forwards each call to the original with its own timeout, and holds a
 * reference on it (the one `makefile` files hold): the connection closes
 * when the original, every duplicate and every file are closed.
 *
 * A duplicate is made by the original's own class (so it is an instance
 * of it, with its own fileno and timeout) and given a prototype whose calls
 * forward: this module needs neither socket module.
 *
 * @module
 */

import { badf, type SocketBase } from "./_base.ts";

/** Each duplicate's original. */
const originals = new WeakMap<SocketBase, SocketBase>();
/** Duplicates that gave their reference back. */
const released = new WeakSet<SocketBase>();

type Method = (this: SocketBase, ...args: unknown[]) => unknown;

/** Runs `name` on `dup`'s original with `dup`'s timeout (a call reads the timeout when it starts). */
function onOriginal(dup: SocketBase, name: string, args: unknown[]): unknown {
  if (dup.closed) throw badf();
  const original = originals.get(dup)!;
  const call = () => (original as unknown as Record<string, Method>)[name].apply(original, args);
  const timeout = dup.gettimeout();
  const theirs = original.gettimeout();
  if (theirs === timeout) return call();
  original.settimeout(timeout);
  try {
    return call();
  } finally {
    original.settimeout(theirs);
  }
}

/** A promise rejected with `e`, marked handled (an unawaited call must not end the process). */
function rejected(e: unknown): Promise<never> {
  const failed = Promise.reject(e);
  failed.catch(() => {});
  return failed;
}

/** The forwarding prototype made for each socket class, by its prototype. */
const prototypes = new WeakMap<object, object>();

/**
 * A duplicate of `original` (which must be open): `make()` builds a fresh
 * socket of the same class, whose `sync` and `promised` calls then run on
 * the original with the duplicate's timeout (a failure of a promised one
 * rejects, never throws); `_watch`/`_unread` reach the original while the
 * duplicate is open; closing it gives its reference on the original back.
 * @ignore
 */
export function duplicate<S extends SocketBase>(
  original: S,
  make: () => S,
  sync: readonly string[],
  promised: readonly string[],
): S {
  if (original.closed) throw badf();
  const dup = make();
  original._incref_socketios();
  originals.set(dup, original);
  dup.settimeout(original.gettimeout());
  const base = Object.getPrototypeOf(dup) as object;
  let prototype = prototypes.get(base);
  if (prototype === undefined) {
    prototype = forwarding(base, sync, promised);
    prototypes.set(base, prototype);
  }
  Object.setPrototypeOf(dup, prototype);
  return dup;
}

/** A prototype over `base` whose calls forward to each duplicate's original. */
function forwarding(base: object, sync: readonly string[], promised: readonly string[]): object {
  const prototype = Object.create(base) as object;
  const define = (name: string, method: Method) =>
    Object.defineProperty(prototype, name, {
      value: method,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  for (const name of sync) {
    define(name, function (...args) {
      return onOriginal(this, name, args);
    });
  }
  for (const name of promised) {
    define(name, function (...args) {
      try {
        return onOriginal(this, name, args);
      } catch (e) {
        return rejected(e);
      }
    });
  }
  define("_watch", function (...args) {
    if (this.closed) return Promise.resolve();
    return originals.get(this)!._watch(args[0] as number);
  });
  const methods = base as Record<string, Method>;
  if ("_unread" in base) {
    define("_unread", function (...args) {
      const original = originals.get(this)!;
      if (!this.closed) {
        (original as unknown as Record<string, Method>)._unread.apply(original, args);
      }
    });
  }
  // Closing the duplicate gives its reference on the original back, once.
  define("release", function (...args) {
    methods.release.apply(this, args);
    const original = originals.get(this);
    if (original === undefined || released.has(this)) return;
    released.add(this);
    original._decref_socketios();
  });
  return prototype;
}
