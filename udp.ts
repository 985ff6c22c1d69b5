/**
 * Datagram (UDP) sockets with Python's semantics over `Deno.listenDatagram`.
 *
 * @module
 */

import { errno, OSError } from "./errors.ts";
import { SocketBase } from "./_base.ts";

/**
 * A datagram (UDP) socket, as Python's `socket.socket(family, SOCK_DGRAM)`.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * ```
 */
export class DatagramSocket extends SocketBase {
  /**
   * Makes an unbound datagram socket; prefer `socket(family, SOCK_DGRAM)`.
   *
   * @param family `AF_INET` or `AF_INET6`.
   * @param type `SOCK_DGRAM`.
   * @param proto 0 or `IPPROTO_UDP`.
   */
  constructor(family: number, type: number, proto = 0) {
    super(family, type, proto);
    throw new OSError(errno.EPROTONOSUPPORT, null, {
      detail: "datagram sockets are not built yet",
    });
  }

  /** @ignore */
  protected release(): void {}
}
