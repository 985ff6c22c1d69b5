/**
 * The transport: the one seam between a stream socket's parts (reader,
 * writer, lifecycle) and what really moves bytes. Plain TCP and Unix
 * connections implement it over `Deno.connect`/`Deno.listen`; TLS implements
 * it over Deno's native TLS or `node:tls`. Nothing else in the library calls
 * `Deno.connect`, `Deno.listen` or `Deno.listenDatagram`.
 *
 * A {@linkcode StreamConn} is deliberately the shape of `Deno.Conn`, so a
 * `Deno.TcpConn`, `Deno.UnixConn` or `Deno.TlsConn` is one as it is. Its
 * `read` and `write` reject with Deno's errors or with an `OSError` the
 * transport has already classified (a TLS alert, say); the socket maps the
 * rest with `toOSError` in one place.
 *
 * @module
 */

import { formatTarget, isIPv4, type Target } from "./_address.ts";
import { errno, fromErrno } from "./errors.ts";

/** One open connection as the reader and writer see it. */
export interface StreamConn {
  /** Reads into `buffer`; `null` at end of stream. Never cancelled once started. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; resolves to how much was taken. */
  write(data: Uint8Array): Promise<number>;
  /** Ends the sending direction (TCP FIN; TLS close_notify then FIN). */
  closeWrite(): Promise<void>;
  /** Closes at once; a read in flight rejects with `Deno.errors.Interrupted`. */
  close(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  /** TCP only: TCP_NODELAY. Absent where the transport cannot set it. */
  setNoDelay?(on?: boolean): void;
  /** TCP only: SO_KEEPALIVE. Absent where the transport cannot set it. */
  setKeepAlive?(on?: boolean): void;
}

/** A listening endpoint: hands out connections until closed. */
export interface StreamListener {
  /** The next connection; rejects with `Deno.errors.BadResource` once closed. */
  accept(): Promise<StreamConn>;
  close(): void;
  readonly addr: Deno.Addr;
}

/** Options a listener is opened with, from the socket's own options. */
export interface ListenOptions {
  reusePort?: boolean;
}

/** How a stream socket opens connections and listeners. */
export interface Transport {
  /** Connects to `target`; aborting `signal` ends the attempt at once. */
  connect(target: Target, signal?: AbortSignal): Promise<StreamConn>;
  /** Binds and listens on `target` at once (Deno has no separate bind). */
  listen(target: Target, options?: ListenOptions): StreamListener;
}

/**
 * Plain TCP and Unix stream connections, straight over Deno, with what it
 * takes to make Deno's ports behave as the kernel's (see {@linkcode heldPorts}).
 */
export const plainTransport: Transport = {
  connect(target: Target, signal?: AbortSignal): Promise<StreamConn> {
    if (target.transport === "unix") {
      return Deno.connect({ transport: "unix", path: target.path });
    }
    if (target.port === 0) {
      // The kernel refuses port 0; Deno rejects it as out of range instead.
      return Promise.reject(fromErrno(errno.ECONNREFUSED, { detail: formatTarget(target) }));
    }
    const { hostname, port } = target;
    const connect = () => Deno.connect({ hostname, port, signal });
    const held = heldPorts.get(port);
    // A listener closed this turn may still hold the port: connecting now
    // would reach it and be reset (104) instead of refused (111).
    return held === undefined ? connect() : held.released.then(connect);
  },
  listen(target: Target, options?: ListenOptions): StreamListener {
    if (target.transport === "unix") {
      return Deno.listen({ transport: "unix", path: target.path });
    }
    const tcp: Deno.TcpListenOptions = { hostname: target.hostname, port: target.port };
    if (options?.reusePort) tcp.reusePort = true;
    const open = () => new TcpListener(Deno.listen(tcp));
    try {
      return open();
    } catch (e) {
      const held = heldPorts.get(target.port);
      if (held === undefined || !(e instanceof Deno.errors.AddrInUse)) throw e;
      // A listener of ours closed this turn still holds the port (see
      // heldPorts): bind as soon as it lets go, as the kernel would have.
      // A name (localhost) reports what the closed listener resolved it to.
      const hostname = isIPv4(target.hostname) || target.hostname.includes(":")
        ? target.hostname
        : held.hostname;
      return new PendingListener({ transport: "tcp", hostname, port: target.port }, held, open);
    }
  },
};

/**
 * An accept that failed because of the queued connection, not the
 * listener: the client reset or vanished before it was taken. Linux's
 * accept(2) asks callers to retry these; CPython's accept returns the
 * connection (its recv then fails), Deno cannot hand it over at all.
 */
export function droppedWhileQueued(e: unknown): boolean {
  return e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.ConnectionReset;
}

/**
 * Ports that closed listeners of this process still hold: Deno keeps a
 * listener's fd open while its accept op is in flight, and that op ends on
 * the next turn of the event loop, after `close()` has returned. Until then
 * a connect to the port is accepted and reset, and a bind to it fails, where
 * on Linux the port is free once `close()` returns; so this transport's own
 * connect and listen to such a port wait for the release.
 */
const heldPorts = new Map<number, { released: Promise<void>; hostname: string }>();

function ignore(): void {}

function holdPort({ hostname, port }: Deno.NetAddr, until: Promise<unknown>): void {
  const earlier = heldPorts.get(port)?.released;
  const released: Promise<void> = (earlier ? Promise.all([earlier, until]) : until).then(
    ignore,
    ignore,
  );
  heldPorts.set(port, { released, hostname });
  released.then(() => {
    if (heldPorts.get(port)?.released === released) heldPorts.delete(port);
  });
}

/**
 * A TCP listener that, closed with an accept in flight, holds its port
 * until that accept ends. It keeps the last accept's promise (no handler on
 * it: an accept costs what Deno's does); holding on one already settled
 * ends within a microtask.
 */
class TcpListener implements StreamListener {
  #inner: Deno.Listener;
  #last: Promise<unknown> | null = null;

  constructor(inner: Deno.Listener) {
    this.#inner = inner;
  }

  get addr(): Deno.Addr {
    return this.#inner.addr;
  }

  accept(): Promise<StreamConn> {
    const op = this.#inner.accept();
    this.#last = op;
    return op;
  }

  close(): void {
    this.#inner.close();
    if (this.#last !== null) holdPort(this.#inner.addr as Deno.NetAddr, this.#last);
  }
}

/**
 * A TCP listener bound while a closed one still held its port: it opens the
 * real listener once the port is released (within a turn of the event
 * loop); its address is known from the start. If something else took the
 * port meanwhile, the first accept rejects with `EADDRINUSE`.
 */
class PendingListener implements StreamListener {
  #real: StreamListener | null = null;
  #closed = false;
  #opening: Promise<StreamListener>;
  readonly addr: Deno.NetAddr;

  constructor(addr: Deno.NetAddr, held: { released: Promise<void> }, open: () => StreamListener) {
    this.addr = addr;
    this.#opening = held.released.then(() => {
      if (this.#closed) throw new Deno.errors.BadResource("Listener has been closed");
      return this.#real = open();
    });
    this.#opening.catch(ignore);
  }

  accept(): Promise<StreamConn> {
    return this.#opening.then((listener) => listener.accept());
  }

  close(): void {
    this.#closed = true;
    this.#real?.close();
  }
}

/** How a datagram socket is opened (Deno binds it at once). */
export interface DatagramOpenOptions {
  hostname: string;
  port: number;
  /** SO_REUSEADDR and SO_REUSEPORT together, as Deno sets them. */
  reuseAddress: boolean;
  /** Multicast loopback (Linux's default is on; Deno's is off). */
  loopback: boolean;
}

/** Opens a UDP endpoint: the one place that calls `Deno.listenDatagram`. */
export function openDatagram(options: DatagramOpenOptions): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", ...options });
}
