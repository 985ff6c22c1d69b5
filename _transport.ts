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

import { formatTarget, type Target } from "./_address.ts";
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

/** Plain TCP and Unix stream connections, straight over Deno. */
export const plainTransport: Transport = {
  connect(target: Target, signal?: AbortSignal): Promise<StreamConn> {
    if (target.transport === "unix") {
      return Deno.connect({ transport: "unix", path: target.path });
    }
    if (target.port === 0) {
      // The kernel refuses port 0; Deno rejects it as out of range instead.
      return Promise.reject(fromErrno(errno.ECONNREFUSED, { detail: formatTarget(target) }));
    }
    if (signal === undefined) return Deno.connect({ hostname: target.hostname, port: target.port });
    return Deno.connect({ hostname: target.hostname, port: target.port, signal });
  },
  listen(target: Target, options?: ListenOptions): StreamListener {
    if (target.transport === "unix") {
      return Deno.listen({ transport: "unix", path: target.path });
    }
    const tcp: Deno.TcpListenOptions = { hostname: target.hostname, port: target.port };
    if (options?.reusePort) tcp.reusePort = true;
    return Deno.listen(tcp);
  },
};

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
