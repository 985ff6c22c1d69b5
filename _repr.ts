/**
 * CPython's `repr()` of a socket, for `String(sock)` and `Deno.inspect(sock)`:
 * `<socket.socket fd=3, family=2, type=1, proto=0, laddr=('127.0.0.1',
 * 5000), raddr=('127.0.0.1', 6000)>`, `[closed]` once closed.
 *
 * @module
 */

import type { SocketAddress } from "./_address.ts";

/** What the description reads of a socket. */
export interface Describable {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  readonly closed: boolean;
  readonly _closeCalled: boolean;
  fileno(): number;
  getsockname(): SocketAddress;
  getpeername(): SocketAddress;
}

/** Python's `str()` of an address: a tuple of quoted strings and numbers, a bare path. */
function pyStr(address: SocketAddress): string {
  if (typeof address === "string") return address;
  const parts = (address as readonly (string | number)[]).map((part) =>
    typeof part === "string"
      ? `'${part.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`
      : String(part)
  );
  return `(${parts.join(", ")})`;
}

/** An address as CPython's repr shows it, or `null` when it has none (or it fails). */
function address(read: () => SocketAddress): string | null {
  try {
    const value = read();
    // Python leaves out a falsy address: '' for an unnamed Unix socket.
    if (value === "" || value === null || value === undefined) return null;
    return pyStr(value);
  } catch {
    return null;
  }
}

/** CPython's `socket.__repr__`, never throwing. */
export function socketRepr(sock: Describable): string {
  const closed = sock._closeCalled;
  let s =
    `<socket.socket${closed ? " [closed]" : ""} fd=${sock.fileno()}, family=${sock.family}, ` +
    `type=${sock.type}, proto=${sock.proto}`;
  if (!closed) {
    const laddr = address(() => sock.getsockname());
    if (laddr !== null) s += `, laddr=${laddr}`;
    const raddr = address(() => sock.getpeername());
    if (raddr !== null) s += `, raddr=${raddr}`;
  }
  return s + ">";
}
