/**
 * `sock.dup()`: a second socket object on the same connection (or
 * datagram socket), as CPython's. Deno has no `dup(2)`, so the duplicate
 * forwards each call to the original with its own timeout, and holds a
 * reference on it (the one `makefile` files hold): the connection closes
 * when the original, every duplicate and every file are closed.
 *
 * @module
 */

import type { Address, SocketAddress } from "./_address.ts";
import type { CallOptions } from "./_base.ts";
import type { Data } from "./_options.ts";
import { Socket } from "./socket.ts";
import { DatagramSocket } from "./udp.ts";

type Bytes = Uint8Array | ArrayBufferView | ArrayBuffer | string;

// Made on first use: this module and socket.ts/udp.ts import each other,
// and a class can extend Socket only once socket.ts has run.
let Duplicate: (new (original: Socket) => Socket) | undefined;
let DatagramDuplicate: (new (original: DatagramSocket) => DatagramSocket) | undefined;

/** Runs `call` on `original` with `timeout` (a call reads the timeout when it starts). */
function withTimeout<S extends Socket | DatagramSocket, T>(
  original: S,
  timeout: number | null,
  call: (original: S) => T,
): T {
  const theirs = original.gettimeout();
  if (theirs === timeout) return call(original);
  original.settimeout(timeout);
  try {
    return call(original);
  } finally {
    original.settimeout(theirs);
  }
}

/** A promise rejected with `e`, marked handled (an unawaited call must not end the process). */
function rejected<T>(e: unknown): Promise<T> {
  const failed = Promise.reject(e);
  failed.catch(() => {});
  return failed;
}

/**
 * A duplicate of `original` (which must be open).
 * @ignore
 */
export function dupSocket(original: Socket): Socket {
  Duplicate ??= makeDuplicateClass();
  return new Duplicate(original);
}

function makeDuplicateClass(): new (original: Socket) => Socket {
  return class SocketDuplicate extends Socket {
    #original: Socket;
    #released = false;

    constructor(original: Socket) {
      super(original.family, original.type, original.proto);
      original._incref_socketios(); // EBADF when the original is closed
      this.#original = original;
      this.settimeout(original.gettimeout());
    }

    /** Runs `call` on the original with this object's timeout. */
    #on<T>(call: (original: Socket) => T): T {
      this.checkOpen();
      return withTimeout(this.#original, this.gettimeout(), call);
    }

    /** As `#on`, for calls that return a promise: a failure rejects, never throws. */
    #async<T>(call: (original: Socket) => Promise<T>): Promise<T> {
      try {
        return this.#on(call);
      } catch (e) {
        return rejected(e);
      }
    }

    override bind(address: Address): void {
      this.#on((s) => s.bind(address));
    }
    override listen(backlog?: number): void {
      this.#on((s) => s.listen(backlog));
    }
    override getsockname(): SocketAddress {
      return this.#on((s) => s.getsockname());
    }
    override getpeername(): SocketAddress {
      return this.#on((s) => s.getpeername());
    }
    override connect(address: Address, options?: CallOptions): Promise<void> {
      return this.#async((s) => s.connect(address, options));
    }
    override connect_ex(address: Address, options?: CallOptions): Promise<number> {
      return this.#async((s) => s.connect_ex(address, options));
    }
    override accept(options?: CallOptions): Promise<[Socket, SocketAddress]> {
      return this.#async((s) => s.accept(options));
    }
    override recv(
      bufsize: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<Uint8Array<ArrayBuffer>> {
      return this.#async((s) => s.recv(bufsize, flags, options));
    }
    override recv_into(
      buffer: ArrayBufferView | ArrayBuffer,
      nbytes?: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<number> {
      return this.#async((s) => s.recv_into(buffer, nbytes, flags, options));
    }
    override recvfrom(
      bufsize: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<[Uint8Array<ArrayBuffer>, null]> {
      return this.#async((s) => s.recvfrom(bufsize, flags, options));
    }
    override send(
      data: Bytes,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<number> {
      return this.#async((s) => s.send(data, flags, options));
    }
    override sendall(
      data: Bytes,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<void> {
      return this.#async((s) => s.sendall(data, flags, options));
    }
    override shutdown(how: number): Promise<void> {
      return this.#async((s) => s.shutdown(how));
    }
    override setsockopt(level: number, option: number, value: number | boolean): void {
      this.#on((s) => s.setsockopt(level, option, value));
    }
    override getsockopt(level: number, option: number): number {
      return this.#on((s) => s.getsockopt(level, option));
    }
    override _unread(data: Uint8Array): void {
      if (!this.closed) this.#original._unread(data);
    }
    override _ready(events: number): number {
      return this.#on((s) => s._ready(events));
    }
    override _watch(events: number): Promise<void> {
      return this.closed ? Promise.resolve() : this.#original._watch(events);
    }

    protected override release(): void {
      super.release();
      if (this.#released) return;
      this.#released = true;
      this.#original._decref_socketios();
    }
  };
}

/**
 * A duplicate of the datagram socket `original` (which must be open).
 * @ignore
 */
export function dupDatagramSocket(original: DatagramSocket): DatagramSocket {
  DatagramDuplicate ??= makeDatagramDuplicateClass();
  return new DatagramDuplicate(original);
}

function makeDatagramDuplicateClass(): new (original: DatagramSocket) => DatagramSocket {
  return class DatagramSocketDuplicate extends DatagramSocket {
    #original: DatagramSocket;
    #released = false;

    constructor(original: DatagramSocket) {
      super(original.family, original.type, original.proto);
      original._incref_socketios(); // EBADF when the original is closed
      this.#original = original;
      this.settimeout(original.gettimeout());
    }

    #on<T>(call: (original: DatagramSocket) => T): T {
      this.checkOpen();
      return withTimeout(this.#original, this.gettimeout(), call);
    }

    #async<T>(call: (original: DatagramSocket) => Promise<T>): Promise<T> {
      try {
        return this.#on(call);
      } catch (e) {
        return rejected(e);
      }
    }

    override bind(address: Address): void {
      this.#on((s) => s.bind(address));
    }
    override getsockname(): SocketAddress {
      return this.#on((s) => s.getsockname());
    }
    override getpeername(): SocketAddress {
      return this.#on((s) => s.getpeername());
    }
    override connect(address: Address, options?: CallOptions): Promise<void> {
      return this.#async((s) => s.connect(address, options));
    }
    override connect_ex(address: Address, options?: CallOptions): Promise<number> {
      return this.#async((s) => s.connect_ex(address, options));
    }
    override sendto(data: Data, address: Address, options?: CallOptions): Promise<number>;
    override sendto(
      data: Data,
      flags: number,
      address: Address,
      options?: CallOptions,
    ): Promise<number>;
    override sendto(
      data: Data,
      flagsOrAddress: number | Address,
      addressOrOptions?: Address | CallOptions,
      options?: CallOptions,
    ): Promise<number> {
      return this.#async((s) =>
        (s.sendto as (...args: unknown[]) => Promise<number>)(
          data,
          flagsOrAddress,
          addressOrOptions,
          options,
        )
      );
    }
    override send(
      data: Data,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<number> {
      return this.#async((s) => s.send(data, flags, options));
    }
    override sendall(
      data: Data,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<void> {
      return this.#async((s) => s.sendall(data, flags, options));
    }
    override recvfrom(
      bufsize: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<[Uint8Array<ArrayBuffer>, SocketAddress]> {
      return this.#async((s) => s.recvfrom(bufsize, flags, options));
    }
    override recv(
      bufsize: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<Uint8Array<ArrayBuffer>> {
      return this.#async((s) => s.recv(bufsize, flags, options));
    }
    override recvfrom_into(
      buffer: ArrayBufferView | ArrayBuffer,
      nbytes?: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<[number, SocketAddress]> {
      return this.#async((s) => s.recvfrom_into(buffer, nbytes, flags, options));
    }
    override recv_into(
      buffer: ArrayBufferView | ArrayBuffer,
      nbytes?: number,
      flags?: number | CallOptions,
      options?: CallOptions,
    ): Promise<number> {
      return this.#async((s) => s.recv_into(buffer, nbytes, flags, options));
    }
    override setsockopt(level: number, option: number, value: number | boolean | Uint8Array): void {
      this.#on((s) => s.setsockopt(level, option, value));
    }
    override getsockopt(level: number, option: number): number {
      return this.#on((s) => s.getsockopt(level, option));
    }
    override _ready(events: number): number {
      return this.#on((s) => s._ready(events));
    }
    override _watch(events: number): Promise<void> {
      return this.closed ? Promise.resolve() : this.#original._watch(events);
    }

    protected override release(): void {
      super.release();
      if (this.#released) return;
      this.#released = true;
      this.#original._decref_socketios();
    }
  };
}
