/**
 * Type-level pins, checked by `deno check` (the check task, and
 * `types_test.ts`), never run: bytes are `Uint8Array<ArrayBuffer>`,
 * `socket()` picks the class from literal and `const` arguments, selector
 * keys keep the registered type, defaulted parameters are optional.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  type DatagramRequest,
  type DatagramSocket,
  DefaultSelector,
  EVENT_READ,
  type getaddrinfo,
  type inet_aton,
  type inet_pton,
  type RecvmsgResult,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  SocketKind,
} from "@seed/socket";

/** True when `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
/** Compiles only when `T` is `true`. */
function pin<T extends true>(): void {}

type Bytes = Uint8Array<ArrayBuffer>;
type Awaited2<T> = T extends Promise<infer U> ? U : never;

export async function bytes(sock: Socket, dgram: DatagramSocket): Promise<void> {
  const data = await sock.recv(10);
  pin<Equals<typeof data, Bytes>>();
  // What made Uint8Array<ArrayBufferLike> a problem: these accept it now.
  await crypto.subtle.digest("SHA-256", data);
  new Blob([data]);
  new Response(data);
  pin<Equals<Awaited2<ReturnType<Socket["recvfrom"]>>[0], Bytes>>();
  pin<Equals<Awaited2<ReturnType<DatagramSocket["recv"]>>, Bytes>>();
  pin<Equals<Awaited2<ReturnType<DatagramSocket["recvfrom"]>>[0], Bytes>>();
  pin<Equals<RecvmsgResult[0], Bytes>>();
  pin<Equals<DatagramRequest[0], Bytes>>();
  for await (const [datagram] of dgram) pin<Equals<typeof datagram, Bytes>>();
  const f = sock.makefile("rb");
  pin<Equals<Awaited2<ReturnType<typeof f.read>>, Bytes>>();
  pin<Equals<Awaited2<ReturnType<typeof f.readline>>, Bytes>>();
  pin<Equals<Awaited2<ReturnType<typeof f.read1>>, Bytes>>();
  pin<Equals<Awaited2<ReturnType<typeof f.peek>>, Bytes>>();
  pin<Equals<Awaited2<ReturnType<typeof f.readlines>>, Bytes[]>>();
  for await (const line of f) pin<Equals<typeof line, Bytes>>();
  const raw = sock.makefile("rb", { buffering: 0 });
  pin<Equals<Awaited2<ReturnType<typeof raw.read>>, Bytes>>();
  pin<Equals<ReturnType<typeof inet_aton>, Bytes>>();
  pin<Equals<ReturnType<typeof inet_pton>, Bytes>>();
  const reader = sock.readable.getReader();
  const chunk = await reader.read();
  if (!chunk.done) pin<Equals<typeof chunk.value, Bytes>>();
}

export function sockets(): void {
  const a = socket();
  pin<Equals<typeof a, Socket>>();
  const b = socket(AF_INET, SOCK_STREAM);
  pin<Equals<typeof b, Socket>>();
  const c = socket(AF_INET, SOCK_DGRAM);
  pin<Equals<typeof c, DatagramSocket>>();
  const family = AF_INET6;
  const kind = SOCK_DGRAM;
  const d = socket(family, kind);
  pin<Equals<typeof d, DatagramSocket>>();
  const e = socket(AF_UNIX);
  pin<Equals<typeof e, Socket>>();
  const f = socket(AF_INET, SocketKind.SOCK_DGRAM);
  pin<Equals<typeof f, DatagramSocket>>();
  const g = socket(AF_INET, SocketKind.SOCK_STREAM);
  pin<Equals<typeof g, Socket>>();
  const runtime: number = 1;
  const h = socket(AF_INET, runtime);
  pin<Equals<typeof h, Socket | DatagramSocket>>();
  // @ts-expect-error a stream socket is not a datagram socket
  const wrong: DatagramSocket = socket(AF_INET, SOCK_STREAM);
  void wrong;
}

export async function selectors(server: Socket): Promise<void> {
  using sel = new DefaultSelector<(s: Socket) => void, Socket>();
  const key = sel.register(server, EVENT_READ, (s) => s.close());
  pin<Equals<typeof key.fileobj, Socket>>();
  for (const [ready] of await sel.select(0)) {
    pin<Equals<typeof ready.fileobj, Socket>>();
    ready.data(ready.fileobj);
  }
  pin<Equals<ReturnType<typeof sel.get_key>["fileobj"], Socket>>();
  // The default still takes any selectable object.
  using any = new DefaultSelector();
  any.register(3, EVENT_READ);
}

export function optionalParameters(sock: Socket): void {
  pin<Equals<Parameters<Socket["listen"]>, [backlog?: number]>>();
  pin<Equals<Parameters<Socket["sendfile"]>[1], number | undefined>>();
  pin<Equals<Parameters<typeof getaddrinfo>["length"], 2 | 3 | 4 | 5 | 6>>();
  sock.listen();
}
