/**
 * Python's `OSError` family for Deno sockets, with the errno numbers of the
 * platform the code runs on.
 *
 * Every error this library raises is one of these classes (or a `TypeError` /
 * `RangeError` for a bad argument). {@linkcode toOSError} turns an error thrown
 * by Deno's own networking into the class Python would raise, keeping Deno's
 * original error as `cause`.
 *
 * @example Catching a refused connection
 * ```ts
 * import { ConnectionRefusedError, errno, OSError } from "@seed/socket/errors";
 *
 * const err = new ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused");
 * console.log(err instanceof OSError, err.errno, err.message);
 * ```
 *
 * @module
 */

/** The POSIX names of the errno values this library uses. */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "EINTR"
  | "EBADF"
  | "EAGAIN"
  | "EWOULDBLOCK"
  | "EACCES"
  | "EEXIST"
  | "ENOTDIR"
  | "EINVAL"
  | "EPIPE"
  | "ENAMETOOLONG"
  | "ENOTSOCK"
  | "EDESTADDRREQ"
  | "EMSGSIZE"
  | "EPROTOTYPE"
  | "ENOPROTOOPT"
  | "EPROTONOSUPPORT"
  | "ESOCKTNOSUPPORT"
  | "EOPNOTSUPP"
  | "EAFNOSUPPORT"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ENETDOWN"
  | "ENETUNREACH"
  | "ECONNABORTED"
  | "ECONNRESET"
  | "ENOBUFS"
  | "EISCONN"
  | "ENOTCONN"
  | "ESHUTDOWN"
  | "ETIMEDOUT"
  | "ECONNREFUSED"
  | "EHOSTUNREACH"
  | "EALREADY"
  | "EINPROGRESS";

/** A table from errno name to number, one per platform. */
export type ErrnoTable = Readonly<Record<ErrnoName, number>>;

const COMMON = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EACCES: 13,
  EEXIST: 17,
  ENOTDIR: 20,
  EINVAL: 22,
  EPIPE: 32,
} as const;

/**
 * Errno numbers on Linux (as Python's `errno` module reports them there).
 *
 * @example
 * ```ts
 * import { LINUX_ERRNO } from "@seed/socket/errors";
 * console.log(LINUX_ERRNO.ECONNREFUSED); // 111
 * ```
 */
export const LINUX_ERRNO: ErrnoTable = Object.freeze({
  ...COMMON,
  EAGAIN: 11,
  EWOULDBLOCK: 11,
  ENAMETOOLONG: 36,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
});

/**
 * Errno numbers on macOS (Darwin).
 *
 * @example
 * ```ts
 * import { DARWIN_ERRNO } from "@seed/socket/errors";
 * console.log(DARWIN_ERRNO.ECONNREFUSED); // 61
 * ```
 */
export const DARWIN_ERRNO: ErrnoTable = Object.freeze({
  ...COMMON,
  EAGAIN: 35,
  EWOULDBLOCK: 35,
  ENAMETOOLONG: 63,
  ENOTSOCK: 38,
  EDESTADDRREQ: 39,
  EMSGSIZE: 40,
  EPROTOTYPE: 41,
  ENOPROTOOPT: 42,
  EPROTONOSUPPORT: 43,
  ESOCKTNOSUPPORT: 44,
  EOPNOTSUPP: 102,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETDOWN: 50,
  ENETUNREACH: 51,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOBUFS: 55,
  EISCONN: 56,
  ENOTCONN: 57,
  ESHUTDOWN: 58,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  EHOSTUNREACH: 65,
  EALREADY: 37,
  EINPROGRESS: 36,
});

/**
 * Errno numbers on Windows, as CPython's `errno` module gives them there
 * (socket errors are the WinSock `WSAE*` codes).
 *
 * @example
 * ```ts
 * import { WINDOWS_ERRNO } from "@seed/socket/errors";
 * console.log(WINDOWS_ERRNO.ECONNREFUSED); // 10061
 * ```
 */
export const WINDOWS_ERRNO: ErrnoTable = Object.freeze({
  ...COMMON,
  EAGAIN: 11,
  EWOULDBLOCK: 10035,
  ENAMETOOLONG: 38,
  ENOTSOCK: 10038,
  EDESTADDRREQ: 10039,
  EMSGSIZE: 10040,
  EPROTOTYPE: 10041,
  ENOPROTOOPT: 10042,
  EPROTONOSUPPORT: 10043,
  ESOCKTNOSUPPORT: 10044,
  EOPNOTSUPP: 10045,
  EAFNOSUPPORT: 10047,
  EADDRINUSE: 10048,
  EADDRNOTAVAIL: 10049,
  ENETDOWN: 10050,
  ENETUNREACH: 10051,
  ECONNABORTED: 10053,
  ECONNRESET: 10054,
  ENOBUFS: 10055,
  EISCONN: 10056,
  ENOTCONN: 10057,
  ESHUTDOWN: 10058,
  ETIMEDOUT: 10060,
  ECONNREFUSED: 10061,
  EHOSTUNREACH: 10065,
  EALREADY: 10037,
  EINPROGRESS: 10036,
});

function tableFor(os: string): ErrnoTable {
  if (os === "darwin" || os === "freebsd" || os === "openbsd") {
    return DARWIN_ERRNO;
  }
  if (os === "windows") return WINDOWS_ERRNO;
  return LINUX_ERRNO;
}

/**
 * The errno numbers of the platform this code runs on, chosen by
 * `Deno.build.os`: `errno.ECONNREFUSED` is 111 on Linux, 61 on macOS and
 * 10061 on Windows.
 *
 * @example
 * ```ts
 * import { errno } from "@seed/socket/errors";
 * console.log(errno.EADDRINUSE);
 * ```
 */
export const errno: ErrnoTable = tableFor(Deno.build.os);

const STRERROR: Readonly<Record<ErrnoName, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EWOULDBLOCK: "Resource temporarily unavailable",
  EACCES: "Permission denied",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EINVAL: "Invalid argument",
  EPIPE: "Broken pipe",
  ENAMETOOLONG: "File name too long",
  ENOTSOCK: "Socket operation on non-socket",
  EDESTADDRREQ: "Destination address required",
  EMSGSIZE: "Message too long",
  EPROTOTYPE: "Protocol wrong type for socket",
  ENOPROTOOPT: "Protocol not available",
  EPROTONOSUPPORT: "Protocol not supported",
  ESOCKTNOSUPPORT: "Socket type not supported",
  EOPNOTSUPP: "Operation not supported",
  EAFNOSUPPORT: "Address family not supported by protocol",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENETDOWN: "Network is down",
  ENETUNREACH: "Network is unreachable",
  ECONNABORTED: "Software caused connection abort",
  ECONNRESET: "Connection reset by peer",
  ENOBUFS: "No buffer space available",
  EISCONN: "Transport endpoint is already connected",
  ENOTCONN: "Transport endpoint is not connected",
  ESHUTDOWN: "Cannot send after transport endpoint shutdown",
  ETIMEDOUT: "Connection timed out",
  ECONNREFUSED: "Connection refused",
  EHOSTUNREACH: "No route to host",
  EALREADY: "Operation already in progress",
  EINPROGRESS: "Operation now in progress",
};

/**
 * The errno name for a number on this platform, or `undefined`.
 *
 * @example
 * ```ts
 * import { errno, errorcode } from "@seed/socket/errors";
 * console.log(errorcode(errno.EPIPE)); // "EPIPE"
 * ```
 */
export function errorcode(code: number): ErrnoName | undefined {
  for (const name of Object.keys(errno) as ErrnoName[]) {
    if (errno[name] === code && name !== "EWOULDBLOCK") return name;
  }
  return code === errno.EWOULDBLOCK ? "EWOULDBLOCK" : undefined;
}

/**
 * The text of an errno number, as `os.strerror` gives it on Linux.
 *
 * @example
 * ```ts
 * import { errno, strerror } from "@seed/socket/errors";
 * console.log(strerror(errno.ECONNRESET)); // "Connection reset by peer"
 * ```
 */
export function strerror(code: number): string {
  const name = errorcode(code);
  return name ? STRERROR[name] : `Unknown error ${code}`;
}

/** Options for the {@linkcode OSError} constructor. */
export interface OSErrorOptions {
  /** The error that caused this one (Deno's original error). */
  cause?: unknown;
  /** Extra detail appended to the message, such as an address. */
  detail?: string;
}

/**
 * Python's `OSError`: the base of every socket error. `errno` is the
 * platform's number (or `null`), `strerror` its text; the message reads as
 * Python's `str(err)`: `"[Errno 111] Connection refused"`, plus any detail.
 *
 * @example
 * ```ts
 * import { errno, OSError } from "@seed/socket/errors";
 *
 * const err = new OSError(errno.EBADF, "Bad file descriptor");
 * console.log(err.errno === errno.EBADF, err.strerror, err.message);
 * ```
 */
export class OSError extends Error {
  /** The errno number, or `null` when the error has none (a timeout). */
  readonly errno: number | null;
  /** The text that describes `errno`. */
  readonly strerror: string | null;

  /**
   * Makes an error with an errno number and its text.
   *
   * @param code The errno number, or `null`.
   * @param text The description; defaults to the platform's text for `code`.
   * @param options `cause` (the original error) and `detail`.
   */
  constructor(
    code: number | null,
    text?: string | null,
    options?: OSErrorOptions,
  );
  constructor(
    code: number | null,
    text?: string | null,
    options: OSErrorOptions = {},
  ) {
    const described = text ?? (code === null ? null : strerror(code));
    const head = code === null ? (described ?? "") : `[Errno ${code}] ${described}`;
    super(
      options.detail ? `${head}: ${options.detail}` : head,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.errno = code;
    this.strerror = described;
  }

  /** The class name, as Python prints it. */
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Python's `ConnectionError`: the base of the four connection errors.
 *
 * @example
 * ```ts
 * import { ConnectionError, ConnectionResetError, errno } from "@seed/socket/errors";
 * console.log(new ConnectionResetError(errno.ECONNRESET) instanceof ConnectionError);
 * ```
 */
export class ConnectionError extends OSError {}

/**
 * Python's `ConnectionRefusedError` (errno `ECONNREFUSED`): nothing listens
 * at the address.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError, errno } from "@seed/socket/errors";
 * console.log(new ConnectionRefusedError(errno.ECONNREFUSED).message);
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {}

/**
 * Python's `ConnectionResetError` (errno `ECONNRESET`): the peer reset the
 * connection.
 *
 * @example
 * ```ts
 * import { ConnectionResetError, errno } from "@seed/socket/errors";
 * console.log(new ConnectionResetError(errno.ECONNRESET).message);
 * ```
 */
export class ConnectionResetError extends ConnectionError {}

/**
 * Python's `ConnectionAbortedError` (errno `ECONNABORTED`).
 *
 * @example
 * ```ts
 * import { ConnectionAbortedError, errno } from "@seed/socket/errors";
 * console.log(new ConnectionAbortedError(errno.ECONNABORTED).message);
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {}

/**
 * Python's `BrokenPipeError` (errno `EPIPE` or `ESHUTDOWN`): writing to a
 * connection whose other side is gone, or after `shutdown(SHUT_WR)`.
 *
 * @example
 * ```ts
 * import { BrokenPipeError, errno } from "@seed/socket/errors";
 * console.log(new BrokenPipeError(errno.EPIPE).message);
 * ```
 */
export class BrokenPipeError extends ConnectionError {}

/**
 * Python's `TimeoutError` (`socket.timeout`): the call did not complete
 * within the socket's timeout. Raised by `settimeout` sockets without an
 * errno, as Python does; the kernel's own `ETIMEDOUT` also maps here.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@seed/socket/errors";
 * const err = new TimeoutError();
 * console.log(err.message, err.errno); // "timed out" null
 * ```
 */
export class TimeoutError extends OSError {
  /**
   * Makes a timeout error; with no arguments it is Python's
   * `socket.timeout("timed out")`.
   *
   * @param code The errno, `null` for a socket timeout.
   * @param text The description.
   * @param options `cause` and `detail`.
   */
  constructor(
    code?: number | null,
    text?: string | null,
    options?: OSErrorOptions,
  );
  constructor(
    code: number | null = null,
    text: string | null = code === null ? "timed out" : null,
    options: OSErrorOptions = {},
  ) {
    super(code, text, options);
  }
}

/**
 * Python's `socket.timeout`, an alias of {@linkcode TimeoutError} (as in
 * Python 3.10 and later), so that `except socket.timeout:` ports as
 * `if (e instanceof timeout)`.
 *
 * @example
 * ```ts
 * import { timeout, TimeoutError } from "@seed/socket/errors";
 * console.log(timeout === TimeoutError, new timeout().message); // true "timed out"
 * ```
 */
export const timeout: typeof TimeoutError = TimeoutError;

/**
 * Python's `OverflowError`: a number too large (or too small) for the C type
 * the call passes it as, with CPython's message (`listen(2 ** 31)`:
 * "signed integer is greater than maximum"). A `RangeError`, as it is bad
 * input rather than a failed system call.
 *
 * @example
 * ```ts
 * import { OverflowError } from "@seed/socket/errors";
 * const err = new OverflowError("listen(): backlog: signed integer is greater than maximum");
 * console.log(err instanceof RangeError, err.name); // true "OverflowError"
 * ```
 */
export class OverflowError extends RangeError {
  /** `"OverflowError"`. */
  override get name(): string {
    return "OverflowError";
  }
}

/**
 * Python's `LookupError`: a name that is not in a registry, such as an
 * unknown codec error handler (`makefile("r", { errors: "x" })`: "unknown
 * error handler name 'x'"). A `RangeError`, as it is bad input.
 *
 * @example
 * ```ts
 * import { LookupError } from "@seed/socket/errors";
 * const err = new LookupError("unknown error handler name 'x'");
 * console.log(err instanceof RangeError, err.name); // true "LookupError"
 * ```
 */
export class LookupError extends RangeError {
  /** `"LookupError"`. */
  override get name(): string {
    return "LookupError";
  }
}

/**
 * Python's `socket.error`, an alias of {@linkcode OSError}.
 *
 * @example
 * ```ts
 * import { error, OSError } from "@seed/socket/errors";
 * console.log(error === OSError); // true
 * ```
 */
export const error: typeof OSError = OSError;

/**
 * Python's `BlockingIOError` (errno `EAGAIN`, or `EINPROGRESS` for a
 * non-blocking `connect`): a non-blocking call found nothing ready.
 *
 * @example
 * ```ts
 * import { BlockingIOError, errno } from "@seed/socket/errors";
 * console.log(new BlockingIOError(errno.EAGAIN).message);
 * ```
 */
export class BlockingIOError extends OSError {}

/**
 * Python's `PermissionError` (errno `EACCES`/`EPERM`). A missing Deno
 * permission also lands here; its message names the `--allow-net=…` entry
 * that would allow the operation.
 *
 * @example
 * ```ts
 * import { errno, PermissionError } from "@seed/socket/errors";
 * console.log(new PermissionError(errno.EACCES).message);
 * ```
 */
export class PermissionError extends OSError {}

/**
 * Python's `FileNotFoundError` (errno `ENOENT`): for example a Unix socket
 * path that does not exist.
 *
 * @example
 * ```ts
 * import { errno, FileNotFoundError } from "@seed/socket/errors";
 * console.log(new FileNotFoundError(errno.ENOENT).message);
 * ```
 */
export class FileNotFoundError extends OSError {}

/**
 * Python's `socket.gaierror`: a host name could not be resolved. Its errno is
 * an `EAI_*` code (`EAI_NONAME` is -2 on Linux).
 *
 * @example
 * ```ts
 * import { EAI_NONAME, gaierror } from "@seed/socket/errors";
 * console.log(new gaierror(EAI_NONAME, "Name or service not known").message);
 * ```
 */
// deno-lint-ignore camelcase
export class gaierror extends OSError {}

/**
 * Python's `socket.herror`: an address-related lookup failed
 * (`gethostbyaddr`). Its errno is an `h_errno` code: 1 (`HOST_NOT_FOUND`,
 * "Unknown host"), 2 (`TRY_AGAIN`, "Host name lookup failure").
 *
 * @example
 * ```ts
 * import { herror } from "@seed/socket/errors";
 * const err = new herror(1, "Unknown host");
 * console.log(err.errno, err.message); // 1 "[Errno 1] Unknown host"
 * ```
 */
// deno-lint-ignore camelcase
export class herror extends OSError {}

/**
 * `getaddrinfo`'s "name unknown" code on this platform (-2 on Linux, 8 on
 * macOS, 11001 on Windows).
 *
 * @example
 * ```ts
 * import { EAI_NONAME } from "@seed/socket/errors";
 * console.log(EAI_NONAME);
 * ```
 */
export const EAI_NONAME: number = Deno.build.os === "darwin"
  ? 8
  : Deno.build.os === "windows"
  ? 11001
  : -2;

type OSErrorClass = new (
  code: number | null,
  text?: string | null,
  options?: OSErrorOptions,
) => OSError;

/**
 * Makes the error Python raises for an errno: `ECONNREFUSED` gives a
 * `ConnectionRefusedError`, `EAGAIN` a `BlockingIOError`, and so on, as
 * CPython's `OSError(errno, …)` picks its subclass.
 *
 * @example
 * ```ts
 * import { errno, fromErrno } from "@seed/socket/errors";
 * const err = fromErrno(errno.ECONNREFUSED, { detail: "127.0.0.1:9" });
 * console.log(err.name, err.message);
 * ```
 */
export function fromErrno(code: number, options?: OSErrorOptions): OSError;
export function fromErrno(code: number, options: OSErrorOptions = {}): OSError {
  const cls: OSErrorClass = classFor(code);
  return new cls(code, null, options);
}

function classFor(code: number): OSErrorClass {
  switch (code) {
    case errno.ECONNREFUSED:
      return ConnectionRefusedError;
    case errno.ECONNRESET:
      return ConnectionResetError;
    case errno.ECONNABORTED:
      return ConnectionAbortedError;
    case errno.EPIPE:
    case errno.ESHUTDOWN:
      return BrokenPipeError;
    case errno.ETIMEDOUT:
      return TimeoutError;
    case errno.EAGAIN:
    case errno.EWOULDBLOCK:
    case errno.EINPROGRESS:
    case errno.EALREADY:
      return BlockingIOError;
    case errno.EACCES:
    case errno.EPERM:
      return PermissionError;
    case errno.ENOENT:
      return FileNotFoundError;
    default:
      return OSError;
  }
}

/** What the failing operation was doing, to make the message actionable. */
export interface ErrorContext {
  /** The address involved, as `host:port` or a Unix path. */
  address?: string;
}

const NOT_CAPABLE = /Requires (net|read|write) access to "([^"]*)"/;

function permissionError(err: Error, context: ErrorContext): PermissionError {
  const match = NOT_CAPABLE.exec(err.message);
  const kind = match?.[1] ?? "net";
  const what = match?.[2] ?? context.address ?? "";
  let flag = `--allow-${kind}=${what}`;
  if (kind === "net" && what.startsWith("unix:")) {
    const path = what.slice("unix:".length);
    flag += ` (and --allow-read=${path} --allow-write=${path})`;
  } else if (kind !== "net" && context.address?.startsWith("unix:")) {
    // Deno checks read/write before net for a Unix socket: name all three.
    const path = context.address.slice("unix:".length);
    flag = `--allow-net=${context.address} --allow-read=${path} --allow-write=${path}`;
  }
  return new PermissionError(errno.EACCES, null, {
    cause: err,
    detail: `Deno needs ${kind} permission for "${what}": run with ${flag}`,
  });
}

/**
 * Turns any error thrown by Deno's networking into the `OSError` subclass
 * Python would raise, with the platform's errno and Deno's error as `cause`.
 * An `OSError` passes through unchanged. A missing permission becomes a
 * `PermissionError` naming the `--allow-net=HOST:PORT` entry to add; a name
 * that does not resolve becomes a `gaierror`.
 *
 * @example
 * ```ts
 * import { toOSError } from "@seed/socket/errors";
 *
 * try {
 *   await Deno.connect({ hostname: "127.0.0.1", port: 1 });
 * } catch (e) {
 *   const err = toOSError(e, { address: "127.0.0.1:1" });
 *   console.log(err.name, err.errno, err.message);
 * }
 * ```
 */
export function toOSError(err: unknown, context?: ErrorContext): OSError;
export function toOSError(err: unknown, context: ErrorContext = {}): OSError {
  if (err instanceof OSError) return err;
  if (!(err instanceof Error)) {
    return new OSError(null, String(err), { cause: err });
  }
  if (err instanceof Deno.errors.NotCapable) {
    return permissionError(err, context);
  }
  const detail = context.address;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code in errno) {
    return fromErrno(errno[code as ErrnoName], { cause: err, detail });
  }
  const byClass = errnoForDenoError(err);
  if (byClass !== undefined) {
    return fromErrno(byClass, { cause: err, detail });
  }
  if (/lookup address information|Name or service not known/.test(err.message)) {
    return new gaierror(EAI_NONAME, "Name or service not known", {
      cause: err,
      detail,
    });
  }
  // An errno this module has no name for still keeps its number and text.
  const os = /^(.+) \(os error (\d+)\)$/.exec(err.message);
  if (os) return new OSError(Number(os[2]), os[1], { cause: err, detail });
  return new OSError(null, err.message, { cause: err, detail });
}

function errnoForDenoError(err: Error): number | undefined {
  const e = Deno.errors;
  if (err instanceof e.BadResource) return errno.EBADF;
  if (err instanceof e.Interrupted) return errno.EINTR;
  if (err instanceof e.ConnectionRefused) return errno.ECONNREFUSED;
  if (err instanceof e.ConnectionReset) return errno.ECONNRESET;
  if (err instanceof e.ConnectionAborted) return errno.ECONNABORTED;
  if (err instanceof e.BrokenPipe) return errno.EPIPE;
  if (err instanceof e.NotConnected) return errno.ENOTCONN;
  if (err instanceof e.AddrInUse) return errno.EADDRINUSE;
  if (err instanceof e.AddrNotAvailable) return errno.EADDRNOTAVAIL;
  if (err instanceof e.TimedOut) return errno.ETIMEDOUT;
  if (err instanceof e.WouldBlock) return errno.EAGAIN;
  if (err instanceof e.PermissionDenied) return errno.EACCES;
  if (err instanceof e.NotFound) return errno.ENOENT;
  if (err instanceof e.AlreadyExists) return errno.EEXIST;
  if (err instanceof e.InvalidData) return errno.EINVAL;
  if (err instanceof e.NetworkUnreachable) return errno.ENETUNREACH;
  return undefined;
}
