/**
 * Python's `ssl` module over this library's stream sockets: `SSLContext`,
 * `wrap_socket`, `SSLSocket` (every method of {@linkcode Socket}, with
 * the same timeout, non-blocking, abort and no-data-lost rules, and
 * `makefile`, `select` and socketserver), the `SSLError` family and the
 * certificate helpers. Port `ssl` code by adding `await`.
 *
 * TLS runs on Deno's native TLS (rustls) where it covers the case and on
 * Deno's built-in `node:tls` (the same engine) where only it can: client
 * `CERT_NONE`, client certificates, version limits, servers that ask for
 * client certificates, server-side STARTTLS, TLS over Unix sockets. Certificates and keys
 * from files need `--allow-read=FILE`.
 *
 * @example A client
 * ```ts ignore
 * import { socket } from "@seed/socket";
 * import * as ssl from "@seed/socket/ssl";
 *
 * const ctx = ssl.create_default_context();
 * await using sock = socket();
 * await sock.connect(["example.com", 443]);
 * await using tls = await ctx.wrap_socket(sock, { server_hostname: "example.com" });
 * await tls.sendall("HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n");
 * console.log(new TextDecoder().decode(await tls.recv(4096)));
 * ```
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import type { SecureVersion } from "node:tls";
import { AF_INET6, AF_UNIX, SOCK_STREAM } from "./constants.ts";
import { OSError, TimeoutError, toOSError } from "./errors.ts";
import { type CallOptions, Socket } from "./socket.ts";
import { create_connection } from "./helpers.ts";
import type { Address, SocketAddress } from "./_address.ts";
import { closeQuietly } from "./_connect.ts";
import type { StreamConn } from "./_transport.ts";
import {
  type ClientOptions,
  isDenoTcp,
  nativeAccepted,
  nativeClient,
  nodeClient,
  nodeServer,
  type PendingRead,
  settle,
  type TlsConn,
} from "./_tls.ts";
import {
  CertificateParseError,
  decodeCertificate,
  derToPem,
  isCertificateAuthority,
  type PeerCertificate,
  pemCertificates,
} from "./_x509.ts";
import {
  SSLError,
  sslError,
  SSLWantReadError,
  SSLWantWriteError,
  toSSLError,
  ValueError,
  wantRead,
  wantWrite,
} from "./_ssl_errors.ts";

export {
  CertificateError,
  SSLCertVerificationError,
  type SSLCertVerificationErrorOptions,
  SSLEOFError,
  SSLError,
  type SSLErrorOptions,
  SSLSyscallError,
  SSLWantReadError,
  SSLWantWriteError,
  SSLZeroReturnError,
  ValueError,
} from "./_ssl_errors.ts";
export type { DistinguishedName, NameAttribute, PeerCertificate } from "./_x509.ts";
export type { OSErrorOptions } from "./errors.ts";

// ---- constants ---------------------------------------------------------------

/** Deprecated generic protocol (CPython's `PROTOCOL_TLS`, `PROTOCOL_SSLv23`): either side. */
export const PROTOCOL_TLS = 2;
/** Alias of {@linkcode PROTOCOL_TLS}. */
export const PROTOCOL_SSLv23 = 2;
/** A client context: `check_hostname` on, `CERT_REQUIRED`. */
export const PROTOCOL_TLS_CLIENT = 16;
/** A server context: `CERT_NONE` (no client certificate asked for). */
export const PROTOCOL_TLS_SERVER = 17;
/** Ask for no certificate / verify nothing. */
export const CERT_NONE = 0;
/** Server side: ask for a client certificate, verify it if one is sent. */
export const CERT_OPTIONAL = 1;
/** Require and verify the peer's certificate. */
export const CERT_REQUIRED = 2;
/** Server Name Indication is supported. */
export const HAS_SNI = true;
/** ALPN is supported. */
export const HAS_ALPN = true;
/** NPN is not (it is obsolete). */
export const HAS_NPN = false;
/** Elliptic-curve key exchange is supported. */
export const HAS_ECDH = true;
/** TLS 1.3 is supported. */
export const HAS_TLSv1_3 = true;
/** TLS 1.2 is supported. */
export const HAS_TLSv1_2 = true;
/** TLS 1.1 is not: Deno's TLS speaks only 1.2 and 1.3. */
export const HAS_TLSv1_1 = false;
/** TLS 1.0 is not: Deno's TLS speaks only 1.2 and 1.3. */
export const HAS_TLSv1 = false;
/** SSL 3 is not. */
export const HAS_SSLv3 = false;
/** SSL 2 is not. */
export const HAS_SSLv2 = false;
/** What really does the TLS: rustls inside Deno (there is no OpenSSL). */
export const OPENSSL_VERSION: string = `rustls (Deno ${Deno.version.deno})`;

// OpenSSL option bits, as CPython 3.11 on OpenSSL 3.0 defines them. They are
// accepted and kept in `SSLContext.options`; OP_NO_TLSv1_2 / OP_NO_TLSv1_3
// narrow the versions, the rest describe what Deno does anyway.
/** OpenSSL's bug workarounds (accepted). */
export const OP_ALL = 0x80000050;
/** No SSLv2 (always). */
export const OP_NO_SSLv2 = 0;
/** No SSLv3 (always). */
export const OP_NO_SSLv3 = 0x02000000;
/** No TLS 1.0 (always). */
export const OP_NO_TLSv1 = 0x04000000;
/** No TLS 1.1 (always). */
export const OP_NO_TLSv1_1 = 0x10000000;
/** No TLS 1.2: the context negotiates TLS 1.3 only. */
export const OP_NO_TLSv1_2 = 0x08000000;
/** No TLS 1.3: the context negotiates TLS 1.2 only. */
export const OP_NO_TLSv1_3 = 0x20000000;
/** No compression (always). */
export const OP_NO_COMPRESSION = 0x20000;
/** No renegotiation (always: Deno refuses it). */
export const OP_NO_RENEGOTIATION = 0x40000000;
/** No session tickets (accepted; Deno resumes no session anyway). */
export const OP_NO_TICKET = 0x4000;
/** Server cipher preference (accepted). */
export const OP_CIPHER_SERVER_PREFERENCE = 0x400000;
/** Fresh DH key per handshake (always). */
export const OP_SINGLE_DH_USE = 0;
/** Fresh ECDH key per handshake (always). */
export const OP_SINGLE_ECDH_USE = 0;
/** Middlebox compatibility (accepted). */
export const OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000;
/** Treat a ragged EOF as a clean one (accepted; see `suppress_ragged_eofs`). */
export const OP_IGNORE_UNEXPECTED_EOF = 0x80;
const DEFAULT_OPTIONS = 2186412112;

/** Verification flags (accepted and kept in `verify_flags`). */
export const VERIFY_DEFAULT = 0;
/** Check the leaf against CRLs (not supported: no CRLs are loaded). */
export const VERIFY_CRL_CHECK_LEAF = 0x4;
/** Check the chain against CRLs (not supported: no CRLs are loaded). */
export const VERIFY_CRL_CHECK_CHAIN = 0xc;
/** Strict X.509 checks (accepted; rustls is strict). */
export const VERIFY_X509_STRICT = 0x20;
/** Trust the first trusted certificate found (accepted). */
export const VERIFY_X509_TRUSTED_FIRST = 0x8000;
/** Accept partial chains (accepted). */
export const VERIFY_X509_PARTIAL_CHAIN = 0x80000;

/**
 * TLS protocol versions, as CPython's `ssl.TLSVersion` (the wire numbers).
 * Deno speaks TLS 1.2 and 1.3 only: `SSLv3`, `TLSv1` and `TLSv1_1` exist so
 * that code naming them ports, and setting them is an `SSLError`.
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext, TLSVersion } from "@seed/socket/ssl";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.maximum_version = TLSVersion.TLSv1_2;
 * ```
 */
export const TLSVersion: {
  readonly MINIMUM_SUPPORTED: -2;
  readonly SSLv3: 768;
  readonly TLSv1: 769;
  readonly TLSv1_1: 770;
  readonly TLSv1_2: 771;
  readonly TLSv1_3: 772;
  readonly MAXIMUM_SUPPORTED: -1;
} = Object.freeze(
  {
    MINIMUM_SUPPORTED: -2,
    SSLv3: 768,
    TLSv1: 769,
    TLSv1_1: 770,
    TLSv1_2: 771,
    TLSv1_3: 772,
    MAXIMUM_SUPPORTED: -1,
  } as const,
);
/** A member of {@linkcode TLSVersion}. */
export type TLSVersion = typeof TLSVersion[keyof typeof TLSVersion];

/** What a context is for, as CPython's `ssl.Purpose` members. */
export interface PurposeValue {
  /** The member's name. */
  readonly name: "SERVER_AUTH" | "CLIENT_AUTH";
  /** OpenSSL's numeric id of the extended key usage. */
  readonly nid: number;
  /** Its short name (`"serverAuth"`). */
  readonly shortname: string;
  /** Its long name (`"TLS Web Server Authentication"`). */
  readonly longname: string;
  /** Its object identifier (`"1.3.6.1.5.5.7.3.1"`). */
  readonly oid: string;
}

/**
 * CPython's `ssl.Purpose`: `SERVER_AUTH` makes a client context (it
 * authenticates servers), `CLIENT_AUTH` a server context.
 *
 * @example
 * ```ts
 * import { create_default_context, Purpose } from "@seed/socket/ssl";
 * const server = create_default_context(Purpose.CLIENT_AUTH);
 * console.log(server.verify_mode); // 0
 * ```
 */
export const Purpose: {
  readonly SERVER_AUTH: PurposeValue;
  readonly CLIENT_AUTH: PurposeValue;
} = Object.freeze({
  SERVER_AUTH: Object.freeze(
    {
      name: "SERVER_AUTH",
      nid: 129,
      shortname: "serverAuth",
      longname: "TLS Web Server Authentication",
      oid: "1.3.6.1.5.5.7.3.1",
    } as const,
  ),
  CLIENT_AUTH: Object.freeze(
    {
      name: "CLIENT_AUTH",
      nid: 130,
      shortname: "clientAuth",
      longname: "TLS Web Client Authentication",
      oid: "1.3.6.1.5.5.7.3.2",
    } as const,
  ),
});

// The suites Deno offers, strongest first (there is no way to choose).
const SUITES = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_AES_128_GCM_SHA256",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-CHACHA20-POLY1305",
];
// Cipher-string words that every suite Deno offers satisfies: a spec made
// only of these asks for nothing Deno does not already do.
const HONOURED = new Set([
  "DEFAULT",
  "ALL",
  "HIGH",
  "SECURE",
  "ECDHE",
  "EECDH",
  "AESGCM",
  "!aNULL",
  "!eNULL",
  "!NULL",
  "!MD5",
  "!RC4",
  "!DES",
  "!3DES",
  "!DSS",
  "!PSK",
  "!SRP",
  "!EXPORT",
  "!EXP",
  "!LOW",
  "!MEDIUM",
  "!CAMELLIA",
  "!SEED",
  "!IDEA",
  "!ADH",
  "!AECDH",
  "!kRSA",
  "!aDSS",
  "!CBC",
  "!SHA1",
  "@STRENGTH",
]);

// SSLSocket reaches into its context through these (set by SSLContext's
// static block), so that they stay out of the public API.
let startTls: (
  ctx: SSLContext,
  raw: StreamConn,
  buffered: Uint8Array,
  pending: PendingRead,
  settings: Settings,
) => TlsConn;
let verifies: (ctx: SSLContext) => boolean;
let nativeServerKeys: (ctx: SSLContext) => { cert: string; key: string } | null;
const CREATE = Symbol("create");

// The ECDHE groups Deno offers, by OpenSSL's names.
const OFFERED_CURVES = new Set(["prime256v1", "secp256r1", "secp384r1", "x25519"]);

// ---- files --------------------------------------------------------------------

function readText(path: string, where: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${where}: the file name must be a non-empty string, not ${typeof path}`);
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw toOSError(e, { address: path });
    }
    const err = toOSError(e, { address: path });
    throw err;
  }
}

function passwordText(password: unknown): string | undefined {
  if (password === undefined || password === null) return undefined;
  const value = typeof password === "function" ? (password as () => unknown)() : password;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  throw new TypeError(
    "load_cert_chain(): password should be a string, bytes or a function returning one",
  );
}

const PEM_LIB = () => new SSLError(524297, "[SSL] PEM lib (_ssl.c:3926)", { library: "SSL" });

// ---- SSLContext ---------------------------------------------------------------

/** Options of {@linkcode SSLContext.wrap_socket}, as CPython's keyword arguments. */
export interface WrapOptions {
  /** Act as the TLS server (default `false`). */
  server_side?: boolean;
  /** The name the client sends (SNI) and checks the certificate against. */
  server_hostname?: string | null;
  /** Handshake before `wrap_socket`/`connect`/`accept` resolves (default `true`). */
  do_handshake_on_connect?: boolean;
  /** A peer's close without close_notify reads as end of stream (default `true`). */
  suppress_ragged_eofs?: boolean;
  /** A session to resume: only `null` (Deno resumes no session). */
  session?: null;
}

interface CaEntry {
  pem: string;
  der: Uint8Array;
}

/**
 * Python's `ssl.SSLContext`: settings and certificates shared by many
 * connections. `new SSLContext(PROTOCOL_TLS_CLIENT)` verifies servers
 * (`check_hostname`, `CERT_REQUIRED`); `PROTOCOL_TLS_SERVER` serves with a
 * certificate from `load_cert_chain`. The trust store is always Deno's
 * (its bundled roots, or the system's with `DENO_TLS_CA_STORE=system`, plus
 * `--cert`/`DENO_CERT`); `load_verify_locations` adds to it.
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@seed/socket/ssl";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(ctx.check_hostname, ctx.verify_mode); // true 2
 * ```
 */
export class SSLContext {
  /** The protocol given at creation. */
  readonly protocol: number;
  /** OpenSSL option bits (`OP_*`); `OP_NO_TLSv1_2`/`OP_NO_TLSv1_3` take effect. */
  options: number = DEFAULT_OPTIONS;
  /** Verification flags (`VERIFY_*`), kept for reading back. */
  verify_flags: number = VERIFY_X509_TRUSTED_FIRST;
  /** Accepted and kept: TLS 1.3 post-handshake authentication is not supported. */
  post_handshake_auth = false;
  /** Always false in effect: rustls checks names against subjectAltName only. */
  hostname_checks_common_name = false;
  #checkHostname: boolean;
  #verifyMode: number;
  #minimum: number = TLSVersion.MINIMUM_SUPPORTED;
  #maximum: number = TLSVersion.MAXIMUM_SUPPORTED;
  #cas: CaEntry[] = [];
  #chain: { cert: string; key: string } | null = null;
  #alpn: string[] | undefined;

  /**
   * Makes a context for `protocol`: {@linkcode PROTOCOL_TLS_CLIENT},
   * {@linkcode PROTOCOL_TLS_SERVER} or the deprecated
   * {@linkcode PROTOCOL_TLS} (either side, nothing verified).
   *
   * @param protocol One of the `PROTOCOL_*` constants.
   */
  constructor(protocol: number = PROTOCOL_TLS) {
    if (
      protocol !== PROTOCOL_TLS && protocol !== PROTOCOL_TLS_CLIENT &&
      protocol !== PROTOCOL_TLS_SERVER
    ) {
      throw new ValueError(`invalid or unsupported protocol version ${String(protocol)}`);
    }
    this.protocol = protocol;
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#checkHostname = client;
    this.#verifyMode = client ? CERT_REQUIRED : CERT_NONE;
  }

  /** Check the server's name against its certificate (client side). */
  get check_hostname(): boolean {
    return this.#checkHostname;
  }
  set check_hostname(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(`check_hostname must be a boolean, not ${typeof value}`);
    }
    // As CPython: turning it on turns verification on.
    if (value && this.#verifyMode === CERT_NONE) this.#verifyMode = CERT_REQUIRED;
    this.#checkHostname = value;
  }

  /** `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. */
  get verify_mode(): number {
    return this.#verifyMode;
  }
  set verify_mode(value: number) {
    if (value !== CERT_NONE && value !== CERT_OPTIONAL && value !== CERT_REQUIRED) {
      throw new ValueError("invalid value for verify_mode");
    }
    if (value === CERT_NONE && this.#checkHostname) {
      throw new ValueError(
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.",
      );
    }
    this.#verifyMode = value;
  }

  /** The lowest version to negotiate (a {@linkcode TLSVersion}). */
  get minimum_version(): number {
    return this.#minimum;
  }
  set minimum_version(value: number) {
    this.#minimum = checkVersion(value, "minimum_version");
  }

  /** The highest version to negotiate (a {@linkcode TLSVersion}). */
  get maximum_version(): number {
    return this.#maximum;
  }
  set maximum_version(value: number) {
    this.#maximum = checkVersion(value, "maximum_version");
  }

  /** Always `null`: Deno offers no session cache to inspect. */
  get session_stats(): null {
    return null;
  }

  /**
   * Loads this side's certificate (and chain) and private key, as CPython:
   * `certfile` is PEM with the certificate first; `keyfile` defaults to
   * `certfile`; `password` (a string, bytes or a function returning one)
   * decrypts an encrypted key. Checks at once that the key matches.
   *
   * Throws `FileNotFoundError` for a missing file, `PermissionError`
   * naming `--allow-read=FILE` without the permission, `SSLError` ("PEM lib")
   * for a file without a certificate or key or a wrong password, `SSLError`
   * `KEY_VALUES_MISMATCH` for a key of another certificate.
   *
   * @example
   * ```ts ignore
   * import { create_default_context, Purpose } from "@seed/socket/ssl";
   * const ctx = create_default_context(Purpose.CLIENT_AUTH);
   * ctx.load_cert_chain("cert.pem", "key.pem");
   * ```
   */
  load_cert_chain(certfile: string, keyfile?: string | null, password?: unknown): void {
    const certText = readText(certfile, "load_cert_chain()");
    const keyText = keyfile == null ? certText : readText(keyfile, "load_cert_chain()");
    const certs = pemCertificates(certText);
    if (certs.length === 0) throw PEM_LIB();
    const keyBlock = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/
      .exec(keyText);
    if (!keyBlock) throw PEM_LIB();
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey({
        key: keyBlock[0],
        format: "pem",
        passphrase: passwordText(password),
      });
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw PEM_LIB();
    }
    const certPem = certs.map(derToPem).join("");
    try {
      if (!new X509Certificate(derToPem(certs[0])).checkPrivateKey(key)) {
        throw new SSLError(116, "[X509: KEY_VALUES_MISMATCH] key values mismatch (_ssl.c:3926)", {
          library: "X509",
          reason: "KEY_VALUES_MISMATCH",
        });
      }
    } catch (e) {
      if (e instanceof SSLError) throw e;
      throw PEM_LIB();
    }
    // Deno's TLS takes unencrypted PEM only: keep the decrypted key.
    const keyPem = String(key.export({ format: "pem", type: "pkcs8" }));
    this.#chain = { cert: certPem, key: keyPem };
  }

  /**
   * Adds trusted CA certificates: `cafile` (PEM), every PEM file in
   * `capath`, or `cadata` (PEM text, or DER bytes of one or more
   * certificates). They add to Deno's trust store.
   *
   * Throws `TypeError` when all three are missing, `FileNotFoundError` /
   * `PermissionError` for files, `SSLError` when no certificate is found.
   *
   * @example
   * ```ts ignore
   * import { create_default_context } from "@seed/socket/ssl";
   * const ctx = create_default_context();
   * ctx.load_verify_locations("ca.pem");
   * ```
   */
  load_verify_locations(
    cafile?: string | null,
    capath?: string | null,
    cadata?: string | Uint8Array | null,
  ): void {
    if (cafile == null && capath == null && cadata == null) {
      throw new TypeError("cafile, capath and cadata cannot be all omitted");
    }
    const found: Uint8Array[] = [];
    if (cafile != null) {
      const ders = pemCertificates(readText(cafile, "load_verify_locations()"));
      if (ders.length === 0) {
        throw new SSLError(
          136,
          "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4149)",
          { library: "X509", reason: "NO_CERTIFICATE_OR_CRL_FOUND" },
        );
      }
      found.push(...ders);
    }
    if (capath != null) {
      if (typeof capath !== "string") {
        throw new TypeError(
          `load_verify_locations(): capath must be a string, not ${typeof capath}`,
        );
      }
      try {
        for (const entry of Deno.readDirSync(capath)) {
          if (!entry.isFile) continue;
          found.push(
            ...pemCertificates(readText(`${capath}/${entry.name}`, "load_verify_locations()")),
          );
        }
      } catch (e) {
        throw toOSError(e, { address: capath });
      }
    }
    if (cadata != null) {
      if (typeof cadata === "string") {
        const ders = pemCertificates(cadata);
        if (ders.length === 0) {
          throw new SSLError(
            0,
            "no start line: cadata does not contain a certificate (_ssl.c:4020)",
          );
        }
        found.push(...ders);
      } else if (cadata instanceof Uint8Array) {
        found.push(...splitDer(cadata));
      } else {
        throw new TypeError("cadata should be an ASCII string or a bytes-like object");
      }
    }
    for (const der of found) {
      try {
        decodeCertificate(der);
      } catch (e) {
        if (e instanceof CertificateParseError) {
          throw new SSLError(13, "[ASN1: NESTED_ASN1_ERROR] nested asn1 error (_ssl.c:4020)", {
            library: "ASN1",
            reason: "NESTED_ASN1_ERROR",
          });
        }
        throw e;
      }
      if (!this.#cas.some((c) => sameBytes(c.der, der))) {
        this.#cas.push({ der, pem: derToPem(der) });
      }
    }
  }

  /**
   * Does nothing: Deno's default trust store is always used (its bundled
   * roots, or the system's with `DENO_TLS_CA_STORE=system`).
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * create_default_context().load_default_certs();
   * ```
   */
  load_default_certs(_purpose: PurposeValue = Purpose.SERVER_AUTH): void {}

  /**
   * Does nothing, as {@linkcode SSLContext.load_default_certs}.
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * create_default_context().set_default_verify_paths();
   * ```
   */
  set_default_verify_paths(): void {}

  /**
   * The protocols to offer with ALPN, in order of preference
   * (`["h2", "http/1.1"]`).
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * create_default_context().set_alpn_protocols(["h2", "http/1.1"]);
   * ```
   */
  set_alpn_protocols(alpn_protocols: readonly string[]): void {
    if (!Array.isArray(alpn_protocols)) {
      throw new TypeError("set_alpn_protocols(): alpn_protocols must be a list of strings");
    }
    for (const p of alpn_protocols) {
      if (typeof p !== "string") {
        throw new TypeError(
          `set_alpn_protocols(): each protocol must be a string, not ${typeof p}`,
        );
      }
      const length = new TextEncoder().encode(p).length;
      if (length === 0 || length > 255) {
        throw new ValueError(`ALPN protocols must be 1 to 255 in length: ${JSON.stringify(p)}`);
      }
    }
    this.#alpn = alpn_protocols.length > 0 ? [...alpn_protocols] : undefined;
  }

  /**
   * Accepts a curve Deno already offers for ECDHE (`"prime256v1"`,
   * `"secp384r1"`, `"X25519"`); any other is an `SSLError` saying so (Deno
   * cannot choose its groups).
   *
   * @example
   * ```ts
   * import { create_default_context, Purpose } from "@seed/socket/ssl";
   * create_default_context(Purpose.CLIENT_AUTH).set_ecdh_curve("prime256v1");
   * ```
   */
  set_ecdh_curve(curve_name: string): void {
    if (typeof curve_name !== "string") {
      throw new TypeError(
        `set_ecdh_curve(): curve_name must be a string, not ${typeof curve_name}`,
      );
    }
    if (OFFERED_CURVES.has(curve_name.toLowerCase())) return;
    throw new SSLError(
      1,
      `Deno cannot choose its key-exchange groups: it always offers x25519, secp256r1 and ` +
        `secp384r1; the curve ${JSON.stringify(curve_name)} cannot be honoured`,
      { library: "SSL" },
    );
  }

  /**
   * Reads a Diffie-Hellman parameters file, as CPython, and keeps nothing:
   * Deno's TLS uses only elliptic-curve key exchange (ECDHE), so the
   * parameters have no use. A missing file is a `FileNotFoundError`, a file
   * without `DH PARAMETERS` an `SSLError`.
   *
   * @example
   * ```ts ignore
   * import { create_default_context, Purpose } from "@seed/socket/ssl";
   * create_default_context(Purpose.CLIENT_AUTH).load_dh_params("dhparams.pem");
   * ```
   */
  load_dh_params(path: string): void {
    const text = readText(path, "load_dh_params()");
    if (!/-----BEGIN (X9\.42 )?DH PARAMETERS-----/.test(text)) {
      throw new SSLError(
        108,
        "[PEM: NO_START_LINE] no start line (_ssl.c:4202)",
        { library: "PEM", reason: "NO_START_LINE" },
      );
    }
  }

  /**
   * Deno offers a fixed set of strong suites (TLS 1.3 AES-GCM and
   * ChaCha20, TLS 1.2 ECDHE with AES-GCM and ChaCha20) and cannot choose
   * among them. A spec that asks for nothing else (`"DEFAULT"`, `"HIGH"`,
   * `"ECDHE+AESGCM"` style exclusions such as `"!aNULL"`) is accepted; any
   * other throws `SSLError` saying so.
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * create_default_context().set_ciphers("HIGH:!aNULL:!MD5");
   * ```
   */
  set_ciphers(cipherlist: string): void {
    if (typeof cipherlist !== "string") {
      throw new TypeError(`set_ciphers(): cipherlist must be a string, not ${typeof cipherlist}`);
    }
    const words = cipherlist.split(/[:, ]+/).filter((w) => w !== "" && !w.startsWith("@SECLEVEL"));
    if (
      words.length > 0 &&
      words.every((w) => HONOURED.has(w) || w.split("+").every((p) => HONOURED.has(p)))
    ) {
      return;
    }
    throw new SSLError(
      1,
      `Deno cannot choose TLS ciphers: it always offers ${SUITES.join(":")}; ` +
        `the cipher list ${JSON.stringify(cipherlist)} cannot be honoured`,
      { library: "SSL", reason: "NO_CIPHER_MATCH" },
    );
  }

  /**
   * The suites Deno offers, as CPython's `get_ciphers()` dictionaries
   * (name, protocol, bits).
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * console.log(create_default_context().get_ciphers()[0].name); // "TLS_AES_256_GCM_SHA384"
   * ```
   */
  get_ciphers(): { name: string; protocol: string; strength_bits: number; alg_bits: number }[] {
    return SUITES.map((name) => {
      const bits = /128/.test(name) ? 128 : 256;
      return {
        name,
        protocol: name.startsWith("TLS_") ? "TLSv1.3" : "TLSv1.2",
        strength_bits: bits,
        alg_bits: bits,
      };
    });
  }

  /**
   * The CA certificates (basicConstraints CA:TRUE) loaded with
   * `load_verify_locations` (Deno's own store is not listed), as
   * `getpeercert()` dictionaries or DER.
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * console.log(create_default_context().get_ca_certs()); // []
   * ```
   */
  get_ca_certs(binary_form: true): Uint8Array[];
  /**
   * The loaded CA certificates as dictionaries.
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * console.log(create_default_context().get_ca_certs(false).length); // 0
   * ```
   */
  get_ca_certs(binary_form?: false): PeerCertificate[];
  get_ca_certs(binary_form = false): PeerCertificate[] | Uint8Array[] {
    // As CPython: only certificates that are CAs (basicConstraints).
    const cas = this.#cas.filter((c) => isCertificateAuthority(c.der));
    return binary_form ? cas.map((c) => c.der.slice()) : cas.map((c) => decodeCertificate(c.der));
  }

  /**
   * Counts of the loaded certificates: `{ x509, crl, x509_ca }`.
   *
   * @example
   * ```ts
   * import { create_default_context } from "@seed/socket/ssl";
   * console.log(create_default_context().cert_store_stats()); // { x509: 0, crl: 0, x509_ca: 0 }
   * ```
   */
  cert_store_stats(): { x509: number; crl: number; x509_ca: number } {
    return {
      x509: this.#cas.length,
      crl: 0,
      x509_ca: this.#cas.filter((c) => isCertificateAuthority(c.der)).length,
    };
  }

  /**
   * Wraps a stream socket in TLS and returns the {@linkcode SSLSocket}; the
   * socket given is detached (it reads as closed, as in CPython). A
   * connected socket is handshaken at once (STARTTLS too: bytes the peer
   * sent before its TLS are not lost), an unconnected one on `connect`,
   * and a listening socket wrapped with `server_side: true` handshakes
   * each connection in `accept`.
   *
   * Rejects with `ValueError` for `server_hostname` on the server side, a
   * missing `server_hostname` with `check_hostname`, or a server context
   * without `load_cert_chain`; with the handshake's `SSLError` /
   * `SSLCertVerificationError`; `TimeoutError` past the socket's timeout.
   *
   * Cancel safety: the handshake cannot be stopped half-way; when it fails
   * or times out the new socket is closed (the connection is gone). A
   * receive still in flight on `sock` (one that timed out, say) is not
   * waited for (a STARTTLS server sends nothing before the ClientHello):
   * TLS takes over that read, and its bytes are TLS's first input.
   *
   * @example
   * ```ts ignore
   * import { socket } from "@seed/socket";
   * import { create_default_context } from "@seed/socket/ssl";
   * const sock = socket();
   * await sock.connect(["example.com", 443]);
   * const tls = await create_default_context().wrap_socket(sock, { server_hostname: "example.com" });
   * ```
   */
  async wrap_socket(sock: Socket, options: WrapOptions = {}): Promise<SSLSocket> {
    if (!(sock instanceof Socket)) {
      throw new TypeError("wrap_socket(): sock must be a stream Socket");
    }
    if (sock instanceof SSLSocket) {
      throw new ValueError("wrap_socket(): the socket is already an SSLSocket");
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError("wrap_socket(): options must be an object");
    }
    const settings = this.#settings(options);
    if (sock.closed) throw new OSError(9, null);
    return await SSLSocket[CREATE](sock, this, settings);
  }

  #settings(options: WrapOptions): Settings {
    const serverSide = options.server_side ?? false;
    const hostname = options.server_hostname ?? null;
    for (
      const name of ["server_side", "do_handshake_on_connect", "suppress_ragged_eofs"] as const
    ) {
      const value = options[name];
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(`wrap_socket(): ${name} must be a boolean, not ${typeof value}`);
      }
    }
    if (hostname !== null && (typeof hostname !== "string" || hostname === "")) {
      throw new TypeError("wrap_socket(): server_hostname must be a non-empty string or null");
    }
    if (serverSide && hostname !== null) {
      throw new ValueError("server_hostname can only be specified in client mode");
    }
    if (serverSide && this.protocol === PROTOCOL_TLS_CLIENT) {
      throw new ValueError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
    }
    if (!serverSide && this.protocol === PROTOCOL_TLS_SERVER) {
      throw new ValueError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
    }
    if (!serverSide && this.#checkHostname && hostname === null) {
      throw new ValueError("check_hostname requires server_hostname");
    }
    if (serverSide && this.#chain === null) {
      throw new ValueError("a server-side context needs load_cert_chain() first");
    }
    if (options.session != null) {
      throw new SSLError(1, "Deno's TLS cannot resume sessions: session must be null");
    }
    return {
      serverSide,
      hostname: hostname === null ? null : hostname.replace(/\.$/, ""),
      handshakeOnConnect: options.do_handshake_on_connect ?? true,
      suppressRaggedEofs: options.suppress_ragged_eofs ?? true,
    };
  }

  static {
    startTls = (ctx, raw, buffered, pending, settings) =>
      ctx.#start(raw, buffered, pending, settings);
    verifies = (ctx) => ctx.#verifyMode !== CERT_NONE;
    nativeServerKeys = (ctx) => {
      const [min, max] = ctx.#versions();
      // Deno.listenTls asks for no client certificate, has no version
      // limits and, unlike CPython, aborts a handshake with no ALPN overlap.
      if (ctx.#chain === null || ctx.#verifyMode !== CERT_NONE || ctx.#alpn !== undefined) {
        return null;
      }
      if (min !== undefined || max !== undefined) return null;
      return ctx.#chain;
    };
  }

  /** Starts TLS over `raw` for a socket made with `settings`. */
  #start(
    raw: StreamConn,
    buffered: Uint8Array,
    pending: PendingRead,
    settings: Settings,
  ): TlsConn {
    const [minVersion, maxVersion] = this.#versions();
    if (settings.serverSide) {
      return nodeServer(raw, buffered, pending, {
        cert: this.#chain!.cert,
        key: this.#chain!.key,
        caCerts: this.#cas.map((c) => c.pem),
        verifyMode: this.#verifyMode,
        alpnProtocols: this.#alpn,
        minVersion,
        maxVersion,
      });
    }
    const remote = raw.remoteAddr as Deno.NetAddr;
    const options: ClientOptions = {
      serverName: settings.hostname,
      remoteHost: remote.hostname ?? "localhost",
      checkHostname: this.#checkHostname,
      verify: this.#verifyMode !== CERT_NONE,
      caCerts: this.#cas.map((c) => c.pem),
      alpnProtocols: this.#alpn,
      cert: this.#chain?.cert,
      key: this.#chain?.key,
      minVersion,
      maxVersion,
      suppressRaggedEofs: settings.suppressRaggedEofs,
    };
    // Deno's own TLS is the fastest route; it covers a verifying client
    // without client certificate or version limits, on a TCP connection
    // with no bytes read ahead of the handshake and no read in flight
    // (Deno.startTls destroys a connection with a read pending).
    if (
      isDenoTcp(raw) && buffered.length === 0 && pending === null && options.verify &&
      !this.#chain &&
      minVersion === undefined && maxVersion === undefined
    ) {
      return nativeClient(raw, options);
    }
    return nodeClient(raw, buffered, pending, options);
  }

  /** node:tls version limits, or undefined where Deno's 1.2–1.3 already holds. */
  #versions(): [SecureVersion | undefined, SecureVersion | undefined] {
    let min = this.#minimum === TLSVersion.TLSv1_3 ? 3 : 2;
    let max = this.#maximum === TLSVersion.TLSv1_2 ? 2 : 3;
    if (this.options & OP_NO_TLSv1_2) min = 3;
    if (this.options & OP_NO_TLSv1_3) max = 2;
    return [
      min === 3 ? "TLSv1.3" : undefined,
      max === 2 ? "TLSv1.2" : undefined,
    ];
  }
}

function checkVersion(value: unknown, name: string): number {
  const known = Object.values(TLSVersion) as number[];
  if (typeof value !== "number" || !known.includes(value)) {
    throw new ValueError(`${name}: unsupported TLS/SSL version ${String(value)}`);
  }
  if (
    value !== TLSVersion.MINIMUM_SUPPORTED && value !== TLSVersion.MAXIMUM_SUPPORTED &&
    value < TLSVersion.TLSv1_2
  ) {
    throw new SSLError(
      1,
      `Deno's TLS speaks only TLS 1.2 and 1.3: ${name} ${value} cannot be honoured`,
      { library: "SSL", reason: "UNSUPPORTED_PROTOCOL" },
    );
  }
  return value;
}

function splitDer(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    if (data[at] !== 0x30 || at + 2 > data.length) {
      throw new SSLError(13, "[ASN1: NOT_ENOUGH_DATA] not enough data (_ssl.c:4020)", {
        library: "ASN1",
        reason: "NOT_ENOUGH_DATA",
      });
    }
    let length = data[at + 1];
    let start = at + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (data[start + i] ?? 0);
      start += count;
    }
    out.push(data.slice(at, start + length));
    at = start + length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How one SSLSocket behaves (from wrap_socket's options). */
interface Settings {
  serverSide: boolean;
  hostname: string | null;
  handshakeOnConnect: boolean;
  suppressRaggedEofs: boolean;
}

const MAKE = Symbol("make");

// ---- SSLSocket ----------------------------------------------------------------

/**
 * A stream socket speaking TLS, as Python's `ssl.SSLSocket`; made by
 * {@linkcode SSLContext.wrap_socket}. Every method of {@linkcode Socket}
 * works the same way (timeouts, non-blocking, abort signals, `makefile`,
 * `select`), with CPython's differences: flags other than 0 are a
 * `ValueError`, and a non-blocking `recv` with nothing decrypted yet
 * rejects with `SSLWantReadError`.
 *
 * @example
 * ```ts ignore
 * import { socket } from "@seed/socket";
 * import { create_default_context } from "@seed/socket/ssl";
 * const sock = socket();
 * await sock.connect(["example.com", 443]);
 * await using tls = await create_default_context().wrap_socket(sock, { server_hostname: "example.com" });
 * console.log(tls.version(), tls.getpeercert());
 * ```
 */
export class SSLSocket extends Socket {
  #context: SSLContext;
  #settings: Settings;
  #tls: TlsConn | null = null;
  #handshaken = false;
  #handshakeSettled = false;
  #settle = (): void => {
    this.#handshakeSettled = true;
  };
  /** A bound or listening plain socket this one accepts from. */
  #inner: Socket | null = null;
  /** Deno's own TLS listener, when the context needs nothing it lacks. */
  #native: Deno.TlsListener | null = null;
  #nativeReady: Deno.TlsConn[] = [];
  #nativeAccepting: Promise<void> | null = null;
  #nativeError: unknown = null;

  /**
   * Not for direct use: `SSLContext.wrap_socket` makes SSL sockets, as in
   * CPython (where the constructor raises `TypeError`).
   *
   * @param family The address family.
   * @param token Internal.
   * @param context Internal.
   * @param settings Internal.
   */
  constructor(family: number, token?: symbol, context?: SSLContext, settings?: Settings) {
    if (token !== MAKE || !context || !settings) {
      throw new TypeError(
        "SSLSocket does not have a public constructor. Instances are returned by SSLContext.wrap_socket().",
      );
    }
    super(family, SOCK_STREAM, 0);
    this.#context = context;
    this.#settings = settings;
  }

  /** @ignore */
  static async [CREATE](sock: Socket, context: SSLContext, settings: Settings): Promise<SSLSocket> {
    let connected = true;
    try {
      sock.getpeername();
    } catch {
      connected = false;
    }
    const timeout = sock.gettimeout();
    if (connected && settings.handshakeOnConnect && timeout === 0) {
      throw new ValueError(
        "do_handshake_on_connect should not be specified for non-blocking sockets",
      );
    }
    const ssock = new SSLSocket(sock.family, MAKE, context, settings);
    ssock.settimeout(timeout);
    if (!connected) {
      if (!isBound(sock)) sock.close();
      else if (!settings.serverSide || !ssock.#listenNative(sock)) ssock.#inner = sock;
      return ssock;
    }
    const { conn, buffered, pending } = await sock._detach();
    let tls: TlsConn;
    try {
      tls = await settle(startTls(context, conn, buffered, pending, settings));
    } catch (e) {
      closeQuietly(conn); // TLS never started on it: it is still ours
      ssock.close();
      throw toSSLError(e, settings.hostname);
    }
    ssock.#tls = tls;
    ssock._attach(tls);
    if (settings.handshakeOnConnect) await ssock.#handshakeOrClose();
    return ssock;
  }

  async #handshakeOrClose(options?: CallOptions): Promise<void> {
    try {
      await this.do_handshake(options);
    } catch (e) {
      // Non-blocking: the handshake goes on, call do_handshake() again.
      if (!(e instanceof SSLWantReadError || e instanceof SSLWantWriteError)) this.close();
      throw e;
    }
  }

  /** The context this socket was made with. */
  get context(): SSLContext {
    return this.#context;
  }
  /** True on the server side. */
  get server_side(): boolean {
    return this.#settings.serverSide;
  }
  /** The name given to `wrap_socket` (client side), else `null`. */
  get server_hostname(): string | null {
    return this.#settings.hostname;
  }
  /** Whether a peer's close without close_notify reads as end of stream. */
  get suppress_ragged_eofs(): boolean {
    return this.#settings.suppressRaggedEofs;
  }
  /** Whether the handshake runs in wrap_socket/connect/accept. */
  get do_handshake_on_connect(): boolean {
    return this.#settings.handshakeOnConnect;
  }
  /** Always `null`: Deno's TLS resumes no session. */
  get session(): null {
    return null;
  }
  /** Always `false`: Deno's TLS resumes no session. */
  get session_reused(): boolean {
    return false;
  }

  /** @ignore */
  protected override _wouldBlock(op: "read" | "write" | "accept" | "connect"): OSError {
    if (op === "read") return wantRead();
    if (op === "write") return wantWrite();
    return super._wouldBlock(op);
  }

  /**
   * Performs the TLS handshake (when `do_handshake_on_connect` was false).
   * Rejects with `SSLCertVerificationError` / `SSLError` as CPython,
   * `TimeoutError` past the socket's timeout, `SSLWantReadError` when
   * non-blocking and the peer has not answered yet (call again).
   *
   * Cancel safety: a timeout or abort leaves the handshake running; the
   * next call (or the first read or write) waits for it.
   *
   * @example
   * ```ts ignore
   * await tls.do_handshake();
   * ```
   */
  async do_handshake(options?: CallOptions): Promise<void> {
    this.checkOpen();
    const tls = this.#tls;
    if (tls === null) throw new OSError(107, null);
    const deadline = this.deadline(options);
    try {
      await this.waitFor(tls.handshake(), deadline);
    } catch (e) {
      if (e instanceof OSError && e.name === "BlockingIOError") throw wantRead();
      if (e instanceof TimeoutError) {
        throw new TimeoutError(null, "_ssl.c:990: The handshake operation timed out");
      }
      throw e;
    }
    this.#handshaken = true;
  }

  /**
   * Connects, then starts TLS (and handshakes, unless
   * `do_handshake_on_connect` was false). As {@linkcode Socket.connect};
   * also rejects with the handshake's errors.
   *
   * Cancel safety: as `Socket.connect` for the connection; a handshake that
   * fails or times out closes the socket.
   *
   * @example
   * ```ts ignore
   * const tls = await ctx.wrap_socket(socket(), { server_hostname: "example.com" });
   * await tls.connect(["example.com", 443]);
   * ```
   */
  override async connect(address: Address, options?: CallOptions): Promise<void> {
    if (this.#settings.serverSide) throw new ValueError("can't connect in server-side mode");
    if (this.#tls !== null) throw new ValueError("attempt to connect already-connected SSLSocket!");
    await super.connect(address, options);
    await this._upgrade(async (raw, buffered, pending) => {
      this.#tls = await settle(startTls(this.#context, raw, buffered, pending, this.#settings));
      return this.#tls;
    });
    if (this.#settings.handshakeOnConnect) await this.#handshakeOrClose(options);
  }

  /**
   * Serves with Deno's own TLS listener (the fastest server) in place of
   * the bound plain socket `sock`, when the context needs nothing only
   * node:tls has. Deno cannot turn a listener into a TLS one: the plain
   * listener is closed and the address bound again at once (Deno sets
   * SO_REUSEADDR). False when it does not apply.
   */
  #listenNative(sock: Socket): boolean {
    const keys = nativeServerKeys(this.#context);
    if (keys === null || sock.family === AF_UNIX) return false;
    const [hostname, port] = sock.getsockname() as [string, number];
    sock.close();
    this.#openNative(hostname, port, keys);
    return true;
  }

  #openNative(hostname: string, port: number, keys: { cert: string; key: string }): void {
    try {
      this.#native = Deno.listenTls({ hostname, port, cert: keys.cert, key: keys.key });
    } catch (e) {
      throw toOSError(e, { address: `${hostname}:${port}` });
    }
  }

  /** The accept Deno keeps in flight; its connection waits in #nativeReady. */
  #startNativeAccept(listener: Deno.TlsListener): Promise<void> {
    return this.#nativeAccepting ??= listener.accept().then((conn) => {
      this.#nativeAccepting = null;
      if (this.closed) conn.close();
      else this.#nativeReady.push(conn);
    }, (e) => {
      this.#nativeAccepting = null;
      this.#nativeError = e;
    });
  }

  async #acceptNative(
    listener: Deno.TlsListener,
    options?: CallOptions,
  ): Promise<[SSLSocket, SocketAddress]> {
    this.checkOpen();
    const deadline = this.deadline(options);
    let conn: Deno.TlsConn | undefined;
    while ((conn = this.#nativeReady.shift()) === undefined) {
      const failure = this.#nativeError;
      if (failure !== null) {
        this.#nativeError = null;
        throw this.closed ? new OSError(9, null) : toOSError(failure);
      }
      try {
        await this.waitFor(this.#startNativeAccept(listener), deadline);
      } catch (e) {
        throw this.closed ? new OSError(9, null, { cause: e }) : e;
      }
      this.checkOpen();
    }
    const child = new SSLSocket(this.family, MAKE, this.#context, this.#settings);
    const tls = nativeAccepted(conn, this.#settings.suppressRaggedEofs);
    child.#tls = tls;
    child._attach(tls);
    const address = child.getpeername();
    if (this.#settings.handshakeOnConnect) await child.#handshakeOrClose();
    return [child, address];
  }

  /**
   * Accepts a connection and starts TLS on it as the server: resolves to
   * `[SSLSocket, address]`, handshaken (unless `do_handshake_on_connect`
   * was false). A client whose handshake fails makes this call reject with
   * its `SSLError` (the connection is closed) and the listener goes on.
   *
   * Cancel safety: as `Socket.accept` while waiting for a connection; the
   * handshake that follows runs to its end or failure.
   *
   * @example
   * ```ts ignore
   * const [conn, address] = await server.accept();
   * ```
   */
  override async accept(options?: CallOptions): Promise<[SSLSocket, SocketAddress]> {
    if (this.#native) return await this.#acceptNative(this.#native, options);
    let accepted: [Socket, SocketAddress];
    if (this.#inner) {
      this.checkOpen();
      this.#inner.settimeout(this.gettimeout());
      accepted = await this.#inner.accept(options);
    } else accepted = await super.accept(options);
    const [plain, address] = accepted;
    const child = new SSLSocket(this.family, MAKE, this.#context, this.#settings);
    const { conn, buffered, pending } = await plain._detach();
    const tls = startTls(this.#context, conn, buffered, pending, this.#settings);
    child.#tls = tls;
    child._attach(tls);
    if (this.#settings.handshakeOnConnect) await child.#handshakeOrClose();
    return [child, address];
  }

  /** @ignore */
  override bind(address: Address): void {
    if (this.#inner) return this.#inner.bind(address);
    const keys = this.#settings.serverSide ? nativeServerKeys(this.#context) : null;
    if (keys !== null && this.family !== AF_UNIX && this.#native === null) {
      this.checkOpen();
      const target = this.target(address, "bind()", "bind");
      if (target.transport === "tcp") {
        // A fresh server socket binds straight to Deno's TLS listener.
        this.#openNative(target.hostname, target.port, keys);
        return;
      }
    }
    if (this.#native) {
      throw new OSError(22, null, { detail: "socket is already bound" });
    }
    super.bind(address);
  }

  /** @ignore */
  override listen(backlog?: number): void {
    if (this.#native) {
      this.checkOpen();
      return; // Deno's TLS listener listens from the start
    }
    if (this.#inner) {
      this.checkOpen();
      return this.#inner.listen(backlog);
    }
    super.listen(backlog);
  }

  /** @ignore */
  override getsockname(): SocketAddress {
    if (this.#native) {
      this.checkOpen();
      const addr = this.#native.addr as Deno.NetAddr;
      return this.family === AF_INET6
        ? [addr.hostname, addr.port, 0, 0]
        : [addr.hostname, addr.port];
    }
    if (this.#inner) {
      this.checkOpen();
      return this.#inner.getsockname();
    }
    return super.getsockname();
  }

  /**
   * As {@linkcode Socket.recv}; `flags` must be 0 (CPython's rule).
   *
   * Cancel safety: as `Socket.recv`; decrypted bytes that arrive after a
   * timeout, `SSLWantReadError` or abort go to the next call.
   *
   * @example
   * ```ts ignore
   * const data = await tls.recv(4096);
   * ```
   */
  override recv(
    bufsize: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<Uint8Array<ArrayBuffer>> {
    if (typeof flags === "number" && flags !== 0) return Promise.reject(flagsError("recv"));
    return super.recv(bufsize, flags, options);
  }

  /**
   * As {@linkcode Socket.recv_into}; `flags` must be 0.
   *
   * Cancel safety: as `Socket.recv_into`.
   *
   * @example
   * ```ts ignore
   * const n = await tls.recv_into(new Uint8Array(4096));
   * ```
   */
  override recv_into(
    buffer: ArrayBufferView | ArrayBuffer,
    nbytes?: number,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    if (typeof flags === "number" && flags !== 0) return Promise.reject(flagsError("recv_into"));
    return super.recv_into(buffer, nbytes, flags, options);
  }

  /**
   * As {@linkcode Socket.send}; `flags` must be 0.
   *
   * Cancel safety: as `Socket.send`.
   *
   * @example
   * ```ts ignore
   * await tls.send("hello");
   * ```
   */
  override send(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<number> {
    if (typeof flags === "number" && flags !== 0) return Promise.reject(flagsError("send"));
    return super.send(data, flags, options);
  }

  /**
   * As {@linkcode Socket.sendall}; `flags` must be 0.
   *
   * Cancel safety: as `Socket.sendall`.
   *
   * @example
   * ```ts ignore
   * await tls.sendall(new Uint8Array(1 << 20));
   * ```
   */
  override sendall(
    data: Uint8Array | ArrayBufferView | ArrayBuffer | string,
    flags?: number | CallOptions,
    options?: CallOptions,
  ): Promise<void> {
    if (typeof flags === "number" && flags !== 0) return Promise.reject(flagsError("sendall"));
    return super.sendall(data, flags, options);
  }

  #requireHandshake(): TlsConn {
    if (this.#tls === null || !this.#handshaken) throw new ValueError("handshake not done yet");
    return this.#tls;
  }

  /**
   * The peer's certificate, as CPython: a dictionary (`subject`, `issuer`,
   * `version`, `serialNumber`, `notBefore`, `notAfter`, `subjectAltName`,
   * and `OCSP`/`caIssuers`/`crlDistributionPoints` when present); `{}` when
   * it was not verified (`CERT_NONE`); `null` when the peer sent none (a
   * server that asked for none). With `binary_form`, the DER bytes.
   * Throws `ValueError` before the handshake.
   *
   * @example
   * ```ts ignore
   * console.log(tls.getpeercert()?.subject);
   * ```
   */
  getpeercert(binary_form: true): Uint8Array | null;
  /**
   * The peer's certificate as a dictionary.
   *
   * @example
   * ```ts ignore
   * console.log(tls.getpeercert()?.notAfter);
   * ```
   */
  getpeercert(binary_form?: false): PeerCertificate | Record<string, never> | null;
  getpeercert(binary_form = false): PeerCertificate | Record<string, never> | Uint8Array | null {
    this.checkOpen();
    const der = this.#requireHandshake().peerCertificate();
    if (binary_form) return der;
    if (der === null) return null;
    if (!verifies(this.#context)) return {};
    return decodeCertificate(der);
  }

  /**
   * The protocol ALPN selected, or `null`.
   *
   * @example
   * ```ts ignore
   * console.log(tls.selected_alpn_protocol()); // "h2"
   * ```
   */
  selected_alpn_protocol(): string | null {
    return this.#tls !== null && this.#handshaken ? this.#tls.alpnProtocol() : null;
  }

  /**
   * Always `null`: NPN is obsolete and not supported.
   *
   * @example
   * ```ts ignore
   * console.log(tls.selected_npn_protocol()); // null
   * ```
   */
  selected_npn_protocol(): null {
    return null;
  }

  /**
   * The negotiated protocol (`"TLSv1.3"`, `"TLSv1.2"`), or `null` before
   * the handshake. Deno's native TLS (used for a verifying client with no
   * client certificate or version limits, and for a server that asks for no
   * client certificate, ALPN or version limits) does not report it: there
   * it is `null` too (Deno's public TLS API reports only the ALPN protocol,
   * from `Deno.TlsConn.handshake()`). Connections over `node:tls` report it:
   * a context with a version limit (`maximum_version`, or a
   * `minimum_version` of TLSv1_3) takes that route.
   *
   * @example
   * ```ts ignore
   * console.log(tls.version());
   * ```
   */
  version(): string | null {
    return this.#tls !== null && this.#handshaken ? this.#tls.version() : null;
  }

  /**
   * `[name, protocol, secret bits]` of the negotiated suite, or `null`
   * (before the handshake, and on Deno's native route, which does not
   * report it; see {@linkcode SSLSocket.version}).
   *
   * @example
   * ```ts ignore
   * console.log(tls.cipher()); // ["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256]
   * ```
   */
  cipher(): [string, string, number] | null {
    return this.#tls !== null && this.#handshaken ? this.#tls.cipher() : null;
  }

  /**
   * Always `null`: neither of Deno's TLS engines reports the suites both
   * sides offered (CPython's client returns `None` too).
   *
   * @example
   * ```ts ignore
   * console.log(tls.shared_ciphers()); // null
   * ```
   */
  shared_ciphers(): null {
    return null;
  }

  /**
   * Always `null`: Deno's TLS does no compression.
   *
   * @example
   * ```ts ignore
   * console.log(tls.compression()); // null
   * ```
   */
  compression(): null {
    return null;
  }

  /**
   * Always 0: decrypted bytes wait in the socket's own buffer, and `recv`,
   * `select` and selectors see them without asking.
   *
   * @example
   * ```ts ignore
   * console.log(tls.pending()); // 0
   * ```
   */
  pending(): number {
    this.checkOpen();
    return 0;
  }

  /**
   * Would end TLS and give back the plain socket; Deno's TLS never gives
   * back the connection under it, so this rejects with `SSLError` saying
   * so. Use `shutdown(SHUT_WR)` (close_notify and FIN) or `close()`.
   *
   * Cancel safety: nothing happens.
   *
   * @example
   * ```ts ignore
   * await tls.unwrap().catch((e) => console.log(e.message));
   * ```
   */
  unwrap(): Promise<Socket> {
    return Promise.reject(
      new SSLError(
        1,
        "unwrap() is not possible: Deno's TLS never gives back the plain connection under it",
        { library: "SSL" },
      ),
    );
  }

  /**
   * CPython's `verify_client_post_handshake()`: not supported by Deno's
   * TLS; rejects with `SSLError`.
   *
   * @example
   * ```ts ignore
   * await tls.verify_client_post_handshake().catch(() => {});
   * ```
   */
  verify_client_post_handshake(): Promise<void> {
    return Promise.reject(sslError("WRONG_SSL_VERSION"));
  }

  /** @ignore */
  override _ready(events: number): number {
    if (this.#native) {
      this.checkOpen();
      const readable = this.#nativeReady.length > 0 || this.#nativeError !== null;
      return readable ? events & 1 : 0;
    }
    if (this.#inner) {
      this.checkOpen();
      return this.#inner._ready(events);
    }
    const ready = super._ready(events);
    // A handshake in progress that has come to an end (either way): the
    // next do_handshake() call completes, so the socket is ready for it.
    if (this.#tls !== null && !this.#handshaken && this.#handshakeSettled) {
      return ready | (events & 3);
    }
    return ready;
  }

  /** @ignore */
  override _watch(events: number): Promise<void> {
    if (this.#native && !this.closed) {
      if (!(events & 1) || this.#nativeReady.length > 0 || this.#nativeError !== null) {
        return new Promise<void>(() => {});
      }
      return this.#startNativeAccept(this.#native);
    }
    if (this.#inner && !this.closed) return this.#inner._watch(events);
    const tls = this.#tls;
    if (tls === null || this.#handshaken || this.closed) return super._watch(events);
    const settled = tls.handshake().then(this.#settle, this.#settle);
    return Promise.race([super._watch(events), settled]);
  }

  /** @ignore */
  protected override release(): void {
    super.release();
    this.#inner?.close();
    this.#inner = null;
    if (this.#native) {
      for (const conn of this.#nativeReady.splice(0)) closeQuietly(conn);
      closeQuietly(this.#native);
      this.#native = null;
    }
  }

  /**
   * A readable description, as Python's repr.
   *
   * @example
   * ```ts ignore
   * console.log(String(tls));
   * ```
   */
  override toString(): string {
    return `<ssl.SSLSocket fd=${this.fileno()}, family=${this.family}, type=${this.type}, proto=${this.proto}>`;
  }
}

function flagsError(method: string): ValueError {
  return new ValueError(
    `non-zero flags not allowed in calls to ${method}() on <class 'ssl.SSLSocket'>`,
  );
}

function isBound(sock: Socket): boolean {
  const name = sock.getsockname();
  if (sock.family === AF_UNIX) return name !== "";
  return Array.isArray(name) && name[1] !== 0;
}

// ---- functions ----------------------------------------------------------------

/** Options of {@linkcode create_default_context}. */
export interface DefaultContextOptions {
  /** A PEM file of CA certificates to trust (besides Deno's store). */
  cafile?: string | null;
  /** A directory of PEM CA certificates. */
  capath?: string | null;
  /** CA certificates as PEM text or DER bytes. */
  cadata?: string | Uint8Array | null;
}

/**
 * A context with CPython's secure defaults: for `Purpose.SERVER_AUTH` (the
 * default) a client context (`check_hostname`, `CERT_REQUIRED`, Deno's
 * trust store plus `cafile`/`capath`/`cadata`); for `Purpose.CLIENT_AUTH`
 * a server context (`CERT_NONE` until set).
 *
 * @example
 * ```ts
 * import { create_default_context } from "@seed/socket/ssl";
 * const ctx = create_default_context();
 * console.log(ctx.check_hostname, ctx.verify_mode); // true 2
 * ```
 */
export function create_default_context(
  purpose: PurposeValue = Purpose.SERVER_AUTH,
  options: DefaultContextOptions = {},
): SSLContext {
  if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
    throw new TypeError(
      "create_default_context(): purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH",
    );
  }
  const ctx = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER,
  );
  const { cafile = null, capath = null, cadata = null } = options;
  if (cafile != null || capath != null || cadata != null) {
    ctx.load_verify_locations(cafile, capath, cadata);
  }
  return ctx;
}

/**
 * A DER certificate as PEM text (64-column base64 between the markers).
 *
 * @example
 * ```ts
 * import { DER_cert_to_PEM_cert, PEM_cert_to_DER_cert } from "@seed/socket/ssl";
 * const pem = DER_cert_to_PEM_cert(new Uint8Array([1, 2]));
 * console.log(PEM_cert_to_DER_cert(pem)); // Uint8Array [1, 2]
 * ```
 */
// deno-lint-ignore camelcase
export function DER_cert_to_PEM_cert(der_cert_bytes: Uint8Array): string {
  if (!(der_cert_bytes instanceof Uint8Array)) {
    throw new TypeError("DER_cert_to_PEM_cert(): der_cert_bytes must be a Uint8Array");
  }
  return derToPem(der_cert_bytes);
}

/**
 * The DER bytes of a PEM certificate. Throws `ValueError` when the text
 * does not start and end with the certificate markers, as CPython.
 *
 * @example
 * ```ts
 * import { DER_cert_to_PEM_cert, PEM_cert_to_DER_cert } from "@seed/socket/ssl";
 * console.log(PEM_cert_to_DER_cert(DER_cert_to_PEM_cert(new Uint8Array([7]))));
 * ```
 */
// deno-lint-ignore camelcase
export function PEM_cert_to_DER_cert(pem_cert_string: string): Uint8Array {
  if (typeof pem_cert_string !== "string") {
    throw new TypeError("PEM_cert_to_DER_cert(): pem_cert_string must be a string");
  }
  const text = pem_cert_string.trim();
  if (!text.startsWith("-----BEGIN CERTIFICATE-----")) {
    throw new ValueError(`Invalid PEM encoding; must start with -----BEGIN CERTIFICATE-----`);
  }
  if (!text.endsWith("-----END CERTIFICATE-----")) {
    throw new ValueError(`Invalid PEM encoding; must end with -----END CERTIFICATE-----`);
  }
  return pemCertificates(text)[0] ?? new Uint8Array(0);
}

/** Options of {@linkcode get_server_certificate}. */
export interface ServerCertificateOptions {
  /** Verify the certificate against these CAs (a PEM file); else nothing is verified. */
  ca_certs?: string | null;
  /** Seconds for the connection and handshake (default: the socket default). */
  timeout?: number | null;
}

/**
 * Connects to `addr` and returns the server's certificate as PEM, as
 * CPython's `ssl.get_server_certificate`: unverified unless `ca_certs` is
 * given. Rejects as `connect` and `wrap_socket` do.
 *
 * Cancel safety: the connection it opens is closed on every outcome.
 *
 * @example
 * ```ts ignore
 * import { get_server_certificate } from "@seed/socket/ssl";
 * console.log(await get_server_certificate(["example.com", 443]));
 * ```
 */
export async function get_server_certificate(
  addr: [string, number],
  options: ServerCertificateOptions = {},
): Promise<string> {
  if (!Array.isArray(addr) || typeof addr[0] !== "string" || typeof addr[1] !== "number") {
    throw new TypeError("get_server_certificate(): addr must be [host, port]");
  }
  const [host] = addr;
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  if (options.ca_certs != null) ctx.load_verify_locations(options.ca_certs);
  else {
    ctx.check_hostname = false;
    ctx.verify_mode = CERT_NONE;
  }
  const sock = await create_connection(addr, options.timeout ?? undefined);
  try {
    const tls = await ctx.wrap_socket(sock, { server_hostname: host });
    try {
      return derToPem(tls.getpeercert(true) ?? new Uint8Array(0));
    } finally {
      tls.close();
    }
  } finally {
    sock.close();
  }
}
