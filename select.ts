/**
 * Python's `select.select` and the `selectors` module's `DefaultSelector`,
 * over this library's sockets (and anything with a `fileno()` that names
 * one of them, such as a file from `makefile`).
 *
 * Readiness is the socket's own state: to learn whether a socket is
 * readable, `select` starts the read (or accept) that the socket keeps in
 * flight anyway, and reports "readable" once its result is buffered. The
 * next `recv`/`accept` then returns that result at once, even on a
 * non-blocking socket; nothing is read twice or lost.
 *
 * - readable: a `recv`, `accept` or `recvfrom` would not wait (data, a
 *   pending connection, the end of the stream, or an error is there);
 * - writable: a `send` would not wait (no earlier write still in flight);
 * - exceptional: never (Linux reports only TCP urgent data there, which
 *   Deno cannot receive).
 *
 * @example The echo server of Python's `selectors` documentation
 * ```ts ignore
 * import { DefaultSelector, EVENT_READ, socket, type Socket } from "@seed/socket";
 *
 * const sel = new DefaultSelector<(s: Socket) => Promise<void>>();
 * const sock = socket();
 * sock.bind(["localhost", 1234]);
 * sock.listen(100);
 * sock.setblocking(false);
 * sel.register(sock, EVENT_READ, async (sock) => {
 *   const [conn] = await sock.accept(); // should be ready
 *   conn.setblocking(false);
 *   sel.register(conn, EVENT_READ, async (conn) => {
 *     const data = await conn.recv(1000); // should be ready
 *     if (data.length) await conn.send(data);
 *     else { sel.unregister(conn); conn.close(); }
 *   });
 * });
 * for (;;) {
 *   for (const [key] of await sel.select()) await key.data(key.fileobj as Socket);
 * }
 * ```
 *
 * @module
 */

import { errno, OSError } from "./errors.ts";
import { SocketBase, socketByFileno } from "./_base.ts";
import { describe, show } from "./_address.ts";
import { sleepUntil } from "./_deadlines.ts";

/** The event mask bit for "readable" (Python's `selectors.EVENT_READ`). */
export const EVENT_READ = 1;
/** The event mask bit for "writable" (Python's `selectors.EVENT_WRITE`). */
export const EVENT_WRITE = 2;

/** What `select` and selectors accept: a socket, a file descriptor number, or anything with `fileno()`. */
export type Selectable = SocketBase | number | { fileno(): number };

// Sockets whose state another task may change without a pending operation
// to tell us (a connect started elsewhere) are looked at again this often.
const RECHECK_MS = 100;

/**
 * Python's `KeyError`, raised by selectors for a file object that is (or is
 * not) registered.
 *
 * @example
 * ```ts
 * import { DefaultSelector, KeyError, socket } from "@seed/socket";
 * using sel = new DefaultSelector();
 * using sock = socket();
 * try {
 *   sel.get_key(sock);
 * } catch (e) {
 *   console.log(e instanceof KeyError); // true
 * }
 * ```
 */
export class KeyError extends Error {
  /** `"KeyError"`. */
  override get name(): string {
    return "KeyError";
  }
}

/**
 * Checks a timeout in seconds as `settimeout` does: `TypeError` for NaN or
 * a non-number, `RangeError` for Infinity (CPython's `OverflowError`; null
 * waits forever). The sign is the caller's to check.
 */
function checkTimeout(timeout: unknown, where: string): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(`${where}: timeout must be a number or null, not ${describe(timeout)}`);
  }
  if (timeout === Infinity) {
    throw new RangeError(`${where}: timeout must be finite (use null to wait forever)`);
  }
  return timeout;
}

/** When a wait of `timeout` seconds (null: forever) started now ends. */
function endOf(timeout: number | null): number {
  return timeout === null ? Infinity : performance.now() + Math.max(0, timeout) * 1000;
}

function filenoOf(obj: unknown, where: string): number {
  let fd: unknown = obj;
  if (typeof obj === "object" && obj !== null && !isRevoked(obj)) {
    if (obj instanceof SocketBase) fd = obj.fileno();
    else if ("fileno" in obj) {
      const method = (obj as { fileno: unknown }).fileno;
      if (typeof method !== "function") {
        throw new TypeError(`${where}: fileno must be a method, not ${describe(method)}`);
      }
      fd = method.call(obj);
    }
  }
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new TypeError(
      `${where}: argument must be a socket, an int, or have a fileno() method, not ${
        describe(obj)
      }`,
    );
  }
  return fd;
}

/** True for a revoked proxy, which throws on any look. */
function isRevoked(obj: object): boolean {
  try {
    Reflect.getPrototypeOf(obj);
    return false;
  } catch {
    return true;
  }
}

/** The open socket behind `obj`, or a Python-style error. */
function socketOf(obj: unknown, where: string): SocketBase {
  const fd = filenoOf(obj, where); // first: it refuses a revoked proxy
  if (obj instanceof SocketBase && !obj.closed) return obj;
  if (fd < 0) {
    throw new RangeError(`${where}: file descriptor cannot be a negative integer (${fd})`);
  }
  const sock = socketByFileno(fd);
  if (!sock) {
    throw new OSError(errno.EBADF, null, { detail: `${where}: no open socket has fileno ${fd}` });
  }
  return sock;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// When select last let Deno's event loop turn (a timer: about 1-2 ms).
let lastTurn = -Infinity;
// A select that finds sockets ready answers at once, without a turn, unless
// the last turn is older than this: so a loop of selects on sockets that
// are always ready (writable ones) still lets the other sockets' reads land.
const TURN_EVERY_MS = 10;

/**
 * Waits until one of `socks` is ready for its `events`, or `timeout`
 * seconds pass (`null`: forever; 0: look once). A socket closed while we
 * wait counts as ready for everything asked (the next call on it reports
 * `EBADF`).
 */
async function waitReady(
  socks: readonly SocketBase[],
  events: readonly number[],
  timeout: number | null,
): Promise<number[]> {
  const end = endOf(timeout);
  const poll = () => socks.map((sock, i) => sock.closed ? events[i] : sock._ready(events[i]));
  // Start the reads/accepts that tell (those of sockets not ready yet).
  const watch = (ready: number[]) =>
    socks.map((sock, i) => ready[i] === events[i] ? null : sock._watch(events[i]));
  let turned = false;
  const turn = async (ready: number[]) => {
    // What the kernel already holds arrives within one turn (Deno needs no more).
    watch(ready);
    await macrotask();
    lastTurn = performance.now();
    turned = true;
  };
  let ready = poll();
  if (ready.some((r) => r !== 0) && performance.now() - lastTurn > TURN_EVERY_MS) {
    await turn(ready);
    ready = poll();
  }
  for (;;) {
    if (ready.some((r) => r !== 0)) return ready;
    const left = end - performance.now();
    if (left <= 0) {
      if (turned) return ready;
      await turn(ready);
    } else {
      const watches = watch(ready).filter((w) => w !== null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(left, RECHECK_MS));
      });
      await Promise.race([...watches, wake]);
      clearTimeout(timer);
      lastTurn = performance.now();
      turned = true;
    }
    ready = poll();
  }
}

/**
 * Python's `select.select(rlist, wlist, xlist, timeout)`: waits until some
 * of the sockets are ready and resolves `[readable, writable, exceptional]`
 * (each a subset of its list, same order). `timeout` in seconds: `null` or
 * omitted waits forever, `0` looks once without waiting; any finite length
 * is honoured, also beyond the 24.8 days a timer holds. A negative or
 * infinite `timeout` is a `RangeError` (CPython's `ValueError` /
 * `OverflowError`), NaN or a non-number a `TypeError`. Entries are this
 * library's sockets, their `fileno()` numbers, or objects with `fileno()`.
 *
 * With all three lists empty it sleeps for `timeout`, as CPython; with no
 * `timeout` either, the promise never resolves and a timer keeps the
 * process alive, as CPython sleeps until a signal ends it.
 *
 * "Readable" means a `recv`/`accept`/`recvfrom` would not wait: after it,
 * a call on a non-blocking socket succeeds. The exceptional list is never
 * reported (see the module doc). When sockets are ready it answers at
 * once; `timeout` 0 with none ready costs one turn of Deno's event loop (a
 * timer, about 1-2 ms), the time Deno needs to deliver what the kernel
 * already holds.
 *
 * @example
 * ```ts
 * import { select, socket } from "@seed/socket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * const [readable] = await select([server], [], [], 0);
 * console.log(readable.length); // 0: nobody is connecting
 * ```
 */
export async function select<
  R extends Selectable,
  W extends Selectable,
  X extends Selectable,
>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
): Promise<[R[], W[], X[]]> {
  const reads = [...rlist];
  const writes = [...wlist];
  const excepts = [...xlist];
  const limit = checkTimeout(timeout, "select()");
  if (limit !== null && limit < 0) throw new RangeError("select(): timeout must be non-negative");
  const socks = [
    ...reads.map((r) => socketOf(r, "select()")),
    ...writes.map((w) => socketOf(w, "select()")),
  ];
  excepts.forEach((x) => socketOf(x, "select()"));
  const events = [...reads.map(() => EVENT_READ), ...writes.map(() => EVENT_WRITE)];
  if (socks.length === 0) {
    // Python sleeps for the timeout (forever with none).
    await sleepUntil(endOf(limit));
    return [[], [], []];
  }
  const ready = await waitReady(socks, events, limit);
  return [
    reads.filter((_, i) => ready[i] !== 0),
    writes.filter((_, i) => ready[reads.length + i] !== 0),
    [],
  ];
}

/**
 * A registration in a selector (Python's `selectors.SelectorKey`).
 *
 * @typeParam T The type of `data`.
 * @typeParam F The type of `fileobj` (what was registered).
 */
export interface SelectorKey<T = unknown, F extends Selectable = Selectable> {
  /** The object registered, with the type it was registered with. */
  readonly fileobj: F;
  /** Its `fileno()` at registration. */
  readonly fd: number;
  /** The events watched: `EVENT_READ`, `EVENT_WRITE` or both. */
  readonly events: number;
  /** The data attached at registration (a callback, a state object...). */
  readonly data: T;
}

/**
 * Python's `selectors.DefaultSelector`: register sockets with the events
 * to watch and some data, then `select()` to learn which are ready.
 *
 * Closed sockets that are still registered are never reported (as with
 * Linux's epoll); unregister before closing.
 *
 * @typeParam T The type of the data attached to keys.
 * @typeParam F The type of the objects registered (`Socket`, say): each
 * key's `fileobj` has it, so no cast is needed to use it.
 *
 * @example
 * ```ts
 * import { DefaultSelector, EVENT_READ, socket } from "@seed/socket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using sel = new DefaultSelector<string>();
 * sel.register(server, EVENT_READ, "the listener");
 * using client = socket();
 * await client.connect(server.getsockname() as [string, number]);
 * for (const [key, events] of await sel.select(1)) {
 *   console.log(key.data, events); // "the listener" 1
 *   (await server.accept())[0].close();
 * }
 * ```
 */
export class DefaultSelector<T = unknown, F extends Selectable = Selectable> {
  #keys = new Map<number, SelectorKey<T, F>>();
  #closed = false;

  #open(): Map<number, SelectorKey<T, F>> {
    if (this.#closed) throw new RangeError("selector is closed");
    return this.#keys;
  }

  /** The fd a file object is registered under (by identity first, as Python). */
  #lookup(fileobj: Selectable, where: string): number {
    const keys = this.#open();
    let fd: number | undefined;
    try {
      fd = filenoOf(fileobj, where);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
    }
    if (fd !== undefined && fd >= 0 && keys.get(fd)?.fileobj === fileobj) return fd;
    for (const key of keys.values()) if (key.fileobj === fileobj) return key.fd;
    if (fd === undefined) return filenoOf(fileobj, where); // throws the TypeError
    if (fd < 0) throw new RangeError(`${where}: Invalid file descriptor: ${fd}`);
    return fd;
  }

  /**
   * Watches `fileobj` for `events` (`EVENT_READ`, `EVENT_WRITE` or both),
   * attaching `data`. `KeyError` if already registered; `RangeError` for
   * bad events.
   *
   * @example
   * ```ts
   * import { DefaultSelector, EVENT_READ, socket } from "@seed/socket";
   * using sel = new DefaultSelector();
   * using sock = socket();
   * const key = sel.register(sock, EVENT_READ, { name: "a" });
   * console.log(key.fd === sock.fileno());
   * ```
   */
  register(fileobj: F, events: number, data?: T): SelectorKey<T, F> {
    const keys = this.#open();
    checkEvents(events);
    const fd = filenoOf(fileobj, "register()");
    if (fd < 0) throw new RangeError(`register(): invalid file descriptor: ${fd}`);
    if (keys.has(fd)) {
      throw new KeyError(`${describeObj(fileobj)} (FD ${fd}) is already registered`);
    }
    socketOf(fileobj, "register()");
    const key: SelectorKey<T, F> = Object.freeze({ fileobj, fd, events, data: data as T });
    keys.set(fd, key);
    return key;
  }

  /**
   * Stops watching `fileobj` (also after it was closed); returns its key.
   *
   * @example
   * ```ts
   * import { DefaultSelector, EVENT_READ, socket } from "@seed/socket";
   * using sel = new DefaultSelector();
   * const sock = socket();
   * sel.register(sock, EVENT_READ);
   * sock.close();
   * sel.unregister(sock);
   * ```
   */
  unregister(fileobj: Selectable): SelectorKey<T, F> {
    const keys = this.#open();
    const fd = this.#lookup(fileobj, "unregister()");
    const key = keys.get(fd);
    if (!key) throw new KeyError(`${describeObj(fileobj)} is not registered`);
    keys.delete(fd);
    return key;
  }

  /**
   * Changes the events and data watched for `fileobj` (as in Python, the
   * data is replaced, by `undefined` when not given); returns the new key.
   *
   * @example
   * ```ts
   * import { DefaultSelector, EVENT_READ, EVENT_WRITE, socket } from "@seed/socket";
   * using sel = new DefaultSelector();
   * using sock = socket();
   * sel.register(sock, EVENT_READ);
   * console.log(sel.modify(sock, EVENT_READ | EVENT_WRITE).events); // 3
   * ```
   */
  modify(fileobj: Selectable, events: number, data?: T): SelectorKey<T, F> {
    const keys = this.#open();
    const fd = this.#lookup(fileobj, "modify()");
    const old = keys.get(fd);
    if (!old) throw new KeyError(`${describeObj(fileobj)} is not registered`);
    checkEvents(events);
    const key: SelectorKey<T, F> = Object.freeze({
      fileobj: old.fileobj,
      fd,
      events,
      data: data as T,
    });
    keys.set(fd, key);
    return key;
  }

  /**
   * Waits until some registered sockets are ready; resolves
   * `[key, events]` pairs (events: the ready subset of the key's). With
   * `timeout` `null`/omitted it waits forever, `<= 0` looks once, otherwise
   * at most `timeout` seconds (then `[]`), also beyond the 24.8 days a
   * timer holds. Infinity is a `RangeError` (CPython's `OverflowError`; use
   * `null`), NaN or a non-number a `TypeError`. With nothing registered
   * (or only closed sockets) it sleeps for `timeout`; with `null` it never
   * resolves and a timer keeps the process alive, as epoll sleeps.
   *
   * @example
   * ```ts
   * import { DefaultSelector, EVENT_WRITE, socket } from "@seed/socket";
   * await using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * await using client = socket();
   * await client.connect(server.getsockname() as [string, number]);
   * using sel = new DefaultSelector();
   * sel.register(client, EVENT_WRITE);
   * console.log((await sel.select(0)).length); // 1: the client can send
   * (await server.accept())[0].close();
   * ```
   */
  async select(timeout?: number | null): Promise<[SelectorKey<T, F>, number][]> {
    const keys = this.#open();
    let limit = checkTimeout(timeout, "select()");
    if (limit !== null && limit < 0) limit = 0;
    const live: SelectorKey<T, F>[] = [];
    const socks: SocketBase[] = [];
    for (const key of keys.values()) {
      const sock = key.fileobj instanceof SocketBase ? key.fileobj : socketByFileno(key.fd);
      if (!sock || sock.closed) continue; // epoll forgets closed descriptors
      live.push(key);
      socks.push(sock);
    }
    if (live.length === 0) {
      // epoll with nothing to watch sleeps for the timeout (forever with none).
      await sleepUntil(endOf(limit));
      return [];
    }
    const ready = await waitReady(socks, live.map((k) => k.events), limit);
    const out: [SelectorKey<T, F>, number][] = [];
    live.forEach((key, i) => {
      // A key unregistered while we waited is not reported.
      if (ready[i] !== 0 && this.#keys.get(key.fd) === key) out.push([key, ready[i] & key.events]);
    });
    return out;
  }

  /**
   * The key of a registered file object; `KeyError` if it is not.
   *
   * @example
   * ```ts
   * import { DefaultSelector, EVENT_READ, socket } from "@seed/socket";
   * using sel = new DefaultSelector<number>();
   * using sock = socket();
   * sel.register(sock, EVENT_READ, 42);
   * console.log(sel.get_key(sock).data); // 42
   * ```
   */
  get_key(fileobj: Selectable): SelectorKey<T, F> {
    const keys = this.#open();
    const key = keys.get(this.#lookup(fileobj, "get_key()"));
    if (!key) throw new KeyError(`${describeObj(fileobj)} is not registered`);
    return key;
  }

  /**
   * The registrations, by fd (a read-only view, as Python's mapping).
   *
   * @example
   * ```ts
   * import { DefaultSelector } from "@seed/socket";
   * using sel = new DefaultSelector();
   * console.log(sel.get_map().size); // 0
   * ```
   */
  get_map(): ReadonlyMap<number, SelectorKey<T, F>> {
    return this.#open();
  }

  /**
   * Forgets every registration (the sockets stay open). Idempotent.
   *
   * @example
   * ```ts
   * import { DefaultSelector } from "@seed/socket";
   * const sel = new DefaultSelector();
   * sel.close();
   * ```
   */
  close(): void {
    this.#keys.clear();
    this.#closed = true;
  }

  /**
   * Closes the selector (`using sel = new DefaultSelector()`).
   *
   * @example
   * ```ts
   * import { DefaultSelector } from "@seed/socket";
   * { using sel = new DefaultSelector(); }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

function checkEvents(events: unknown): void {
  if (
    typeof events !== "number" || !Number.isInteger(events) || events === 0 ||
    (events & ~(EVENT_READ | EVENT_WRITE)) !== 0
  ) {
    throw new RangeError(`Invalid events: ${show(events)}`);
  }
}

function describeObj(obj: unknown): string {
  if (typeof obj !== "object" || obj === null) return describe(obj);
  try {
    return String(obj);
  } catch {
    return describe(obj); // a null-prototype object or a revoked proxy has no string
  }
}
