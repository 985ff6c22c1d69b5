/**
 * Multicast for datagram sockets: group membership (`IP_ADD_MEMBERSHIP`,
 * `IPV6_JOIN_GROUP` and their drops) and the loopback and TTL options, with
 * Python's `ip_mreq`/`ipv6_mreq` values. Deno changes memberships
 * asynchronously: each change is tracked in `ops`, the socket's next
 * blocking call waits for them, and a failure is kept in `error` (read back
 * as `SO_ERROR`).
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
} from "./constants.ts";
import { errno, OSError, toOSError } from "./errors.ts";
import { describe } from "./_address.ts";
import { optionValue } from "./_options.ts";
import { inet_ntop } from "./inet.ts";

type Membership = Deno.MulticastV4Membership | Deno.MulticastV6Membership;
interface Group {
  membership: Membership | null;
  joined: Promise<void> | null;
}

/** What the multicast part needs of its socket. */
interface DatagramLink {
  /** The bound endpoint, or null before bind. */
  conn(): Deno.DatagramConn | null;
  closed(): boolean;
}

/**
 * One datagram socket's multicast state.
 * @ignore
 */
export class Multicast {
  /** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP (Linux's default: on). */
  loop = 1;
  /** IP_MULTICAST_TTL (Linux's default: 1). */
  ttl = 1;
  /** The changes Deno is still making; the next blocking call waits for them. */
  ops: Promise<void> | null = null;
  /** How one of them failed, until reported. */
  error: OSError | null = null;
  #groups = new Map<string, Group>();
  #pendingJoins: (() => void)[] = [];
  #v6: boolean;
  #socket: DatagramLink;

  constructor(family: number, socket: DatagramLink) {
    this.#v6 = family === AF_INET6;
    this.#socket = socket;
  }

  /** The value of a multicast option this part answers, or null. */
  get(level: number, option: number): number | null {
    const v6 = this.#v6;
    if (level === IPPROTO_IP && !v6 || level === IPPROTO_IPV6 && v6) {
      if (option === (v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP)) return this.loop;
      if (option === (v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL)) return this.ttl;
    }
    return null;
  }

  /** The socket is bound: joins asked for before run now. */
  bound(): void {
    for (const join of this.#pendingJoins.splice(0)) join();
  }

  /** Takes the failure to report (SO_ERROR, or the next call's rejection). */
  takeError(): OSError | null {
    const failure = this.error;
    this.error = null;
    return failure;
  }

  /** The socket closed: memberships end with it. */
  release(): void {
    this.#groups.clear();
    this.#pendingJoins = [];
  }

  /** setsockopt at IPPROTO_IP / IPPROTO_IPV6. */
  set(level: number, option: number, value: unknown): void {
    const v6 = this.#v6;
    const where = "setsockopt()";
    if ((level === IPPROTO_IPV6) !== v6) {
      throw noOption(
        `${v6 ? "IPPROTO_IP" : "IPPROTO_IPV6"} options on an ${v6 ? "AF_INET6" : "AF_INET"} socket`,
      );
    }
    if (option === (v6 ? IPV6_JOIN_GROUP : IP_ADD_MEMBERSHIP)) {
      const { group, iface, key } = parseMreq(value, v6);
      if (this.#groups.has(key)) {
        throw new OSError(errno.EADDRINUSE, null, { detail: `already a member of ${group}` });
      }
      this.#join(key, group, iface);
    } else if (option === (v6 ? IPV6_LEAVE_GROUP : IP_DROP_MEMBERSHIP)) {
      const { group, key } = parseMreq(value, v6);
      const entry = this.#groups.get(key);
      if (!entry) {
        throw new OSError(errno.EADDRNOTAVAIL, null, { detail: `not a member of ${group}` });
      }
      this.#groups.delete(key);
      this.#onGroup(entry, (membership) => membership.leave());
    } else if (option === (v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP)) {
      const on = optionValue(intValue(value, where), where);
      if (this.#socket.conn() && on !== this.loop) {
        if (this.#groups.size === 0) {
          throw noOption(
            "Deno sets multicast loopback at bind or on a joined group: set it before bind() or after IP_ADD_MEMBERSHIP",
          );
        }
        for (const entry of this.#groups.values()) {
          this.#onGroup(entry, (membership) => membership.setLoopback(on === 1));
        }
      }
      this.loop = on;
    } else if (!v6 && option === IP_MULTICAST_TTL) {
      let ttl = intValue(value, where);
      if (ttl === -1) ttl = 1;
      if (ttl < 0 || ttl > 255) {
        throw new OSError(errno.EINVAL, null, { detail: `IP_MULTICAST_TTL ${ttl}` });
      }
      if (ttl !== this.ttl) {
        const entries = [...this.#groups.values()];
        if (entries.length === 0 || !this.#socket.conn()) {
          throw noOption(
            "Deno sets the multicast TTL only on a joined group: join one (IP_ADD_MEMBERSHIP) first",
          );
        }
        for (const entry of entries) {
          this.#onGroup(
            entry,
            (membership) => (membership as Deno.MulticastV4Membership).setTTL(ttl),
          );
        }
      }
      this.ttl = ttl;
    } else {
      throw noOption(`Deno cannot set option ${option} at level ${level} on a datagram socket`);
    }
  }

  #join(key: string, group: string, iface: string | number): void {
    const entry: Group = { membership: null, joined: null };
    this.#groups.set(key, entry);
    const run = () => {
      if (this.#groups.get(key) !== entry) return; // dropped before bind
      const conn = this.#socket.conn()!;
      const joining: Promise<Membership> = typeof iface === "number"
        ? conn.joinMulticastV6(group, iface)
        : conn.joinMulticastV4(group, iface);
      entry.joined = joining.then(async (membership) => {
        entry.membership = membership;
        if (this.ttl !== 1 && "setTTL" in membership) {
          await membership.setTTL(this.ttl);
        }
      }, (e) => {
        // A failed join leaves no membership behind (a drop is EADDRNOTAVAIL).
        if (this.#groups.get(key) === entry) this.#groups.delete(key);
        throw e;
      });
      this.#track(entry.joined);
    };
    if (this.#socket.conn()) run();
    else this.#pendingJoins.push(run);
  }

  /** Changes a group's membership once its join is done (nothing if it failed or is pending). */
  #onGroup(entry: Group, change: (membership: Membership) => Promise<void>): void {
    if (!entry.joined) return; // not bound yet: the join applies the options itself
    this.#track(entry.joined.then(
      () => entry.membership ? change(entry.membership) : undefined,
      () => {}, // the join's own failure is reported once, by the join
    ));
  }

  /** Keeps an option change Deno makes asynchronously; the next call waits for it. */
  #track(op: Promise<unknown>): void {
    const done = op.then(() => {}, (e) => {
      if (!this.#socket.closed()) this.error ??= toOSError(e);
    });
    const all: Promise<void> = Promise.all([this.ops, done]).then(() => {
      if (this.ops === all) this.ops = null;
    });
    this.ops = all;
  }
}

function noOption(detail: string): OSError {
  return new OSError(errno.ENOPROTOOPT, null, { detail });
}

function intValue(value: unknown, where: string): number {
  if (ArrayBuffer.isView(value) && value instanceof Uint8Array) {
    if (value.length === 1) return value[0];
    if (value.length === 4) {
      return new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    }
    throw new OSError(errno.EINVAL, null, { detail: `${where}: value of ${value.length} bytes` });
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where}: value must be an integer, not ${describe(value)}`);
  }
  return value;
}

/** Reads Python's `ip_mreq` / `ip_mreqn` / `ipv6_mreq` bytes. */
function parseMreq(
  value: unknown,
  v6: boolean,
): { group: string; iface: string | number; key: string } {
  if (!(ArrayBuffer.isView(value) && value instanceof Uint8Array)) {
    throw new TypeError(
      `setsockopt(): a multicast membership takes ${
        v6
          ? "ipv6_mreq bytes (16-byte group, 4-byte interface index)"
          : "ip_mreq bytes (group, interface address)"
      }, not ${describe(value)}`,
    );
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (v6) {
    if (value.length < 20) {
      throw new OSError(errno.EINVAL, null, { detail: "ipv6_mreq is 20 bytes" });
    }
    const group = inet_ntop(AF_INET6, value.subarray(0, 16));
    if (value[0] !== 0xff) {
      throw new OSError(errno.EINVAL, null, { detail: `${group} is not a multicast address` });
    }
    const index = view.getUint32(16, true);
    return { group, iface: index, key: `${group}%${index}` };
  }
  if (value.length < 8) throw new OSError(errno.EINVAL, null, { detail: "ip_mreq is 8 bytes" });
  const group = inet_ntop(AF_INET, value.subarray(0, 4));
  if (value[0] < 224 || value[0] > 239) {
    throw new OSError(errno.EINVAL, null, { detail: `${group} is not a multicast address` });
  }
  const iface = inet_ntop(AF_INET, value.subarray(4, 8));
  if (value.length >= 12 && view.getInt32(8, true) !== 0) {
    throw noOption(
      "ip_mreqn with an interface index: Deno joins by interface address; pass ip_mreq",
    );
  }
  return { group, iface, key: `${group}@${iface}` };
}
