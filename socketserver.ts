/**
 * Python's `socketserver` module: {@linkcode TCPServer},
 * {@linkcode UDPServer}, {@linkcode UnixStreamServer} and the handler classes
 * {@linkcode BaseRequestHandler}, {@linkcode StreamRequestHandler}
 * (`rfile`/`wfile` from `makefile`) and {@linkcode DatagramRequestHandler}.
 *
 * Every request is handled in its own task (what Python's `ThreadingMixIn`
 * gives), so a slow client never holds up the others. A handler that throws
 * is reported through `handle_error` and the server goes on.
 * `shutdown()` stops accepting and waits, within `shutdown_timeout`
 * seconds, for the handlers in flight.
 *
 * Handler methods (`setup`, `handle`, `finish`) may be `async`. Class-level
 * settings that Python reads in the constructor (`address_family`,
 * `allow_reuse_address`, `request_queue_size`...) are `static` here, so a
 * subclass overrides them with `static override allow_reuse_address = true`.
 *
 * @example Python's `socketserver` TCP example
 * ```ts ignore
 * import { StreamRequestHandler, TCPServer } from "@seed/socket";
 *
 * class MyTCPHandler extends StreamRequestHandler {
 *   override async handle() {
 *     const data = new TextDecoder().decode(await this.rfile.readline()).trim();
 *     console.log(`${this.client_address[0]} wrote: ${data}`);
 *     await this.wfile.write(data.toUpperCase());
 *   }
 * }
 *
 * await using server = new TCPServer(["localhost", 9999], MyTCPHandler);
 * await server.serve_forever();
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_UNIX,
  IPPROTO_TCP,
  SHUT_WR,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import type { Address, SocketAddress } from "./_address.ts";
import { describe } from "./_address.ts";
import { type RawStream, SocketFile, SocketIO, UnsupportedOperation } from "./makefile.ts";
import { join } from "./_io.ts";
import { DefaultSelector, EVENT_READ } from "./select.ts";
import { type Socket, socket } from "./socket.ts";
import type { DatagramSocket } from "./udp.ts";

/**
 * A handler class: what servers are given, instantiated once per request.
 *
 * @typeParam R The request type (`Socket` for stream servers,
 * `[Uint8Array, DatagramSocket]` for datagram servers).
 */
export type RequestHandlerClass<R> = new (
  request: R,
  client_address: SocketAddress,
  server: never,
) => BaseRequestHandler<R, BaseServer<R>>;

/**
 * Python's `socketserver.BaseRequestHandler`: one instance per request.
 * The server calls `setup()`, then `handle()`, then `finish()` (even when
 * `handle` throws); override them (they may be `async`).
 *
 * @typeParam R The request type.
 * @typeParam S The server type (to reach its fields as `this.server`).
 *
 * @example
 * ```ts ignore
 * import { BaseRequestHandler, TCPServer } from "@seed/socket";
 * class Echo extends BaseRequestHandler {
 *   override async handle() {
 *     await this.request.sendall(await this.request.recv(1024));
 *   }
 * }
 * await using server = new TCPServer(["127.0.0.1", 9999], Echo);
 * await server.serve_forever();
 * ```
 */
export class BaseRequestHandler<R = Socket, S extends BaseServer<R> = BaseServer<R>> {
  /** The request: the connected socket, or `[data, socket]` for datagrams. */
  readonly request: R;
  /** The client's address. */
  readonly client_address: SocketAddress;
  /** The server handling the request. */
  readonly server: S;

  /**
   * Made by the server for each request.
   *
   * @param request The request.
   * @param client_address The client's address.
   * @param server The server.
   */
  constructor(request: R, client_address: SocketAddress, server: S) {
    this.request = request;
    this.client_address = client_address;
    this.server = server;
  }

  /**
   * Called before `handle()`.
   *
   * @example
   * ```ts ignore
   * override setup() { this.request.settimeout(10); }
   * ```
   */
  setup(): void | Promise<void> {}

  /**
   * Serves the request.
   *
   * @example
   * ```ts ignore
   * override async handle() { await this.request.sendall("hi\n"); }
   * ```
   */
  handle(): void | Promise<void> {}

  /**
   * Called after `handle()`, even when it threw.
   *
   * @example
   * ```ts ignore
   * override finish() { console.log("done with", this.client_address); }
   * ```
   */
  finish(): void | Promise<void> {}
}

/**
 * The part of Python's `socketserver.BaseServer` that every server shares:
 * the serve loop, one task per request, shutdown and error reporting.
 * {@linkcode TCPServer} and {@linkcode UDPServer} extend it.
 *
 * @typeParam R The request type.
 *
 * @example
 * ```ts ignore
 * import { BaseRequestHandler, BaseServer, TCPServer } from "@seed/socket";
 * const server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
 * console.log(server instanceof BaseServer);
 * server.server_close();
 * ```
 */
export abstract class BaseServer<R> {
  /** The address given, then (after binding) the real one. */
  server_address: Address | SocketAddress;
  /** The handler class, instantiated per request. */
  RequestHandlerClass: RequestHandlerClass<R>;
  /** `handle_request()` waits at most this many seconds (`null`: the socket's timeout). */
  timeout: number | null = null;
  /** `shutdown()` waits at most this many seconds for handlers in flight (`null`: forever). */
  shutdown_timeout: number | null = 30;

  #shutdownRequest = false;
  #serving: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #tasks = new Map<Promise<void>, R>();

  /**
   * Records the address and the handler class.
   *
   * @param server_address The address to serve on.
   * @param RequestHandlerClass The handler class.
   */
  constructor(server_address: Address, RequestHandlerClass: RequestHandlerClass<R>) {
    if (typeof RequestHandlerClass !== "function") {
      throw new TypeError(
        `RequestHandlerClass must be a class, not ${describe(RequestHandlerClass)}`,
      );
    }
    this.server_address = server_address;
    this.RequestHandlerClass = RequestHandlerClass;
  }

  /**
   * The listening socket's `fileno()` (so a server can be given to `select`).
   *
   * @example
   * ```ts ignore
   * console.log(server.fileno());
   * ```
   */
  abstract fileno(): number;

  /**
   * Waits for the next request: `[request, client_address]`.
   *
   * @example
   * ```ts ignore
   * const [request, address] = await server.get_request();
   * ```
   */
  abstract get_request(): Promise<[R, SocketAddress]>;

  /**
   * Called by the constructor to start listening (Python's
   * `server_activate`). Overridable.
   *
   * @example
   * ```ts ignore
   * server.server_activate();
   * ```
   */
  server_activate(): void {}

  /**
   * Closes the server's socket. Handlers in flight keep their requests;
   * use `shutdown()` first to wait for them.
   *
   * @example
   * ```ts ignore
   * server.server_close();
   * ```
   */
  server_close(): void {}

  /**
   * Handles requests until `shutdown()`: waits (at most `poll_interval`
   * seconds at a time) for the socket to be readable, takes the request,
   * and hands it to its own task; calls `service_actions()` in between.
   *
   * @example
   * ```ts ignore
   * const serving = server.serve_forever();
   * // ... later, from another task:
   * await server.shutdown();
   * await serving;
   * ```
   */
  serve_forever(poll_interval?: number): Promise<void>;
  async serve_forever(poll_interval: number = 0.5): Promise<void> {
    if (typeof poll_interval !== "number" || !(poll_interval >= 0)) {
      throw new RangeError(
        `serve_forever(): poll_interval must be >= 0, not ${describe(poll_interval)}`,
      );
    }
    if (this.#serving) throw new Error("serve_forever() is already running");
    const wake = new Promise<never[]>((resolve) => this.#wake = () => resolve([]));
    const loop = async () => {
      using selector = new DefaultSelector();
      selector.register(this, EVENT_READ);
      while (!this.#shutdownRequest) {
        const ready = await Promise.race([selector.select(poll_interval), wake]);
        if (this.#shutdownRequest) break;
        if (ready.length > 0) await this._handle_request_noblock();
        await this.service_actions();
      }
    };
    this.#serving = loop();
    try {
      await this.#serving;
    } finally {
      this.#serving = null;
      this.#wake = null;
      this.#shutdownRequest = false;
    }
  }

  /**
   * Stops `serve_forever()` and waits for it to return, then for the
   * handlers in flight, at most `timeout` seconds (default
   * `shutdown_timeout`). Requests whose handlers are still running then are
   * closed (their pending calls reject with `OSError` `EBADF`). Unlike
   * Python's, it may be awaited from the task that runs the server. From
   * inside a handler, call it without awaiting it (`void
   * this.server.shutdown()`): awaited there, it would wait for that very
   * handler until `shutdown_timeout`.
   *
   * @example
   * ```ts ignore
   * await server.shutdown(5);
   * ```
   */
  shutdown(timeout?: number | null): Promise<void>;
  async shutdown(timeout: number | null = this.shutdown_timeout): Promise<void> {
    if (timeout !== null && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw new RangeError(`shutdown(): timeout must be >= 0 or null, not ${describe(timeout)}`);
    }
    if (this.#serving) {
      this.#shutdownRequest = true;
      this.#wake?.();
      await this.#serving.catch(() => {});
    }
    const pending = [...this.#tasks.keys()];
    if (pending.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = timeout === null
      ? new Promise<boolean>(() => {})
      : new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeout * 1000));
    const late = await Promise.race([Promise.allSettled(pending).then(() => false), expired]);
    clearTimeout(timer);
    if (late) {
      for (const request of this.#tasks.values()) this.close_request(request);
    }
  }

  /**
   * Called once per `serve_forever()` loop. Override to do periodic work.
   *
   * @example
   * ```ts ignore
   * override service_actions() { this.reapIdleClients(); }
   * ```
   */
  service_actions(): void | Promise<void> {}

  /**
   * Handles one request and resolves when its handler has finished; waits
   * at most `timeout` (or the socket's timeout, the smaller), then calls
   * `handle_timeout()`.
   *
   * @example
   * ```ts ignore
   * await server.handle_request();
   * ```
   */
  async handle_request(): Promise<void> {
    let timeout = this.socketTimeout();
    if (timeout === null) timeout = this.timeout;
    else if (this.timeout !== null) timeout = Math.min(timeout, this.timeout);
    using selector = new DefaultSelector();
    selector.register(this, EVENT_READ);
    const ready = await selector.select(timeout);
    if (ready.length === 0) return await this.handle_timeout();
    const started = await this._handle_request_noblock();
    await started?.task;
  }

  /**
   * The timeout of the server's socket (for `handle_request`).
   * @ignore
   */
  protected socketTimeout(): number | null {
    return null;
  }

  /**
   * Takes a request that is ready and starts processing it; resolves (at
   * once, not when the handler ends) to its task.
   * @ignore
   */
  async _handle_request_noblock(): Promise<{ task: Promise<void> } | undefined> {
    let request: R;
    let client_address: SocketAddress;
    try {
      [request, client_address] = await this.get_request();
    } catch {
      return undefined; // Python: an OSError here is ignored
    }
    if (await this.verify_request(request, client_address)) {
      try {
        return { task: this.process_request(request, client_address) };
      } catch (e) {
        this.handle_error(request, client_address, e);
        await this.shutdown_request(request);
      }
    } else {
      await this.shutdown_request(request);
    }
    return undefined;
  }

  /**
   * Called when `handle_request()` times out. Override it.
   *
   * @example
   * ```ts ignore
   * override handle_timeout() { console.log("idle"); }
   * ```
   */
  handle_timeout(): void | Promise<void> {}

  /**
   * Return false to refuse a request (it is closed). Default: true.
   *
   * @example
   * ```ts ignore
   * override verify_request(_request, address) { return address[0] === "127.0.0.1"; }
   * ```
   */
  verify_request(_request: R, _client_address: SocketAddress): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Starts a task that runs `finish_request`, reports a throw through
   * `handle_error`, then calls `shutdown_request` (Python's
   * `ThreadingMixIn.process_request`). Returns that task.
   *
   * @example
   * ```ts ignore
   * const task = server.process_request(request, address);
   * ```
   */
  process_request(request: R, client_address: SocketAddress): Promise<void> {
    const task = (async () => {
      try {
        await this.finish_request(request, client_address);
      } catch (e) {
        this.handle_error(request, client_address, e);
      } finally {
        await this.shutdown_request(request);
      }
    })().catch((e) => {
      // handle_error or shutdown_request threw: report it, keep serving.
      console.error(e);
    }).finally(() => this.#tasks.delete(task));
    this.#tasks.set(task, request);
    return task;
  }

  /**
   * Makes the handler and runs its `setup`, `handle`, `finish`.
   *
   * @example
   * ```ts ignore
   * await server.finish_request(request, address);
   * ```
   */
  async finish_request(request: R, client_address: SocketAddress): Promise<void> {
    const handler = new this.RequestHandlerClass(request, client_address, this as never);
    await handler.setup();
    try {
      await handler.handle();
    } finally {
      await handler.finish();
    }
  }

  /**
   * Ends a request (stream servers half-close, then close).
   *
   * @example
   * ```ts ignore
   * await server.shutdown_request(request);
   * ```
   */
  shutdown_request(request: R): void | Promise<void> {
    this.close_request(request);
  }

  /**
   * Closes a request.
   *
   * @example
   * ```ts ignore
   * server.close_request(request);
   * ```
   */
  close_request(_request: R): void {}

  /**
   * Reports a handler's error; the server goes on. The default prints it
   * to stderr as Python does; override to log elsewhere.
   *
   * @example
   * ```ts ignore
   * override handle_error(_request, address, error) { log.warn(address, error); }
   * ```
   */
  handle_error(_request: R, client_address: SocketAddress, error: unknown): void {
    console.error("-".repeat(40));
    console.error("Exception occurred during processing of request from", client_address);
    console.error(error);
    console.error("-".repeat(40));
  }

  /** The number of handlers running now. */
  get active_requests(): number {
    return this.#tasks.size;
  }

  /**
   * Stops serving, waits for handlers (within `shutdown_timeout`) and
   * closes the socket (`await using server = new TCPServer(...)`).
   *
   * @example
   * ```ts ignore
   * { await using server = new TCPServer(["127.0.0.1", 0], Handler); }
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.shutdown();
    } finally {
      this.server_close();
    }
  }
}

/**
 * Python's `socketserver.TCPServer` (with `ThreadingMixIn`'s one task per
 * request): binds and listens in the constructor (unless
 * `bind_and_activate` is false), accepts in `serve_forever()`.
 *
 * @example
 * ```ts
 * import { BaseRequestHandler, socket, type Socket, TCPServer } from "@seed/socket";
 *
 * class Upper extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     const data = await this.request.recv(1024);
 *     await this.request.sendall(new TextDecoder().decode(data).toUpperCase());
 *   }
 * }
 *
 * await using server = new TCPServer(["127.0.0.1", 0], Upper);
 * const serving = server.serve_forever(0.1);
 * await using client = socket();
 * await client.connect(server.server_address as [string, number]);
 * await client.sendall("hello");
 * console.log(new TextDecoder().decode(await client.recv(1024))); // "HELLO"
 * await server.shutdown();
 * await serving;
 * ```
 */
export class TCPServer extends BaseServer<Socket> {
  /** The family of the server's socket. */
  static address_family: number = AF_INET;
  /** The type of the server's socket (`SOCK_STREAM`). */
  static readonly socket_type: number = SOCK_STREAM;
  /** The `listen()` backlog. */
  static request_queue_size: number = 5;
  /** Set `SO_REUSEADDR` before binding. */
  static allow_reuse_address: boolean = false;
  /** Set `SO_REUSEPORT` before binding. */
  static allow_reuse_port: boolean = false;

  /** The listening socket. */
  readonly socket: Socket;

  /**
   * Makes the socket and, unless `bind_and_activate` is false, binds and
   * listens (closing the socket if that fails).
   *
   * @param server_address Where to listen (`["127.0.0.1", 0]` for any port).
   * @param RequestHandlerClass The handler class.
   * @param bind_and_activate Bind and listen now (default true).
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<Socket>,
    bind_and_activate?: boolean,
  );
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<Socket>,
    bind_and_activate = true,
  ) {
    super(server_address, RequestHandlerClass);
    this.socket = socket((this.constructor as typeof TCPServer).address_family, SOCK_STREAM);
    if (bind_and_activate) bindAndActivate(this);
  }

  /**
   * Binds the socket (honouring `allow_reuse_address`/`allow_reuse_port`)
   * and records the real address in `server_address`.
   *
   * @example
   * ```ts
   * import { BaseRequestHandler, TCPServer } from "@seed/socket";
   * const server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler, false);
   * server.server_bind();
   * console.log(server.server_address);
   * server.server_close();
   * ```
   */
  server_bind(): void {
    bindServerSocket(this);
  }

  /**
   * Listens with `request_queue_size`.
   *
   * @example
   * ```ts ignore
   * server.server_activate();
   * ```
   */
  override server_activate(): void {
    this.socket.listen((this.constructor as typeof TCPServer).request_queue_size);
  }

  /**
   * Closes the listening socket.
   *
   * @example
   * ```ts ignore
   * server.server_close();
   * ```
   */
  override server_close(): void {
    this.socket.close();
  }

  /**
   * The listening socket's `fileno()`.
   *
   * @example
   * ```ts ignore
   * console.log(server.fileno());
   * ```
   */
  fileno(): number {
    return this.socket.fileno();
  }

  /**
   * Accepts a connection.
   *
   * @example
   * ```ts ignore
   * const [conn, address] = await server.get_request();
   * ```
   */
  get_request(): Promise<[Socket, SocketAddress]> {
    return this.socket.accept();
  }

  /** @ignore */
  protected override socketTimeout(): number | null {
    return this.socket.gettimeout();
  }

  /**
   * Half-closes the connection (so the client sees the end), then closes it.
   *
   * @example
   * ```ts ignore
   * await server.shutdown_request(conn);
   * ```
   */
  override async shutdown_request(request: Socket): Promise<void> {
    try {
      await request.shutdown(SHUT_WR);
    } catch {
      // Already gone: nothing to tell the client.
    }
    this.close_request(request);
  }

  /**
   * Closes the connection.
   *
   * @example
   * ```ts ignore
   * server.close_request(conn);
   * ```
   */
  override close_request(request: Socket): void {
    request.close();
  }
}

/**
 * The end of the {@linkcode TCPServer} and {@linkcode UDPServer}
 * constructors (Python's `UDPServer` inherits it from `TCPServer`): binds
 * and activates, closing the socket if either throws.
 */
function bindAndActivate(server: TCPServer | UDPServer): void {
  try {
    server.server_bind();
    server.server_activate();
  } catch (e) {
    server.server_close();
    throw e;
  }
}

/**
 * `server_bind()` of {@linkcode TCPServer} and {@linkcode UDPServer}: sets
 * the reuse options the class asks for, binds, and records the real address.
 */
function bindServerSocket(server: TCPServer | UDPServer): void {
  const settings = server.constructor as typeof TCPServer | typeof UDPServer;
  const sock: Socket | DatagramSocket = server.socket;
  if (settings.allow_reuse_address) sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  if (settings.allow_reuse_port) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  sock.bind(server.server_address as Address);
  server.server_address = sock.getsockname();
}

/**
 * Python's `socketserver.UnixStreamServer`: a {@linkcode TCPServer} on a
 * Unix stream socket (`server_address` is a path). The socket file is not
 * removed on close, as in Python.
 *
 * @example
 * ```ts ignore
 * import { StreamRequestHandler, UnixStreamServer } from "@seed/socket";
 * await using server = new UnixStreamServer("/tmp/app.sock", StreamRequestHandler);
 * await server.serve_forever();
 * ```
 */
export class UnixStreamServer extends TCPServer {
  /** `AF_UNIX`. */
  static override address_family: number = AF_UNIX;
}

/**
 * Python's `socketserver.StreamRequestHandler`: `rfile` (buffered, from
 * `makefile("rb")`) and `wfile` (unbuffered by default: each write is sent
 * at once, as Python's `_SocketWriter`) over the connection. Settings:
 * `rbufsize`, `wbufsize`, `timeout`, `disable_nagle_algorithm`.
 *
 * @example
 * ```ts ignore
 * import { StreamRequestHandler } from "@seed/socket";
 * class Lines extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * ```
 */
export class StreamRequestHandler<S extends BaseServer<Socket> = BaseServer<Socket>>
  extends BaseRequestHandler<Socket, S> {
  /** `rfile`'s buffer size (-1: the default). */
  rbufsize: number = -1;
  /** `wfile`'s buffer size (0: send every write at once). */
  wbufsize: number = 0;
  /** A timeout for the connection, in seconds (`null`: none). */
  timeout: number | null = null;
  /** Set `TCP_NODELAY` on the connection. */
  disable_nagle_algorithm: boolean = false;
  /** The connection (the request). */
  connection!: Socket;
  /** The connection's input, as a buffered binary file. */
  rfile!: SocketFile;
  /** The connection's output, as a binary file. */
  wfile!: SocketFile;

  /**
   * Applies the settings and makes `rfile` and `wfile`.
   *
   * @example
   * ```ts ignore
   * override setup() { this.timeout = 30; super.setup(); }
   * ```
   */
  override setup(): void {
    this.connection = this.request;
    if (this.timeout !== null) this.connection.settimeout(this.timeout);
    if (this.disable_nagle_algorithm) this.connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    this.rfile = this.connection.makefile("rb", { buffering: this.rbufsize });
    this.wfile = this.wbufsize === 0
      ? new SocketFile(new SocketIO(this.connection, "wb"), "wb", 0)
      : this.connection.makefile("wb", { buffering: this.wbufsize });
  }

  /**
   * Flushes `wfile` (ignoring a failure) and closes both files.
   *
   * @example
   * ```ts ignore
   * override async finish() { await super.finish(); }
   * ```
   */
  override async finish(): Promise<void> {
    if (!this.wfile.closed) {
      try {
        await this.wfile.flush();
      } catch {
        // The client went away: Python ignores socket.error here too.
      }
    }
    await this.wfile.close().catch(() => {});
    await this.rfile.close();
  }
}

/** The request of a datagram server: the data and the server's socket. */
export type DatagramRequest = [data: Uint8Array<ArrayBuffer>, socket: DatagramSocket];

/**
 * Python's `socketserver.UDPServer`: each datagram is a request
 * `[data, socket]`, handled in its own task. Needs `--unstable-net` (as
 * every datagram socket).
 *
 * @example
 * ```ts ignore
 * import { DatagramRequestHandler, UDPServer } from "@seed/socket";
 * class Echo extends DatagramRequestHandler {
 *   override async handle() { await this.wfile.write(await this.rfile.read()); }
 * }
 * await using server = new UDPServer(["127.0.0.1", 9999], Echo);
 * await server.serve_forever();
 * ```
 */
export class UDPServer extends BaseServer<DatagramRequest> {
  /** The family of the server's socket. */
  static address_family: number = AF_INET;
  /** `SOCK_DGRAM`. */
  static readonly socket_type: number = SOCK_DGRAM;
  /** Set `SO_REUSEADDR` before binding. */
  static allow_reuse_address: boolean = false;
  /** Set `SO_REUSEPORT` before binding. */
  static allow_reuse_port: boolean = false;
  /** The largest datagram read (longer ones are truncated). */
  static max_packet_size: number = 8192;

  /** The server's datagram socket. */
  readonly socket: DatagramSocket;

  /**
   * Makes the socket and, unless `bind_and_activate` is false, binds it.
   *
   * @param server_address Where to receive.
   * @param RequestHandlerClass The handler class.
   * @param bind_and_activate Bind now (default true).
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<DatagramRequest>,
    bind_and_activate?: boolean,
  );
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<DatagramRequest>,
    bind_and_activate = true,
  ) {
    super(server_address, RequestHandlerClass);
    this.socket = socket((this.constructor as typeof UDPServer).address_family, SOCK_DGRAM);
    if (bind_and_activate) bindAndActivate(this);
  }

  /**
   * Binds the socket and records the real address.
   *
   * @example
   * ```ts ignore
   * server.server_bind();
   * ```
   */
  server_bind(): void {
    bindServerSocket(this);
  }

  /**
   * Closes the socket.
   *
   * @example
   * ```ts ignore
   * server.server_close();
   * ```
   */
  override server_close(): void {
    this.socket.close();
  }

  /**
   * The socket's `fileno()`.
   *
   * @example
   * ```ts ignore
   * console.log(server.fileno());
   * ```
   */
  fileno(): number {
    return this.socket.fileno();
  }

  /**
   * Receives a datagram: `[[data, socket], client_address]`.
   *
   * @example
   * ```ts ignore
   * const [[data], address] = await server.get_request();
   * ```
   */
  async get_request(): Promise<[DatagramRequest, SocketAddress]> {
    const max = (this.constructor as typeof UDPServer).max_packet_size;
    const [data, address] = await this.socket.recvfrom(max);
    return [[data, this.socket], address];
  }

  /** @ignore */
  protected override socketTimeout(): number | null {
    return this.socket.gettimeout();
  }
}

/** A raw stream over memory (Python's `BytesIO` under the datagram handler). */
class MemoryRaw implements RawStream {
  #data: Uint8Array;
  #parts: Uint8Array[] = [];
  closed = false;
  constructor(data: Uint8Array = new Uint8Array(0)) {
    this.#data = data;
  }
  readinto(buffer: Uint8Array): Promise<number> {
    const n = Math.min(buffer.length, this.#data.length);
    buffer.set(this.#data.subarray(0, n));
    this.#data = this.#data.subarray(n);
    return Promise.resolve(n);
  }
  write(data: Uint8Array): Promise<number> {
    this.#parts.push(data.slice());
    return Promise.resolve(data.length);
  }
  getvalue(): Uint8Array<ArrayBuffer> {
    return join(this.#parts, this.#parts.reduce((n, p) => n + p.length, 0));
  }
  close(): void {
    this.closed = true;
  }
  fileno(): number {
    throw new UnsupportedOperation("fileno");
  }
}

/**
 * Python's `socketserver.DatagramRequestHandler`: `rfile` reads the
 * datagram, what is written to `wfile` is sent back to the client as one
 * datagram when the handler finishes (an empty one if nothing was
 * written, as in Python). `packet` and `socket` are the two halves of the
 * request.
 *
 * @example
 * ```ts ignore
 * import { DatagramRequestHandler } from "@seed/socket";
 * class Upper extends DatagramRequestHandler {
 *   override async handle() {
 *     const text = new TextDecoder().decode(await this.rfile.read());
 *     await this.wfile.write(text.toUpperCase());
 *   }
 * }
 * ```
 */
export class DatagramRequestHandler<
  S extends BaseServer<DatagramRequest> = BaseServer<DatagramRequest>,
> extends BaseRequestHandler<DatagramRequest, S> {
  /** The datagram received. */
  packet!: Uint8Array;
  /** The server's socket (to send with). */
  socket!: DatagramSocket;
  /** The datagram, as a binary file. */
  rfile!: SocketFile;
  /** The reply, as a binary file (sent by `finish`). */
  wfile!: SocketFile;
  #reply = new MemoryRaw();

  /**
   * Makes `rfile` and `wfile`.
   *
   * @example
   * ```ts ignore
   * override setup() { super.setup(); }
   * ```
   */
  override setup(): void {
    [this.packet, this.socket] = this.request;
    this.rfile = new SocketFile(new MemoryRaw(this.packet), "rb");
    this.wfile = new SocketFile(this.#reply, "wb", 0);
  }

  /**
   * Sends what was written to `wfile` to the client.
   *
   * @example
   * ```ts ignore
   * override async finish() { await super.finish(); }
   * ```
   */
  override async finish(): Promise<void> {
    if (!this.wfile.closed) await this.wfile.flush();
    await this.socket.sendto(this.#reply.getvalue(), this.client_address);
  }
}

// ---- Python's mixins and the ready-made combinations ------------------------

/** Any server class (what the mixins take). */
type ServerClass = abstract new (...args: never[]) => object;

/**
 * `Base` as a class to extend: a subclass's implicit constructor passes
 * every argument on, whatever the type says.
 */
function extendable(Base: ServerClass): abstract new () => object {
  return Base as unknown as abstract new () => object;
}

/** The settings {@linkcode ThreadingMixIn} adds, as Python's. */
export interface ThreadingSettings {
  /**
   * Python's `daemon_threads`: accepted; handlers are tasks, and a
   * process ends when its tasks do.
   */
  daemon_threads: boolean;
  /**
   * Python's `block_on_close`: accepted; `shutdown()` always waits for the
   * handlers in flight, within `shutdown_timeout`.
   */
  block_on_close: boolean;
}

/** The settings {@linkcode ForkingMixIn} adds, as Python's. */
export interface ForkingSettings {
  /** Python's `max_children`: accepted; requests are tasks, not processes. */
  max_children: number;
  /**
   * Python's `block_on_close`: accepted; `shutdown()` always waits for the
   * handlers in flight, within `shutdown_timeout`.
   */
  block_on_close: boolean;
}

/**
 * Python's `socketserver.ThreadingMixIn`, as a function of the server
 * class (`class S extends ThreadingMixIn(TCPServer) {}` where Python
 * writes `class S(ThreadingMixIn, TCPServer)`). Every server here already
 * handles each request in its own task, which is what the mixin gives in
 * Python, so it only adds Python's settings (`daemon_threads`,
 * `block_on_close`).
 *
 * @example
 * ```ts
 * import { StreamRequestHandler, TCPServer, ThreadingMixIn } from "@seed/socket";
 * class Server extends ThreadingMixIn(TCPServer) {
 *   static override daemon_threads = true;
 * }
 * await using server = new Server(["127.0.0.1", 0], StreamRequestHandler);
 * console.log(server.server_address);
 * ```
 *
 * @throws {TypeError} `Base` is not a class.
 */
export function ThreadingMixIn<T extends abstract new (...args: never[]) => object>(
  Base: T,
): T & ThreadingSettings {
  if (typeof Base !== "function") {
    throw new TypeError(`ThreadingMixIn(): Base must be a server class, not ${describe(Base)}`);
  }
  abstract class Threading extends extendable(Base) {
    static daemon_threads = false;
    static block_on_close = true;
  }
  Object.defineProperty(Threading, "name", { value: `Threading${Base.name}` });
  return Threading as unknown as T & ThreadingSettings;
}

/**
 * Python's `socketserver.ForkingMixIn`: accepted for ported code. Deno
 * cannot fork; every request already runs in its own task, which gives
 * the concurrency a forking server is used for (not the memory isolation
 * of a process). It adds Python's settings (`max_children`,
 * `block_on_close`).
 *
 * @example
 * ```ts
 * import { ForkingMixIn, StreamRequestHandler, TCPServer } from "@seed/socket";
 * class Server extends ForkingMixIn(TCPServer) {}
 * await using server = new Server(["127.0.0.1", 0], StreamRequestHandler);
 * console.log(server.server_address);
 * ```
 *
 * @throws {TypeError} `Base` is not a class.
 */
export function ForkingMixIn<T extends abstract new (...args: never[]) => object>(
  Base: T,
): T & ForkingSettings {
  if (typeof Base !== "function") {
    throw new TypeError(`ForkingMixIn(): Base must be a server class, not ${describe(Base)}`);
  }
  abstract class Forking extends extendable(Base) {
    static max_children = 40;
    static block_on_close = true;
  }
  Object.defineProperty(Forking, "name", { value: `Forking${Base.name}` });
  return Forking as unknown as T & ForkingSettings;
}

/**
 * Python's `socketserver.ThreadingTCPServer`: a {@linkcode TCPServer}
 * (which already handles each request in its own task) with
 * {@linkcode ThreadingMixIn}'s settings.
 *
 * @example
 * ```ts
 * import { StreamRequestHandler, ThreadingTCPServer } from "@seed/socket";
 * await using server = new ThreadingTCPServer(["127.0.0.1", 0], StreamRequestHandler);
 * console.log(server.server_address);
 * ```
 */
export class ThreadingTCPServer extends TCPServer {
  /** See {@linkcode ThreadingSettings.daemon_threads}. */
  static daemon_threads: boolean = false;
  /** See {@linkcode ThreadingSettings.block_on_close}. */
  static block_on_close: boolean = true;
}

/**
 * Python's `socketserver.ThreadingUDPServer`: a {@linkcode UDPServer}
 * (each datagram already handled in its own task) with
 * {@linkcode ThreadingMixIn}'s settings. Needs `--unstable-net`.
 *
 * @example
 * ```ts
 * import { DatagramRequestHandler, ThreadingUDPServer } from "@seed/socket";
 * await using server = new ThreadingUDPServer(["127.0.0.1", 0], DatagramRequestHandler);
 * console.log(server.server_address);
 * ```
 *
 * @throws {OSError} `EPROTONOSUPPORT` without `--unstable-net` (as every datagram socket).
 */
export class ThreadingUDPServer extends UDPServer {
  /** See {@linkcode ThreadingSettings.daemon_threads}. */
  static daemon_threads: boolean = false;
  /** See {@linkcode ThreadingSettings.block_on_close}. */
  static block_on_close: boolean = true;
}

/**
 * Python's `socketserver.ThreadingUnixStreamServer`: a
 * {@linkcode UnixStreamServer} with {@linkcode ThreadingMixIn}'s settings.
 *
 * @example
 * ```ts ignore
 * import { StreamRequestHandler, ThreadingUnixStreamServer } from "@seed/socket";
 * await using server = new ThreadingUnixStreamServer("/tmp/app.sock", StreamRequestHandler);
 * await server.serve_forever();
 * ```
 */
export class ThreadingUnixStreamServer extends UnixStreamServer {
  /** See {@linkcode ThreadingSettings.daemon_threads}. */
  static daemon_threads: boolean = false;
  /** See {@linkcode ThreadingSettings.block_on_close}. */
  static block_on_close: boolean = true;
}

/**
 * Python's `socketserver.UnixDatagramServer`: a {@linkcode UDPServer} on
 * an `AF_UNIX` path. This library's datagram sockets are UDP only (Deno's
 * Unix datagram transport, `unixpacket`, is not wired in), so constructing
 * one throws `OSError` `EAFNOSUPPORT` saying so.
 *
 * @example
 * ```ts
 * import { DatagramRequestHandler, OSError, UnixDatagramServer } from "@seed/socket";
 * try {
 *   new UnixDatagramServer("/tmp/app.sock", DatagramRequestHandler);
 * } catch (e) {
 *   console.log((e as OSError).errno); // 97 (EAFNOSUPPORT)
 * }
 * ```
 *
 * @throws {OSError} `EAFNOSUPPORT`: Unix datagram sockets are not supported.
 */
export class UnixDatagramServer extends UDPServer {
  /** `AF_UNIX`. */
  static override address_family: number = AF_UNIX;
}
