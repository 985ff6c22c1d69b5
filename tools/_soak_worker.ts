/**
 * The part of `deno task soak` that runs on its own thread (a Worker, so
 * that 1,000 TCP clients on the main thread do not starve it): UDP clients
 * echoing numbered datagrams through a UDP echo server, and the model-based
 * fuzzer running sequences one after another. It posts progress every
 * second and a final report when the deadline passes.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { AF_INET, SOCK_DGRAM, socket } from "@seed/socket";
import { addStats, emptyStats, type FuzzStats, prng, runSequence } from "../tests/_fuzz.ts";

/** What the worker posts. */
export interface WorkerReport {
  /** True for the last report. */
  final: boolean;
  /** UDP counters. */
  udp: {
    sent: number;
    echoed: number;
    bytesVerified: number;
    corrupted: number;
    late: number;
    timeouts: number;
  };
  /** Fuzzer counters. */
  fuzz: FuzzStats;
  /** Errors by `where: class`. */
  errors: [string, number][];
  /** The first fuzz failure, with its seed. */
  fuzzFailure: string | null;
}

const UDP_CLIENTS = 16;

self.onmessage = async (event: MessageEvent<{ deadline: number; origin: number }>) => {
  // performance.now() differs per thread: the deadline comes as an offset.
  const end = performance.now() + (event.data.deadline - event.data.origin);
  const running = () => performance.now() < end;
  const udp = { sent: 0, echoed: 0, bytesVerified: 0, corrupted: 0, late: 0, timeouts: 0 };
  const fuzz = emptyStats();
  const errors = new Map<string, number>();
  let fuzzFailure: string | null = null;
  const count = (error: unknown, where: string) => {
    const key = `${where}: ${error instanceof Error ? error.name : typeof error}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
    if ((errors.get(key) ?? 0) <= 3) console.error(`${key}: ${error}`);
  };
  const report = (final: boolean) =>
    self.postMessage(
      { final, udp, fuzz, errors: [...errors], fuzzFailure } satisfies WorkerReport,
    );
  const ticker = setInterval(() => report(false), 1000);

  const server = socket(AF_INET, SOCK_DGRAM);
  server.bind(["127.0.0.1", 0]);
  const address = server.getsockname() as [string, number];
  const echo = (async () => {
    try {
      for await (const [data, from] of server) await server.sendto(data, from);
    } catch (e) {
      count(e, "udp server");
    }
  })();

  const client = async (id: number) => {
    const random = prng(id * 104729 + 3);
    using sock = socket(AF_INET, SOCK_DGRAM);
    sock.settimeout(1);
    for (let seq = 0; running(); seq++) {
      const size = 8 + Math.floor(random() * 1400);
      const datagram = new Uint8Array(size);
      const view = new DataView(datagram.buffer);
      view.setUint32(0, id);
      view.setUint32(4, seq);
      for (let i = 8; i < size; i++) datagram[i] = (seq + i) & 0xff;
      await sock.sendto(datagram, address);
      udp.sent++;
      // Wait for this datagram's echo; older ones (after a timeout) are late.
      for (;;) {
        let data: Uint8Array;
        try {
          [data] = await sock.recvfrom(2048);
        } catch (e) {
          if (e instanceof Error && e.name === "TimeoutError") udp.timeouts++;
          else count(e, "udp client");
          break;
        }
        const back = new DataView(data.buffer, data.byteOffset, data.byteLength);
        if (data.length < 8 || back.getUint32(0) !== id) {
          udp.corrupted++;
          continue;
        }
        const got = back.getUint32(4);
        let intact = true;
        for (let i = 8; i < data.length; i++) if (data[i] !== ((got + i) & 0xff)) intact = false;
        if (!intact) udp.corrupted++;
        if (got !== seq) {
          udp.late++;
          continue;
        }
        if (data.length === size && intact) {
          udp.echoed++;
          udp.bytesVerified += size;
        }
        break;
      }
    }
  };

  const fuzzer = async () => {
    for (let seed = 1_000_000; running(); seed++) {
      try {
        addStats(fuzz, await runSequence(seed));
      } catch (e) {
        fuzzFailure ??= String(e);
        count(e, "fuzz");
      }
    }
  };

  const tasks: Promise<void>[] = [fuzzer()];
  for (let i = 0; i < UDP_CLIENTS; i++) {
    tasks.push(client(i).catch((e) => count(e, "udp client")));
  }
  await Promise.all(tasks);
  server.close();
  await echo;
  clearInterval(ticker);
  report(true);
};
