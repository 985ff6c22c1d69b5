/**
 * A small DER reader for X.509 certificates: just enough to rebuild the
 * dictionary CPython's `SSLSocket.getpeercert()` returns (subject, issuer,
 * version, serial number, validity, subjectAltName, OCSP, caIssuers, CRL
 * distribution points), plus PEM framing. Neither Deno's native TLS nor
 * `node:tls` reports a certificate in that shape, and both give the DER.
 *
 * @module
 */

/** One RDN attribute as CPython shows it: `["commonName", "localhost"]`. */
export type NameAttribute = [string, string];
/** A distinguished name: a list of RDNs, each a list of attributes. */
export type DistinguishedName = NameAttribute[][];

/** The dictionary `getpeercert()` returns, as CPython builds it. */
export interface PeerCertificate {
  /** Whom the certificate is for. */
  subject: DistinguishedName;
  /** Who signed it. */
  issuer: DistinguishedName;
  /** The X.509 version (3). */
  version: number;
  /** The serial number, upper-case hex. */
  serialNumber: string;
  /** Start of validity, as `"Dec  6 02:03:15 2026 GMT"`. */
  notBefore: string;
  /** End of validity, in the same form. */
  notAfter: string;
  /** Alternative names: `["DNS", "localhost"]`, `["IP Address", "127.0.0.1"]`, … */
  subjectAltName?: [string, string | DistinguishedName][];
  /** OCSP responder URLs (Authority Information Access). */
  OCSP?: string[];
  /** Issuer certificate URLs (Authority Information Access). */
  caIssuers?: string[];
  /** CRL distribution point URLs. */
  crlDistributionPoints?: string[];
}

interface Node {
  tag: number;
  /** Offset of the content in the whole buffer. */
  start: number;
  end: number;
  /** Offset just past the element. */
  next: number;
}

/** Why a certificate could not be read. */
export class CertificateParseError extends Error {}

function node(der: Uint8Array, at: number, limit: number): Node {
  if (at + 2 > limit) throw new CertificateParseError("truncated DER element");
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) {
      throw new CertificateParseError("bad DER length");
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new CertificateParseError("DER element overruns its container");
  return { tag, start, end, next: end };
}

function children(der: Uint8Array, parent: Node): Node[] {
  const out: Node[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = node(der, at, parent.end);
    out.push(child);
    at = child.next;
  }
  return out;
}

function oid(der: Uint8Array, n: Node): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = n.start; i < n.end; i++) {
    value = value * 128 + (der[i] & 0x7f);
    if (!(der[i] & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

// OpenSSL's long names, which CPython prints for name attributes.
const NAMES: Record<string, string> = {
  "2.5.4.3": "commonName",
  "2.5.4.4": "surname",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "countryName",
  "2.5.4.7": "localityName",
  "2.5.4.8": "stateOrProvinceName",
  "2.5.4.9": "streetAddress",
  "2.5.4.10": "organizationName",
  "2.5.4.11": "organizationalUnitName",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.17": "postalCode",
  "2.5.4.41": "name",
  "2.5.4.42": "givenName",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.1": "userId",
  "0.9.2342.19200300.100.1.25": "domainComponent",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
};

const utf8 = new TextDecoder();

function text(der: Uint8Array, n: Node): string {
  const bytes = der.subarray(n.start, n.end);
  switch (n.tag) {
    case 0x1e: { // BMPString: UTF-16BE
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
      }
      return s;
    }
    case 0x1c: { // UniversalString: UTF-32BE
      let s = "";
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        s += String.fromCodePoint(
          ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0,
        );
      }
      return s;
    }
    case 0x14: // TeletexString: read as Latin-1, as OpenSSL does
      return String.fromCharCode(...bytes);
    default:
      return utf8.decode(bytes);
  }
}

function name(der: Uint8Array, n: Node): DistinguishedName {
  return children(der, n).map((set) =>
    children(der, set).map((pair): NameAttribute => {
      const [type, value] = children(der, pair);
      const id = oid(der, type);
      return [NAMES[id] ?? id, text(der, value)];
    })
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** ASN.1 time as OpenSSL's ASN1_TIME_print: `"Nov 12 02:03:15 2126 GMT"`. */
function time(der: Uint8Array, n: Node): string {
  const s = utf8.decode(der.subarray(n.start, n.end));
  let year: number;
  let rest: string;
  if (n.tag === 0x17) { // UTCTime YYMMDDHHMMSSZ
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else { // GeneralizedTime YYYYMMDDHHMMSSZ
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  }
  const month = MONTHS[Number(rest.slice(0, 2)) - 1] ?? "???";
  const day = String(Number(rest.slice(2, 4))).padStart(2, " ");
  return `${month} ${day} ${rest.slice(4, 6)}:${rest.slice(6, 8)}:${rest.slice(8, 10)} ${year} GMT`;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).toUpperCase().padStart(2, "0");
  return s;
}

function serial(der: Uint8Array, n: Node): string {
  let start = n.start;
  // DER pads a positive number whose top bit is set with a zero byte.
  while (start < n.end - 1 && der[start] === 0) start++;
  return hex(der.subarray(start, n.end));
}

function ip(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16).toUpperCase());
    }
    return groups.join(":");
  }
  return "<invalid>";
}

/** A GeneralName as CPython's `_get_peer_alt_names` shows it. */
function generalName(der: Uint8Array, n: Node): [string, string | DistinguishedName] {
  const ascii = () => utf8.decode(der.subarray(n.start, n.end));
  switch (n.tag & 0x1f) {
    case 0:
      return ["othername", "<unsupported>"];
    case 1:
      return ["email", ascii()];
    case 2:
      return ["DNS", ascii()];
    case 3:
      return ["X400Name", "<unsupported>"];
    case 4: // [4] EXPLICIT Name
      return ["DirName", name(der, node(der, n.start, n.end))];
    case 5:
      return ["EdiPartyName", "<unsupported>"];
    case 6:
      return ["URI", ascii()];
    case 7:
      return ["IP Address", ip(der.subarray(n.start, n.end))];
    case 8:
      return ["Registered ID", oid(der, n)];
    default:
      return ["othername", "<unsupported>"];
  }
}

function uris(der: Uint8Array, names: Node[]): string[] {
  return names.filter((g) => (g.tag & 0x1f) === 6).map((g) =>
    utf8.decode(der.subarray(g.start, g.end))
  );
}

/**
 * Parses a DER certificate into CPython's `getpeercert()` dictionary.
 * Throws {@linkcode CertificateParseError} when the bytes are not one.
 */
export function decodeCertificate(der: Uint8Array): PeerCertificate {
  try {
    return decode(der);
  } catch (e) {
    if (e instanceof CertificateParseError) throw e;
    throw new CertificateParseError(`not an X.509 certificate: ${String(e)}`);
  }
}

function decode(der: Uint8Array): PeerCertificate {
  const cert = node(der, 0, der.length);
  const tbs = children(der, cert)[0];
  if (cert.tag !== 0x30 || !tbs || tbs.tag !== 0x30) {
    throw new CertificateParseError("not an X.509 certificate");
  }
  const fields = children(der, tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const v = node(der, fields[0].start, fields[0].end);
    version = der[v.end - 1] + 1;
    i++;
  }
  const serialNode = fields[i++];
  i++; // signature algorithm
  const issuer = name(der, fields[i++]);
  const validity = children(der, fields[i++]);
  const subject = name(der, fields[i++]);
  i++; // subjectPublicKeyInfo
  const out: PeerCertificate = {
    subject,
    issuer,
    version,
    serialNumber: serial(der, serialNode),
    notBefore: time(der, validity[0]),
    notAfter: time(der, validity[1]),
  };
  const extensions = fields.slice(i).find((f) => f.tag === 0xa3);
  if (!extensions) return out;
  for (const ext of children(der, node(der, extensions.start, extensions.end))) {
    const parts = children(der, ext);
    const id = oid(der, parts[0]);
    const value = parts[parts.length - 1];
    const inner = node(der, value.start, value.end);
    if (id === "2.5.29.17") {
      out.subjectAltName = children(der, inner).map((g) => generalName(der, g));
    } else if (id === "1.3.6.1.5.5.7.1.1") {
      for (const access of children(der, inner)) {
        const [method, location] = children(der, access);
        const kind = oid(der, method);
        const found = uris(der, [location]);
        if (kind === "1.3.6.1.5.5.7.48.1") (out.OCSP ??= []).push(...found);
        if (kind === "1.3.6.1.5.5.7.48.2") (out.caIssuers ??= []).push(...found);
      }
    } else if (id === "2.5.29.31") {
      for (const point of children(der, inner)) {
        const dpName = children(der, point).find((c) => c.tag === 0xa0);
        if (!dpName) continue;
        const full = children(der, dpName).find((c) => c.tag === 0xa0);
        if (!full) continue;
        (out.crlDistributionPoints ??= []).push(...uris(der, children(der, full)));
      }
    }
  }
  return out;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** The DER bodies of every `CERTIFICATE` block in `pem`, in order. */
export function pemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const match of pem.matchAll(PEM_BLOCK)) {
    out.push(base64Decode(match[1].replace(/\s+/g, "")));
  }
  return out;
}

/** A DER certificate as a PEM block, with CPython's 64-column lines. */
export function derToPem(der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function base64Encode(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function base64Decode(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** True when the certificate's basicConstraints say it is a CA. */
export function isCertificateAuthority(der: Uint8Array): boolean {
  try {
    const cert = node(der, 0, der.length);
    const fields = children(der, children(der, cert)[0]);
    const extensions = fields.find((f) => f.tag === 0xa3);
    if (!extensions) return false;
    for (const ext of children(der, node(der, extensions.start, extensions.end))) {
      const parts = children(der, ext);
      if (oid(der, parts[0]) !== "2.5.29.19") continue;
      const value = parts[parts.length - 1];
      const first = children(der, node(der, value.start, value.end))[0];
      return first?.tag === 0x01 && der[first.start] !== 0;
    }
  } catch {
    // Not readable: not counted as a CA.
  }
  return false;
}
