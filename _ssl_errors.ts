/**
 * Python's `ssl` error family, as `OSError` subclasses, and the mapping from
 * what Deno's native TLS (rustls text, no codes) and `node:tls` report to
 * CPython's classes, reasons and verification codes.
 *
 * @module
 */

import { OSError, type OSErrorOptions, toOSError } from "./errors.ts";

/**
 * Python's `ValueError`: an argument of the right type with a value the
 * call cannot take (as `ssl` raises it for a bad context setting).
 *
 * @example
 * ```ts
 * import { ValueError } from "@seed/socket/ssl";
 * console.log(new ValueError("bad value").name); // "ValueError"
 * ```
 */
export class ValueError extends Error {
  /** The class name, as Python prints it. */
  override get name(): string {
    return this.constructor.name;
  }
}

/** Options of an {@linkcode SSLError}: `library` and `reason` besides `cause`. */
export interface SSLErrorOptions extends OSErrorOptions {
  /** OpenSSL's library name (`"SSL"`, `"X509"`), or `null`. */
  library?: string | null;
  /** OpenSSL's reason (`"CERTIFICATE_VERIFY_FAILED"`), or `null`. */
  reason?: string | null;
}

/**
 * Python's `ssl.SSLError`: a TLS failure. `errno` is OpenSSL's error kind
 * (1 for a protocol error), `library` and `reason` name it, and the
 * message reads as CPython's `str(err)`:
 * `"[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"`.
 *
 * @example
 * ```ts
 * import { SSLError } from "@seed/socket/ssl";
 * import { OSError } from "@seed/socket/errors";
 * const err = new SSLError(1, "[SSL] unknown error");
 * console.log(err instanceof OSError, err.message);
 * ```
 */
export class SSLError extends OSError {
  /** OpenSSL's library name, or `null`. */
  readonly library: string | null;
  /** OpenSSL's reason, or `null`. */
  readonly reason: string | null;

  /**
   * Makes a TLS error; the message is `text` alone, as CPython prints it.
   *
   * @param code OpenSSL's error kind (CPython's `errno`), or `null`.
   * @param text The message.
   * @param options `library`, `reason`, `cause`.
   */
  constructor(code: number | null, text?: string | null, options: SSLErrorOptions = {}) {
    super(code, text ?? "", options);
    this.message = options.detail ? `${text ?? ""}: ${options.detail}` : text ?? "";
    this.library = options.library ?? null;
    this.reason = options.reason ?? null;
  }
}

/**
 * Python's `ssl.SSLZeroReturnError`: the peer closed the TLS session
 * (close_notify). `recv` returns empty instead, as CPython's does.
 *
 * @example
 * ```ts
 * import { SSLError, SSLZeroReturnError } from "@seed/socket/ssl";
 * console.log(new SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)") instanceof SSLError);
 * ```
 */
export class SSLZeroReturnError extends SSLError {}

/**
 * Python's `ssl.SSLWantReadError` (errno 2): a non-blocking call needs
 * more data from the peer first; wait for readability and call again.
 *
 * @example
 * ```ts
 * import { SSLWantReadError } from "@seed/socket/ssl";
 * console.log(new SSLWantReadError(2, "The operation did not complete (read)").errno); // 2
 * ```
 */
export class SSLWantReadError extends SSLError {}

/**
 * Python's `ssl.SSLWantWriteError` (errno 3): a non-blocking call could
 * not write yet; wait for writability and call again.
 *
 * @example
 * ```ts
 * import { SSLWantWriteError } from "@seed/socket/ssl";
 * console.log(new SSLWantWriteError(3, "The operation did not complete (write)").errno); // 3
 * ```
 */
export class SSLWantWriteError extends SSLError {}

/**
 * Python's `ssl.SSLSyscallError` (errno 5): the connection failed below
 * TLS.
 *
 * @example
 * ```ts
 * import { SSLSyscallError } from "@seed/socket/ssl";
 * console.log(new SSLSyscallError(5, "Some I/O error occurred").errno); // 5
 * ```
 */
export class SSLSyscallError extends SSLError {}

/**
 * Python's `ssl.SSLEOFError` (errno 8): the peer closed the connection
 * without close_notify (a truncation attack, or a careless peer). `recv`
 * raises it only with `suppress_ragged_eofs: false`.
 *
 * @example
 * ```ts
 * import { SSLEOFError } from "@seed/socket/ssl";
 * console.log(new SSLEOFError(8, "EOF occurred in violation of protocol").errno); // 8
 * ```
 */
export class SSLEOFError extends SSLError {}

/** Options of an {@linkcode SSLCertVerificationError}. */
export interface SSLCertVerificationErrorOptions extends SSLErrorOptions {
  /** OpenSSL's X509_V_ERR code (10 expired, 18 self-signed, 20 unknown issuer, 62 name). */
  verify_code?: number;
  /** OpenSSL's text for `verify_code`. */
  verify_message?: string;
}

/**
 * Python's `ssl.SSLCertVerificationError`: the peer's certificate failed
 * verification. `verify_code` and `verify_message` are OpenSSL's, as
 * CPython reports them: 10 "certificate has expired", 18 "self-signed
 * certificate", 20 "unable to get local issuer certificate", 62
 * "Hostname mismatch, certificate is not valid for 'x'.".
 *
 * @example
 * ```ts
 * import { SSLCertVerificationError } from "@seed/socket/ssl";
 * const err = new SSLCertVerificationError(1, "certificate verify failed", {
 *   verify_code: 10,
 *   verify_message: "certificate has expired",
 * });
 * console.log(err.verify_code, err.verify_message);
 * ```
 */
export class SSLCertVerificationError extends SSLError {
  /** OpenSSL's verification error code. */
  // deno-lint-ignore camelcase
  readonly verify_code: number;
  /** OpenSSL's text for the code. */
  // deno-lint-ignore camelcase
  readonly verify_message: string;

  /**
   * Makes a verification error.
   *
   * @param code CPython's errno (1).
   * @param text The message.
   * @param options `verify_code`, `verify_message`, `library`, `reason`, `cause`.
   */
  constructor(
    code: number | null,
    text?: string | null,
    options: SSLCertVerificationErrorOptions = {},
  ) {
    super(code, text, options);
    this.verify_code = options.verify_code ?? 0;
    this.verify_message = options.verify_message ?? "";
  }
}

/**
 * Python's `ssl.CertificateError`, an alias of
 * {@linkcode SSLCertVerificationError}.
 *
 * @example
 * ```ts
 * import { CertificateError, SSLCertVerificationError } from "@seed/socket/ssl";
 * console.log(CertificateError === SSLCertVerificationError); // true
 * ```
 */
export const CertificateError: typeof SSLCertVerificationError = SSLCertVerificationError;

// CPython's messages carry the C source line; these are the ones 3.11 prints.
const AT_HANDSHAKE = "(_ssl.c:1006)";
const AT_READ = "(_ssl.c:2576)";

/** SSLError with CPython's `[LIB: REASON] text (_ssl.c:N)` message. */
export function sslError(
  reason: string,
  cause?: unknown,
  where: string = AT_HANDSHAKE,
  library = "SSL",
): SSLError {
  const text = reason.toLowerCase().replace(/_/g, " ");
  return new SSLError(1, `[${library}: ${reason}] ${text} ${where}`, { library, reason, cause });
}

/** The verification failure CPython reports for `code`. */
export function verifyError(
  code: number,
  message: string,
  cause?: unknown,
): SSLCertVerificationError {
  return new SSLCertVerificationError(
    1,
    `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${message} ${AT_HANDSHAKE}`,
    {
      library: "SSL",
      reason: "CERTIFICATE_VERIFY_FAILED",
      verify_code: code,
      verify_message: message,
      cause,
    },
  );
}

/** A peer's close without close_notify, as CPython's `recv` reports it. */
export function raggedEof(cause?: unknown): SSLEOFError {
  return new SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)", {
    library: "SSL",
    reason: "UNEXPECTED_EOF_WHILE_READING",
    cause,
  });
}

/** A non-blocking read with nothing decrypted yet. */
export function wantRead(): SSLWantReadError {
  return new SSLWantReadError(2, `The operation did not complete (read) ${AT_READ}`);
}

/** A non-blocking write that could not go out yet. */
export function wantWrite(): SSLWantWriteError {
  return new SSLWantWriteError(3, `The operation did not complete (write) ${AT_READ}`);
}

// rustls alert names (Deno's messages) to OpenSSL reasons (CPython's).
const ALERTS: Record<string, string> = {
  CertificateRequired: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
  HandshakeFailure: "SSLV3_ALERT_HANDSHAKE_FAILURE",
  UnknownCA: "TLSV1_ALERT_UNKNOWN_CA",
  BadCertificate: "SSLV3_ALERT_BAD_CERTIFICATE",
  CertificateExpired: "SSLV3_ALERT_CERTIFICATE_EXPIRED",
  CertificateUnknown: "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  CertificateRevoked: "SSLV3_ALERT_CERTIFICATE_REVOKED",
  UnsupportedCertificate: "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
  ProtocolVersion: "TLSV1_ALERT_PROTOCOL_VERSION",
  NoApplicationProtocol: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
  DecryptError: "TLSV1_ALERT_DECRYPT_ERROR",
  DecodeError: "TLSV1_ALERT_DECODE_ERROR",
  AccessDenied: "TLSV1_ALERT_ACCESS_DENIED",
  InternalError: "TLSV1_ALERT_INTERNAL_ERROR",
  IllegalParameter: "SSLV3_ALERT_ILLEGAL_PARAMETER",
  UnexpectedMessage: "SSLV3_ALERT_UNEXPECTED_MESSAGE",
  BadRecordMac: "SSLV3_ALERT_BAD_RECORD_MAC",
  InsufficientSecurity: "TLSV1_ALERT_INSUFFICIENT_SECURITY",
  UnrecognisedName: "TLSV1_ALERT_UNRECOGNIZED_NAME",
};

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

function nameMismatch(name: string, cause: unknown): SSLCertVerificationError {
  return IP.test(name)
    ? verifyError(64, `IP address mismatch, certificate is not valid for '${name}'.`, cause)
    : verifyError(62, `Hostname mismatch, certificate is not valid for '${name}'.`, cause);
}

/** True for a peer's close without close_notify, as Deno's TLS reports it. */
export function isRaggedEof(e: unknown): boolean {
  return e instanceof Deno.errors.UnexpectedEof ||
    (e instanceof Error && /without sending TLS close_notify/.test(e.message));
}

/**
 * Maps a failure of Deno's TLS or of `node:tls` to CPython's error:
 * verification failures to `SSLCertVerificationError` with its code,
 * alerts and protocol errors to `SSLError`, an end of stream in a
 * handshake to `SSLEOFError`. `hostname` is the name verified (for the
 * mismatch message). Anything else goes through `toOSError`.
 */
export function toSSLError(e: unknown, hostname?: string | null): OSError {
  if (e instanceof OSError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  let m: RegExpExecArray | null;
  if (
    /UnknownIssuer|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(
      message,
    ) ||
    code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" || code === "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
  ) {
    return verifyError(20, "unable to get local issuer certificate", e);
  }
  if (
    /CaUsedAsEndEntity|SELF_SIGNED/.test(message) || code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
    code === "SELF_SIGNED_CERT_IN_CHAIN"
  ) {
    return verifyError(18, "self-signed certificate", e);
  }
  if (/certificate expired|CERT_HAS_EXPIRED/.test(message) || code === "CERT_HAS_EXPIRED") {
    return verifyError(10, "certificate has expired", e);
  }
  if (/certificate not valid yet|CERT_NOT_YET_VALID/.test(message)) {
    return verifyError(9, "certificate is not yet valid", e);
  }
  if ((m = /certificate not valid for name "([^"]*)"/.exec(message))) return nameMismatch(m[1], e);
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const host = (e as { host?: unknown }).host;
    return nameMismatch(typeof host === "string" ? host : hostname ?? "", e);
  }
  if (/invalid peer certificate/.test(message)) {
    return verifyError(1, "unspecified certificate verification error", e);
  }
  if ((m = /received fatal alert: (\w+)/.exec(message))) {
    return sslError(ALERTS[m[1]] ?? `TLSV1_ALERT_${m[1].toUpperCase()}`, e, AT_READ);
  }
  if (typeof code === "string" && code.startsWith("ERR_SSL_TLSV1") && code.includes("ALERT")) {
    return sslError(code.slice("ERR_SSL_".length), e, AT_READ);
  }
  if (
    /InvalidContentType|WRONG_VERSION_NUMBER/.test(message) ||
    code === "ERR_SSL_WRONG_VERSION_NUMBER"
  ) {
    return sslError("WRONG_VERSION_NUMBER", e);
  }
  if (
    code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE" ||
    /peer sent no certificates/.test(message)
  ) {
    return sslError("PEER_DID_NOT_RETURN_A_CERTIFICATE", e);
  }
  if (/peer doesn't support any known protocol/.test(message)) {
    return sslError("NO_APPLICATION_PROTOCOL", e);
  }
  if (
    code === "ERR_SSL_UNSUPPORTED_PROTOCOL" || /UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION/.test(message)
  ) {
    return sslError("UNSUPPORTED_PROTOCOL", e);
  }
  if (isRaggedEof(e) || /unexpected end of file|before secure TLS connection/.test(message)) {
    return new SSLEOFError(
      8,
      `[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol ${AT_HANDSHAKE}`,
      { library: "SSL", reason: "UNEXPECTED_EOF_WHILE_READING", cause: e },
    );
  }
  if (e instanceof Deno.errors.InvalidData) {
    return new SSLError(1, `[SSL] ${message} ${AT_HANDSHAKE}`, { library: "SSL", cause: e });
  }
  return toOSError(e);
}
