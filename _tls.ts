/**
 * TLS as a transport: {@linkcode StreamConn}s that carry TLS over another
 * StreamConn, for the stream socket's own reader and writer.
 *
 * Two routes, as `deno-tls-facts` measured them:
 * - native: `Deno.startTls` on the socket's `Deno.TcpConn`, and the
 *   connections of a `Deno.listenTls` listener (fastest; rustls tells a
 *   close_notify from a bare FIN). It covers a verifying client with no
 *   client certificate and no plain bytes read ahead, and a server that asks
 *   for no client certificate, ALPN or version limits.
 * - `node:tls` over a Duplex around the StreamConn: everything else (client
 *   `CERT_NONE`, client certificates, version limits, servers that need
 *   more, STARTTLS on the server side or with bytes already buffered, Unix
 *   sockets). It reports the protocol version and cipher, which the native
 *   route cannot.
 *
 * Each adapter rejects with the `ssl` error CPython would raise
 * (`toSSLError`), so the socket's `toOSError` passes them through.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { StreamConn } from "./_transport.ts";
import { isRaggedEof, raggedEof, sslError, toSSLError, verifyError } from "./_ssl_errors.ts";
import { decodeCertificate } from "./_x509.ts";
import type { OSError } from "./errors.ts";

/** What a TLS connection reports after its handshake. */
export interface TlsConn extends StreamConn {
  /** Resolves once the handshake is done; rejects with the `ssl` error. */
  handshake(): Promise<void>;
  /** `"TLSv1.3"`/`"TLSv1.2"`, or `null` where the route cannot tell. */
  version(): string | null;
  /** `[name, protocol, bits]`, or `null` where the route cannot tell. */
  cipher(): [string, string, number] | null;
  /** The peer's leaf certificate (DER), or `null`. */
  peerCertificate(): Uint8Array | null;
  /** The ALPN protocol both sides chose, or `null`. */
  alpnProtocol(): string | null;
  /** Which route carries it. */
  readonly route: "native" | "node";
}

/** How the client checks the server. */
export interface ClientOptions {
  /** SNI and verification name; `null` for none (no name check). */
  serverName: string | null;
  /** The peer address, for an IP check when there is no name. */
  remoteHost: string;
  checkHostname: boolean;
  /** `false`: `CERT_NONE` (no verification at all). */
  verify: boolean;
  caCerts: string[];
  alpnProtocols?: string[];
  cert?: string;
  key?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  suppressRaggedEofs: boolean;
}

/** How the server presents itself and checks clients. */
export interface ServerOptions {
  cert: string;
  key: string;
  caCerts: string[];
  /** 0 none, 1 optional, 2 required (CPython's verify_mode). */
  verifyMode: number;
  alpnProtocols?: string[];
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
}

const EMPTY = new Uint8Array(0);

function getPeerCertificateSymbol(conn: Deno.TlsConn): symbol | undefined {
  return Object.getOwnPropertySymbols(Object.getPrototypeOf(conn))
    .find((s) => s.description === "getPeerCertificate");
}

/** True when `conn` is Deno's own TCP connection, which `Deno.startTls` takes. */
export function isDenoTcp(conn: StreamConn): conn is Deno.TcpConn {
  return typeof conn.setNoDelay === "function" &&
    (conn.localAddr as Deno.NetAddr).transport === "tcp" && !(conn instanceof NodeTls);
}

/** The native route: Deno's TLS over the socket's TcpConn. */
class NativeTls implements TlsConn {
  readonly route = "native" as const;
  #conn: Deno.TlsConn;
  #suppress: boolean;
  #name: string | null;
  #handshake: Promise<void> | null = null;
  #alpn: string | null = null;
  #peer: Uint8Array | null = null;

  constructor(conn: Deno.TlsConn, suppressRaggedEofs: boolean, name: string | null) {
    this.#conn = conn;
    this.#suppress = suppressRaggedEofs;
    this.#name = name;
  }

  get localAddr(): Deno.Addr {
    return this.#conn.localAddr;
  }
  get remoteAddr(): Deno.Addr {
    return this.#conn.remoteAddr;
  }

  handshake(): Promise<void> {
    return this.#handshake ??= this.#conn.handshake().then((info) => {
      this.#alpn = info.alpnProtocol;
      const symbol = getPeerCertificateSymbol(this.#conn);
      const cert = symbol
        ? (this.#conn as unknown as Record<symbol, (detailed: boolean) => { raw?: Uint8Array }>)
          [symbol](false)
        : null;
      this.#peer = cert?.raw ? new Uint8Array(cert.raw) : null;
    }, (e) => {
      throw toSSLError(e, this.#name);
    });
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn.read(buffer).catch(this.#readFailed);
  }

  #readFailed = (e: unknown): null => {
    // A close without close_notify, or a reset after the handshake: CPython
    // reads either as end of stream (suppress_ragged_eofs) or SSLEOFError.
    const ragged = isRaggedEof(e) || e instanceof Deno.errors.ConnectionReset;
    if (ragged && this.#handshake !== null) {
      if (this.#suppress) return null;
      throw raggedEof(e);
    }
    throw toSSLError(e, this.#name);
  };

  write(data: Uint8Array): Promise<number> {
    return this.#conn.write(data).catch(this.#writeFailed);
  }

  #writeFailed = (e: unknown): never => {
    throw toSSLError(e, this.#name);
  };

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    this.#conn.close();
  }

  version(): string | null {
    return null;
  }
  cipher(): [string, string, number] | null {
    return null;
  }
  peerCertificate(): Uint8Array | null {
    return this.#peer;
  }
  alpnProtocol(): string | null {
    return this.#alpn;
  }
}

/**
 * Starts native client TLS on `raw`, which must be a `Deno.TcpConn` with no
 * read in flight (`Deno.startTls` destroys a busy one).
 */
export function nativeClient(raw: Deno.TcpConn, options: ClientOptions): TlsConn {
  // Deno never sets TCP_NODELAY on TLS, and the TcpConn is gone after startTls.
  raw.setNoDelay(true);
  const hostname = options.serverName ?? options.remoteHost;
  const pending = Deno.startTls(raw, {
    hostname,
    caCerts: options.caCerts,
    alpnProtocols: options.alpnProtocols,
    unsafelyDisableHostnameVerification: !options.checkHostname || options.serverName === null,
  });
  return new LazyNative(pending, options.suppressRaggedEofs, hostname);
}

/** A connection Deno's TLS listener accepted (the server side of the native route). */
export function nativeAccepted(conn: Deno.TlsConn, suppressRaggedEofs: boolean): TlsConn {
  return new NativeTls(conn, suppressRaggedEofs, null);
}

/**
 * `Deno.startTls` returns a promise: this holds the calls made before it
 * resolves (it resolves at once; no I/O happens before the handshake).
 */
class LazyNative implements TlsConn {
  readonly route = "native" as const;
  #ready: Promise<NativeTls>;
  #conn: NativeTls | null = null;
  #error: unknown = null;
  #addrs: { local: Deno.Addr; remote: Deno.Addr } | null = null;

  constructor(pending: Promise<Deno.TlsConn>, suppress: boolean, name: string) {
    this.#ready = pending.then((conn) => {
      this.#addrs = { local: conn.localAddr, remote: conn.remoteAddr };
      return this.#conn = new NativeTls(conn, suppress, name);
    }, (e) => {
      this.#error = toSSLError(e, name);
      throw this.#error;
    });
    this.#ready.catch(() => {});
  }

  /** Resolves to the connection itself once startTls has. */
  async settled(): Promise<TlsConn> {
    return await this.#ready;
  }

  get localAddr(): Deno.Addr {
    return this.#addrs!.local;
  }
  get remoteAddr(): Deno.Addr {
    return this.#addrs!.remote;
  }
  handshake(): Promise<void> {
    return this.#ready.then((c) => c.handshake());
  }
  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn ? this.#conn.read(buffer) : this.#ready.then((c) => c.read(buffer));
  }
  write(data: Uint8Array): Promise<number> {
    return this.#conn ? this.#conn.write(data) : this.#ready.then((c) => c.write(data));
  }
  closeWrite(): Promise<void> {
    return this.#ready.then((c) => c.closeWrite());
  }
  close(): void {
    if (this.#conn) this.#conn.close();
    else this.#ready.then((c) => c.close(), () => {});
  }
  version(): string | null {
    return null;
  }
  cipher(): [string, string, number] | null {
    return null;
  }
  peerCertificate(): Uint8Array | null {
    return this.#conn?.peerCertificate() ?? null;
  }
  alpnProtocol(): string | null {
    return this.#conn?.alpnProtocol() ?? null;
  }
}

/** Resolves once `startTls` has given the connection (addresses readable). */
export async function settle(conn: TlsConn): Promise<TlsConn> {
  return conn instanceof LazyNative ? await conn.settled() : conn;
}

// ---- the node:tls route ----------------------------------------------------

const READ_SIZE = 65536;

/**
 * What a socket hands over with its connection: a read still in flight,
 * settling with the bytes it brought (empty: none left for this reader),
 * `null` at the end of the stream, or its error. Reads of the connection
 * wait for it.
 */
export type PendingRead = Promise<Uint8Array | null> | null;

/**
 * A Duplex over `raw` for node:tls: `buffered` (bytes already read off the
 * connection) come first, then what the read in flight brings (`pending`),
 * then a read loop; writes go out whole.
 */
function duplexOver(
  raw: StreamConn,
  buffered: Uint8Array,
  pending: PendingRead,
  inputEnded: (error: unknown) => void,
): Duplex {
  let reading = false;
  let first: Uint8Array = buffered;
  const scratch = new Uint8Array(READ_SIZE);
  const failed = (e: unknown) => {
    reading = false;
    inputEnded(e);
    duplex.destroy(e as Error);
  };
  const ended = () => {
    duplex.push(null);
    inputEnded(null);
  };
  const readRaw = () => {
    raw.read(scratch).then((n) => {
      reading = false;
      // node:tls may keep the chunk: push a copy of what was read, and
      // read again into the same scratch buffer (a fresh 64 KiB per read
      // costs more than a small copy).
      if (n !== null) return duplex.push(Buffer.from(scratch.subarray(0, n)));
      ended();
    }, failed);
  };
  const duplex: Duplex = new Duplex({
    read() {
      if (first.length > 0) {
        const chunk = first;
        first = EMPTY;
        this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
        return;
      }
      if (reading) return;
      reading = true;
      if (pending === null) return readRaw();
      // The read the socket had in flight is this connection's next input:
      // no other read may start before it ends.
      const adopted = pending;
      pending = null;
      adopted.then((bytes) => {
        if (bytes === null) {
          reading = false;
          return ended();
        }
        if (bytes.length === 0) return readRaw();
        reading = false;
        duplex.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      }, failed);
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAll(raw, chunk).then(() => callback(), callback);
    },
    final(callback) {
      raw.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      try {
        raw.close();
      } catch {
        // Already closed: nothing left to free.
      }
      callback(error);
    },
  });
  // Its failures reach the TLS socket over it as the end of its input; an
  // 'error' event nobody listens to would end the process.
  duplex.on("error", () => {});
  return duplex;
}

async function writeAll(raw: StreamConn, chunk: Uint8Array): Promise<void> {
  for (let off = 0; off < chunk.length;) off += await raw.write(chunk.subarray(off));
}

const HIGH_WATER = 1 << 20;

/** node:tls's TLSSocket as a StreamConn. */
class NodeTls implements TlsConn {
  readonly route = "node" as const;
  #socket: tls.TLSSocket;
  #raw: StreamConn;
  #name: string | null;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #secure: Promise<void>;
  #paused = false;
  #closed = false;

  constructor(
    socket: tls.TLSSocket,
    raw: StreamConn,
    name: string | null,
    secure: Promise<void>,
  ) {
    this.#socket = socket;
    this.#raw = raw;
    this.#name = name;
    this.#secure = secure;
    secure.catch((e) => this.#fail(e));
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#size += chunk.length;
      if (this.#size > HIGH_WATER && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (e: unknown) => this.#fail(e));
  }

  #fail(e: unknown): void {
    this.#error ??= e;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  get localAddr(): Deno.Addr {
    return this.#raw.localAddr;
  }
  get remoteAddr(): Deno.Addr {
    return this.#raw.remoteAddr;
  }

  handshake(): Promise<void> {
    return this.#secure;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#size === 0 && !this.#ended && this.#error === null) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    // As Deno's own connections: close() rejects a read in flight.
    if (this.#closed) throw new Deno.errors.Interrupted("operation canceled");
    if (this.#size > 0) {
      let n = 0;
      while (n < buffer.length && this.#chunks.length > 0) {
        const chunk = this.#chunks[0];
        const take = Math.min(chunk.length, buffer.length - n);
        buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
        n += take;
        if (take === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(take);
      }
      this.#size -= n;
      if (this.#paused && this.#size < HIGH_WATER / 2) {
        this.#paused = false;
        this.#socket.resume();
      }
      return n;
    }
    if (this.#error !== null) throw toSSLError(this.#error, this.#name);
    return null;
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(toSSLError(this.#error, this.#name));
    return new Promise((resolve, reject) => {
      this.#socket.write(data, (e?: Error | null) => {
        if (e) reject(toSSLError(e, this.#name));
        else resolve(data.length);
      });
    });
  }

  closeWrite(): Promise<void> {
    // close_notify, then the Duplex's final() sends FIN. A connection that
    // fails or closes meanwhile ends the wait too.
    return new Promise((resolve) => {
      const done = () => resolve();
      this.#socket.once("close", done);
      this.#socket.once("error", done);
      this.#socket.end(done);
    });
  }

  close(): void {
    this.#closed = true;
    this.#ended = true;
    this.#socket.destroy();
    this.#notify();
  }

  version(): string | null {
    return this.#socket.getProtocol() ?? null;
  }

  cipher(): [string, string, number] | null {
    const c = this.#socket.getCipher();
    if (!c) return null;
    // OpenSSL's names, as CPython reports them (TLS 1.3 suites have one name).
    const name = c.name;
    return [name, this.version() ?? c.version, cipherBits(name)];
  }

  peerCertificate(): Uint8Array | null {
    const cert = this.#socket.getPeerCertificate(false);
    const raw = (cert as { raw?: Uint8Array } | null)?.raw;
    return raw && raw.length > 0 ? new Uint8Array(raw) : null;
  }

  alpnProtocol(): string | null {
    const p = this.#socket.alpnProtocol;
    return typeof p === "string" ? p : null;
  }

  /** The verdict node:tls gave the peer's certificate. */
  get authorized(): boolean {
    return this.#socket.authorized;
  }
}

/** Symmetric key size of a suite, from its name (node reports none). */
function cipherBits(name: string): number {
  if (/AES_?256|CHACHA20/.test(name)) return 256;
  if (/AES_?128/.test(name)) return 128;
  return 0;
}

// How long node:tls gets to finish a handshake from bytes it already has
// once the peer's input has ended.
const END_GRACE_MS = 100;

/**
 * A handshake promise that also fails when the peer's input ends before it
 * completes: node:tls in Deno never reports an end of input (or a reset)
 * during a handshake over a Duplex, so a client that connects and goes away
 * would leave it pending forever. node gets a moment to finish from what
 * it already received (a peer may send its last flight and close at once).
 */
function handshakeGuard<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (e: unknown) => void;
  inputEnded: (error: unknown) => void;
} {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finish = () => {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  return {
    promise,
    resolve: (value) => {
      finish();
      resolve(value);
    },
    reject: (e) => {
      finish();
      reject(e);
    },
    inputEnded: (error) => {
      if (settled || timer !== undefined) return;
      timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(error ?? new Deno.errors.UnexpectedEof("unexpected end of file"));
      }, END_GRACE_MS);
    },
  };
}

/** Client TLS through node:tls over `raw` (and bytes already read from it or on their way). */
export function nodeClient(
  raw: StreamConn,
  buffered: Uint8Array,
  pending: PendingRead,
  options: ClientOptions,
): TlsConn {
  const guard = handshakeGuard<void>();
  const duplex = duplexOver(raw, buffered, pending, guard.inputEnded);
  const name = options.serverName;
  const isIp = name !== null && /^[\d.]+$|:/.test(name);
  const socket = tls.connect({
    socket: duplex,
    host: name ?? options.remoteHost,
    servername: name !== null && !isIp ? name : undefined,
    ca: options.caCerts.length > 0 ? options.caCerts : undefined,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.verify,
    checkServerIdentity: options.checkHostname && name !== null
      ? tls.checkServerIdentity
      : () => undefined,
    ALPNProtocols: options.alpnProtocols,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
  });
  socket.once("secureConnect", () => guard.resolve());
  socket.once("error", guard.reject);
  const secure = guard.promise.catch((e) => {
    socket.destroy();
    throw toSSLError(e, name);
  });
  return new NodeTls(socket, raw, name, secure);
}

/**
 * Server TLS through node:tls over `raw`. A `tls.Server` fed the Duplex
 * (`emit("connection")`) enforces client certificates; a bare
 * `TLSSocket({ isServer })` would not.
 */
export function nodeServer(
  raw: StreamConn,
  buffered: Uint8Array,
  pending: PendingRead,
  options: ServerOptions,
): TlsConn {
  const guard = handshakeGuard<tls.TLSSocket>();
  const duplex = duplexOver(raw, buffered, pending, guard.inputEnded);
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    ca: options.caCerts.length > 0 ? options.caCerts : undefined,
    requestCert: options.verifyMode !== 0,
    // The verdict is checked below, to report it as CPython does (node
    // reports a refused certificate as a bare "socket hang up").
    rejectUnauthorized: false,
    ALPNProtocols: options.alpnProtocols,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
  });
  server.once("secureConnection", (s: tls.TLSSocket) => {
    const refused = options.verifyMode === 0 || s.authorized
      ? null
      : clientRefused(s, options.verifyMode);
    if (refused === null) return guard.resolve(s);
    s.destroy();
    guard.reject(refused);
  });
  server.once("tlsClientError", guard.reject);
  const secure = guard.promise;
  server.emit("connection", duplex);
  let socket: tls.TLSSocket | null = null;
  const done = secure.then((s) => {
    socket = s;
  }, (e) => {
    duplex.destroy();
    throw toSSLError(e, null);
  });
  return new PendingServer(done, () => socket, raw);
}

/**
 * Why a client's certificate is refused, as a CPython server says it, or
 * null when it is not (none sent under CERT_OPTIONAL).
 */
function clientRefused(s: tls.TLSSocket, verifyMode: number): OSError | null {
  const raw = (s.getPeerCertificate(false) as { raw?: Uint8Array } | null)?.raw;
  if (!raw || raw.length === 0) {
    return verifyMode === 2 ? sslError("PEER_DID_NOT_RETURN_A_CERTIFICATE") : null;
  }
  const reason = String(s.authorizationError ?? "");
  if (/EXPIRED/.test(reason)) return verifyError(10, "certificate has expired");
  try {
    const cert = decodeCertificate(new Uint8Array(raw));
    if (JSON.stringify(cert.subject) === JSON.stringify(cert.issuer)) {
      return verifyError(18, "self-signed certificate");
    }
    const now = Date.now();
    if (Date.parse(cert.notAfter) < now) return verifyError(10, "certificate has expired");
  } catch {
    // Unreadable: the generic verdict below.
  }
  return verifyError(20, "unable to get local issuer certificate");
}

/** A server connection whose TLSSocket node hands over after the handshake. */
class PendingServer implements TlsConn {
  readonly route = "node" as const;
  #done: Promise<void>;
  #conn: NodeTls | null = null;
  #raw: StreamConn;

  constructor(done: Promise<void>, socket: () => tls.TLSSocket | null, raw: StreamConn) {
    this.#raw = raw;
    this.#done = done.then(() => {
      this.#conn = new NodeTls(socket()!, raw, null, Promise.resolve());
    });
    this.#done.catch(() => {});
  }
  get localAddr(): Deno.Addr {
    return this.#raw.localAddr;
  }
  get remoteAddr(): Deno.Addr {
    return this.#raw.remoteAddr;
  }
  handshake(): Promise<void> {
    return this.#done;
  }
  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn ? this.#conn.read(buffer) : this.#done.then(() => this.#conn!.read(buffer));
  }
  write(data: Uint8Array): Promise<number> {
    return this.#conn ? this.#conn.write(data) : this.#done.then(() => this.#conn!.write(data));
  }
  closeWrite(): Promise<void> {
    return this.#done.then(() => this.#conn!.closeWrite());
  }
  close(): void {
    if (this.#conn) this.#conn.close();
    else {
      try {
        this.#raw.close();
      } catch {
        // Already closed.
      }
    }
  }
  version(): string | null {
    return this.#conn?.version() ?? null;
  }
  cipher(): [string, string, number] | null {
    return this.#conn?.cipher() ?? null;
  }
  peerCertificate(): Uint8Array | null {
    return this.#conn?.peerCertificate() ?? null;
  }
  alpnProtocol(): string | null {
    return this.#conn?.alpnProtocol() ?? null;
  }
}
