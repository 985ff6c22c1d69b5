/**
 * Model-based fuzzing of a connected stream pair. A seeded generator picks
 * operations — sends of every size, receives with every flag, timeouts that
 * fire, blocking-mode toggles, aborts, half-closes — and a model of each
 * byte stream checks the outcome: every byte is delivered once, in order,
 * and nothing is invented. The bytes are a function of their position in
 * the stream, so a lost, repeated or reordered byte shows at once.
 *
 * Used by `tests/fuzz_test.ts` (500 sequences) and `tools/soak.ts` (more).
 *
 * @module
 */

import {
  BlockingIOError,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  select,
  SHUT_WR,
  type Socket,
  socket,
  TimeoutError,
} from "@seed/socket";

/** A small, fast, seedable PRNG (mulberry32): floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The byte at `position` of the stream keyed by `key`. */
export function streamByte(key: number, position: number): number {
  let x = Math.imul((position ^ key) >>> 0, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  return x & 0xff;
}

/** `size` bytes of stream `key` from `start`. */
export function streamSlice(key: number, start: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = streamByte(key, start + i);
  return out;
}

/** Counters a run reports. */
export interface FuzzStats {
  /** Sequences run. */
  sequences: number;
  /** Operations executed. */
  ops: number;
  /** Bytes received and checked against the model. */
  bytesVerified: number;
  /** Calls that ended in `TimeoutError`. */
  timeouts: number;
  /** Calls that ended in `BlockingIOError`. */
  wouldBlock: number;
  /** Calls that ended with the abort signal's reason. */
  aborts: number;
  /** `MSG_PEEK` receives checked. */
  peeks: number;
  /** Directions whose sent length became uncertain (timed-out sendall, aborted send). */
  uncertain: number;
}

/** A fresh zeroed {@linkcode FuzzStats}. */
export function emptyStats(): FuzzStats {
  return {
    sequences: 0,
    ops: 0,
    bytesVerified: 0,
    timeouts: 0,
    wouldBlock: 0,
    aborts: 0,
    peeks: 0,
    uncertain: 0,
  };
}

/** Adds `b` into `a`. */
export function addStats(a: FuzzStats, b: FuzzStats): void {
  for (const key of Object.keys(a) as (keyof FuzzStats)[]) a[key] += b[key];
}

/** A fuzz sequence that broke the model; its message names the seed. */
export class FuzzFailure extends Error {
  /** The seed that reproduces it. */
  readonly seed: number;
  /** Makes the error. */
  constructor(seed: number, message: string, log: string[], cause?: unknown) {
    super(
      `fuzz sequence failed, seed ${seed}: ${message}\n` +
        `  rerun: deno test --allow-net=127.0.0.1 tests/fuzz_test.ts -- --seed=${seed}\n` +
        `  last operations:\n    ${log.join("\n    ")}`,
      { cause },
    );
    this.name = "FuzzFailure";
    this.seed = seed;
  }
}

type Mode = { kind: "blocking" } | { kind: "timeout"; seconds: number } | {
  kind: "nonblocking";
};

interface Direction {
  name: string;
  from: Socket;
  to: Socket;
  key: number;
  /** Bytes the sender is known to have handed over (a lower bound when uncertain). */
  sent: number;
  /** Upper bound on bytes handed over (equals `sent` unless uncertain). */
  maxSent: number;
  /** The send (or shutdown) still running, if any. */
  pending: Promise<void> | null;
  /** Bytes of the running send (they may arrive before it settles). */
  inFlight: number;
  /** True when the running send is sure to hand over at least one byte. */
  pendingSure: boolean;
  /** `shutdown(SHUT_WR)` was called. */
  shutStarted: boolean;
  /** `shutdown(SHUT_WR)` finished. */
  shut: boolean;
  delivered: number;
  eof: boolean;
}

class Failure extends Error {}

function fail(message: string): never {
  throw new Failure(message);
}

function describeMode(mode: Mode): string {
  return mode.kind === "timeout" ? `timeout ${mode.seconds}` : mode.kind;
}

function applyMode(sock: Socket, mode: Mode): void {
  if (mode.kind === "blocking") sock.setblocking(true);
  else if (mode.kind === "nonblocking") sock.setblocking(false);
  else sock.settimeout(mode.seconds);
}

/** Options of {@linkcode runSequence}. */
export interface SequenceOptions {
  /** Operations to generate (default 32). */
  ops?: number;
  /** Wall-clock bound of one sequence, in ms (default 20 000): past it, a hang. */
  limitMs?: number;
  /**
   * Also receive through `makefile("rb")` files (read1, readline, read,
   * then close), `select` followed by a `MSG_DONTWAIT` recv, and BYOB reads
   * of `sock.readable`, mixed with the plain receives (default false, which
   * keeps the sequences of earlier seeds unchanged).
   */
  porting?: boolean;
}

/**
 * Runs the sequence generated from `seed` on a fresh loopback pair and
 * checks it against the model. Throws {@linkcode FuzzFailure} naming the
 * seed when the library loses, repeats, reorders or invents a byte, raises
 * an error the model does not allow, or hangs.
 */
export async function runSequence(seed: number, options: SequenceOptions = {}): Promise<FuzzStats> {
  const count = options.ops ?? 32;
  const limitMs = options.limitMs ?? 20_000;
  const random = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const stats = emptyStats();
  stats.sequences = 1;
  const log: string[] = [];
  const note = (line: string) => {
    log.push(line);
    if (log.length > 24) log.shift();
  };

  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  const a = socket();
  const modes = new Map<Socket, Mode>();
  let b: Socket | undefined;
  let hangTimer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    hangTimer = setTimeout(() => reject(new Failure(`no progress after ${limitMs} ms`)), limitMs);
  });
  hang.catch(() => {});
  const bounded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, hang]);
  // Failures found in callbacks (a send settling in the background).
  const problems: string[] = [];
  const dirs: Direction[] = [];

  try {
    await bounded(a.connect(listener.getsockname() as [string, number]));
    [b] = await bounded(listener.accept());
    listener.close();
    modes.set(a, { kind: "blocking" });
    modes.set(b, { kind: "blocking" });
    dirs.push(
      newDirection("a→b", a, b, seed ^ 0x5a5a5a5a),
      newDirection("b→a", b, a, seed ^ 0x3c3c3c3c),
    );

    const pickSize = (): number => {
      const r = random();
      if (r < 0.03) return 0;
      if (r < 0.35) return int(1, 16);
      if (r < 0.7) return int(17, 2048);
      if (r < 0.95) return int(2049, 65536);
      if (r < 0.985) return int(65537, 262144);
      // Bigger than the kernel's buffers: a timed or non-blocking send runs
      // out of time with Deno's write half done.
      return int(1 << 20, 4 << 20);
    };

    const pickMode = (): Mode => {
      const r = random();
      if (r < 0.35) return { kind: "blocking" };
      if (r < 0.65) return { kind: "nonblocking" };
      return { kind: "timeout", seconds: [0.001, 0.002, 0.005, 0.02][int(0, 3)] };
    };

    // Bytes the receiver of `dir` is sure to get without waiting forever.
    const guaranteed = (dir: Direction): number =>
      dir.shut ? Infinity : dir.sent - dir.delivered + (dir.pending && dir.pendingSure ? 1 : 0);

    const doSend = (dir: Direction) => {
      if (dir.pending || dir.shutStarted || dir.maxSent !== dir.sent) return;
      const size = pickSize();
      const all = random() < 0.5;
      const mode = modes.get(dir.from)!;
      const abort = random() < 0.04 ? new AbortController() : undefined;
      const data = streamSlice(dir.key, dir.sent, size);
      const label = `${dir.name} ${all ? "sendall" : "send"}(${size}) ${describeMode(mode)}${
        abort ? " +abort" : ""
      }`;
      note(label);
      const call = all
        ? dir.from.sendall(data, abort ? { signal: abort.signal } : undefined).then(() => size)
        : dir.from.send(data, abort ? { signal: abort.signal } : undefined);
      if (abort) setTimeout(() => abort.abort(new Error("fuzz abort")), int(0, 3));
      dir.pendingSure = mode.kind === "blocking" && !abort && size > 0;
      dir.inFlight = size;
      dir.pending = call.then((n) => {
        if (n < 0 || n > size) problems.push(`${label} returned ${n}`);
        if (!all && size > 0 && n === 0) problems.push(`${label} returned 0`);
        dir.sent += n;
        dir.maxSent = dir.sent;
      }, (e) => {
        const aborted = abort !== undefined && e === abort.signal.reason;
        if (aborted) stats.aborts++;
        else if (e instanceof TimeoutError && mode.kind === "timeout") stats.timeouts++;
        else if (e instanceof BlockingIOError && mode.kind === "nonblocking") stats.wouldBlock++;
        else problems.push(`${label} failed: ${e}`);
        if (all || aborted) {
          // Part of the data may be on its way: the length becomes a range.
          dir.maxSent = dir.sent + size;
          stats.uncertain++;
        }
        // A send that timed out or would block took nothing.
      }).finally(() => {
        dir.pending = null;
        dir.inFlight = 0;
      });
    };

    const check = (dir: Direction, data: Uint8Array, at: number, what: string) => {
      if (at + data.length > dir.maxSent + dir.inFlight) {
        fail(
          `${what}: received up to byte ${at + data.length} but only ${
            dir.maxSent + dir.inFlight
          } were sent`,
        );
      }
      for (let i = 0; i < data.length; i++) {
        if (data[i] !== streamByte(dir.key, at + i)) {
          fail(
            `${what}: byte ${at + i} of the stream is ${data[i]}, expected ${
              streamByte(dir.key, at + i)
            } (lost, repeated or reordered bytes)`,
          );
        }
      }
    };

    const doRecv = async (dir: Direction) => {
      if (dir.eof) return;
      const r = random();
      const peek = r < 0.15;
      const waitall = !peek && r < 0.27;
      const dontwait = random() < 0.1;
      const into = random() < 0.3;
      const size = int(1, random() < 0.8 ? 4096 : 70000);
      const mode = modes.get(dir.to)!;
      const flags = (peek ? MSG_PEEK : 0) | (waitall ? MSG_WAITALL : 0) |
        (dontwait ? MSG_DONTWAIT : 0);
      // A blocking call that might wait forever gets an abort signal.
      const mayBlockForever = mode.kind === "blocking" && !dontwait &&
        guaranteed(dir) < (waitall ? size : 1);
      const abort = mayBlockForever || random() < 0.05 ? new AbortController() : undefined;
      const label = `${dir.name} ${into ? "recv_into" : "recv"}(${size}, ${flags}) ${
        describeMode(mode)
      }${abort ? " +abort" : ""} at ${dir.delivered}`;
      note(label);
      const opts = abort ? { signal: abort.signal } : undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (abort) timer = setTimeout(() => abort.abort(new Error("fuzz abort")), int(0, 4));
      let data: Uint8Array;
      try {
        if (into) {
          const offset = int(0, 8);
          const buffer = new Uint8Array(size + offset + int(0, 8)).fill(0xee);
          const view = buffer.subarray(offset);
          const n = await bounded(dir.to.recv_into(view, size, flags, opts));
          if (buffer.subarray(0, offset).some((x) => x !== 0xee)) {
            fail(`${label}: wrote before the buffer it was given`);
          }
          if (view.subarray(n, size).some((x) => x !== 0xee)) {
            fail(`${label}: wrote past the ${n} bytes it reported`);
          }
          data = view.subarray(0, n);
        } else {
          data = await bounded(dir.to.recv(size, flags, opts));
        }
      } catch (e) {
        if (e instanceof Failure) throw e;
        if (abort && e === abort.signal.reason) stats.aborts++;
        else if (e instanceof TimeoutError && mode.kind === "timeout" && !dontwait) {
          stats.timeouts++;
        } else if (e instanceof BlockingIOError && (mode.kind === "nonblocking" || dontwait)) {
          stats.wouldBlock++;
        } else fail(`${label} failed: ${e}`);
        return;
      } finally {
        clearTimeout(timer);
      }
      if (data.length > size) fail(`${label}: returned ${data.length} bytes`);
      check(dir, data, dir.delivered, label);
      if (data.length === 0) {
        if (!dir.shutStarted || dir.delivered < dir.sent) {
          fail(`${label}: end of stream at byte ${dir.delivered} of ${dir.sent}`);
        }
        if (!peek) dir.eof = true;
        return;
      }
      // Non-blocking, MSG_WAITALL returns what is there (as Linux and CPython).
      const nonblocking = mode.kind === "nonblocking" || dontwait;
      if (waitall && data.length < size && !dir.shutStarted && !nonblocking) {
        fail(`${label}: MSG_WAITALL returned ${data.length} of ${size} before the end`);
      }
      if (peek) {
        stats.peeks++;
        return;
      }
      dir.delivered += data.length;
      stats.bytesVerified += data.length;
    };

    // ---- receives through makefile, select and web streams (porting) ----

    const allowed = (e: unknown, mode: Mode): boolean => {
      if (e instanceof TimeoutError && mode.kind === "timeout") stats.timeouts++;
      else if (e instanceof BlockingIOError && mode.kind === "nonblocking") stats.wouldBlock++;
      else return false;
      return true;
    };

    const deliver = (dir: Direction, data: Uint8Array, label: string) => {
      check(dir, data, dir.delivered, label);
      if (data.length === 0) {
        if (!dir.shutStarted || dir.delivered < dir.sent) {
          fail(`${label}: end of stream at byte ${dir.delivered} of ${dir.sent}`);
        }
        dir.eof = true;
        return;
      }
      dir.delivered += data.length;
      stats.bytesVerified += data.length;
    };

    const doFileRead = async (dir: Direction) => {
      if (dir.eof) return;
      const mode = modes.get(dir.to)!;
      const kind = (["read1", "readline", "read"] as const)[int(0, 2)];
      const size = int(1, random() < 0.8 ? 4096 : 70000);
      // Files take no abort signal: a blocking read must be sure to return.
      if (mode.kind === "blocking" && guaranteed(dir) < (kind === "read1" ? 1 : size)) return;
      const label = `${dir.name} makefile("rb").${kind}(${size}) ${
        describeMode(mode)
      } at ${dir.delivered}`;
      note(label);
      const f = dir.to.makefile("rb");
      let data: Uint8Array;
      try {
        data = await bounded(
          kind === "read1" ? f.read1(size) : kind === "readline" ? f.readline(size) : f.read(size),
        );
      } catch (e) {
        if (e instanceof Failure || !allowed(e, mode)) fail(`${label} failed: ${e}`);
        return;
      } finally {
        await f.close(); // hands what it read ahead back to the socket
      }
      if (data.length > size) fail(`${label}: returned ${data.length} bytes`);
      if (kind === "readline" && data.length > 0) {
        const nl = data.indexOf(0x0a);
        if (nl >= 0 && nl !== data.length - 1) fail(`${label}: a line that goes on after "\\n"`);
        if (nl < 0 && data.length < size && !dir.shutStarted) {
          fail(`${label}: ${data.length} bytes without "\\n" before the end`);
        }
      }
      if (kind === "read" && data.length < size && !dir.shutStarted) {
        fail(`${label}: read(${size}) returned ${data.length} bytes before the end`);
      }
      deliver(dir, data, label);
    };

    const doSelect = async (dir: Direction) => {
      if (dir.eof) return;
      const sure = guaranteed(dir) >= 1;
      const label = `${dir.name} select(timeout ${sure ? 5 : 0}) at ${dir.delivered}`;
      note(label);
      const [readable] = await bounded(select([dir.to], [], [], sure ? 5 : 0));
      if (readable.length === 0) {
        if (sure) fail(`${label}: not readable though bytes (or the end) are on their way`);
        return;
      }
      // "Readable" means this does not wait: a would-block here is a lie.
      const size = int(1, 70000);
      let data: Uint8Array;
      try {
        data = await bounded(dir.to.recv(size, MSG_DONTWAIT));
      } catch (e) {
        fail(`${label}, then recv(${size}, MSG_DONTWAIT) failed: ${e}`);
      }
      deliver(dir, data, `${label} recv(${size}, MSG_DONTWAIT)`);
    };

    const doStreamRead = async (dir: Direction) => {
      if (dir.eof) return;
      const mode = modes.get(dir.to)!;
      if (mode.kind === "blocking" && guaranteed(dir) < 1) return;
      const size = int(1, 70000);
      const label = `${dir.name} readable BYOB read(${size}) ${
        describeMode(mode)
      } at ${dir.delivered}`;
      note(label);
      const reader = dir.to.readable.getReader({ mode: "byob" });
      let data: Uint8Array;
      try {
        const { value, done } = await bounded(reader.read(new Uint8Array(size)));
        data = done || !value ? new Uint8Array(0) : value;
      } catch (e) {
        if (e instanceof Failure || !allowed(e, mode)) fail(`${label} failed: ${e}`);
        return;
      } finally {
        reader.releaseLock();
      }
      deliver(dir, data, label);
    };

    const doPortingRead = (dir: Direction): Promise<void> => {
      const r = random();
      if (r < 0.4) return doRecv(dir);
      if (r < 0.65) return doFileRead(dir);
      if (r < 0.85) return doSelect(dir);
      return doStreamRead(dir);
    };

    const doShutdown = (dir: Direction) => {
      if (dir.pending || dir.shutStarted) return;
      note(`${dir.name} shutdown(SHUT_WR)`);
      dir.shutStarted = true;
      dir.pendingSure = false;
      // It waits for writes still in flight, so it runs while the reader reads.
      dir.pending = dir.from.shutdown(SHUT_WR).then(() => {
        dir.shut = true;
      }, (e) => {
        problems.push(`${dir.name} shutdown(SHUT_WR) failed: ${e}`);
      }).finally(() => dir.pending = null);
    };

    for (let i = 0; i < count; i++) {
      stats.ops++;
      const dir = dirs[int(0, 1)];
      const r = random();
      if (r < 0.32) doSend(dir);
      else if (r < 0.8) await (options.porting ? doPortingRead : doRecv)(dir);
      else if (r < 0.96) {
        const sock = random() < 0.5 ? a : b;
        const mode = pickMode();
        note(`${sock === a ? "a" : "b"} mode ${describeMode(mode)}`);
        modes.set(sock, mode);
        applyMode(sock, mode);
      } else if (i > count / 2) doShutdown(dir);
      if (problems.length) fail(problems[0]);
      // Let Deno's I/O move between operations now and then.
      if (random() < 0.2) await new Promise((r) => setTimeout(r, 0));
    }

    // Drain: finish every send, close each direction, read to the end.
    for (const dir of dirs) {
      dir.to.settimeout(0.05);
      modes.set(dir.to, { kind: "timeout", seconds: 0.05 });
      for (let i = 0; dir.pending && i < 400; i++) {
        note(`${dir.name} drain while a send runs, at ${dir.delivered}`);
        try {
          const data = await bounded(dir.to.recv(65536));
          check(dir, data, dir.delivered, `${dir.name} drain`);
          if (data.length === 0) {
            // The shutdown running now may have sent its end already.
            if (!dir.shutStarted || dir.delivered < dir.sent) {
              fail(`${dir.name}: end of stream at ${dir.delivered} while a send runs`);
            }
            dir.eof = true;
            break;
          }
          dir.delivered += data.length;
          stats.bytesVerified += data.length;
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
      }
      if (dir.pending && dir.eof) await bounded(dir.pending);
      if (dir.pending) fail(`${dir.name}: a send never finished`);
      if (problems.length) fail(problems[0]);
      let shutting: Promise<void> = Promise.resolve();
      if (!dir.shutStarted) {
        note(`${dir.name} shutdown(SHUT_WR) to drain`);
        dir.from.setblocking(true);
        dir.shutStarted = true;
        // It waits for a write still finishing in the background (a send
        // that timed out), so the reader reads meanwhile.
        shutting = dir.from.shutdown(SHUT_WR).then(() => {
          dir.shut = true;
        });
        shutting.catch(() => {});
      }
      dir.to.setblocking(true);
      while (!dir.eof) {
        const data = await bounded(dir.to.recv(int(1, 70000)));
        check(dir, data, dir.delivered, `${dir.name} final read`);
        if (data.length === 0) dir.eof = true;
        dir.delivered += data.length;
        stats.bytesVerified += data.length;
      }
      await bounded(shutting);
      if (dir.delivered < dir.sent || dir.delivered > dir.maxSent) {
        fail(
          `${dir.name}: ${dir.delivered} bytes delivered, ${dir.sent}${
            dir.maxSent !== dir.sent ? `-${dir.maxSent}` : ""
          } sent`,
        );
      }
      // Once at the end, the end stays.
      if ((await bounded(dir.to.recv(10))).length !== 0) fail(`${dir.name}: bytes after the end`);
    }
  } catch (e) {
    const message = e instanceof Failure
      ? e.message
      : `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    throw new FuzzFailure(seed, message, log, e);
  } finally {
    clearTimeout(hangTimer);
    listener.close();
    a.close();
    b?.close();
    // Let pending sends settle so the sequence leaves nothing running.
    await Promise.allSettled(dirs.map((d) => d.pending));
  }
  return stats;
}

function newDirection(name: string, from: Socket, to: Socket, key: number): Direction {
  return {
    name,
    from,
    to,
    key,
    sent: 0,
    maxSent: 0,
    pending: null,
    inFlight: 0,
    pendingSure: false,
    shutStarted: false,
    shut: false,
    delivered: 0,
    eof: false,
  };
}

/**
 * Runs `count` sequences with seeds `first`, `first + 1`, … and adds up
 * their counters; throws the first {@linkcode FuzzFailure}.
 */
export async function runMany(
  first: number,
  count: number,
  options: SequenceOptions = {},
): Promise<FuzzStats> {
  const total = emptyStats();
  for (let seed = first; seed < first + count; seed++) {
    addStats(total, await runSequence(seed, options));
  }
  return total;
}
