/**
 * Every constant of CPython's `socket` module, compared with `python3` on
 * this machine: the same names, the same numbers, the same enum names.
 */

import * as S from "@seed/socket";
import { AddressFamily, AddressInfo, MsgFlag, SocketKind } from "@seed/socket";
import { assert, assertEquals, python } from "./_util.ts";

/** Whether `python3` runs here (the parity tests need it; Linux numbers need Linux). */
async function pythonOnLinux(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    return (await new Deno.Command("python3", { args: ["-c", ""] }).output()).success;
  } catch {
    return false;
  }
}

const HAVE_PYTHON = await pythonOnLinux();
// Ignored tests say why in their name.
const WHY = HAVE_PYTHON ? "" : " (skipped: needs python3 on Linux to compare with CPython)";

const PY = String.raw`
import enum, json, socket
consts = {n: int(getattr(socket, n)) for n in dir(socket)
          if not n.startswith("_")
          and isinstance(getattr(socket, n), int) and not isinstance(getattr(socket, n), bool)}
enums = {}
for cls in ("AddressFamily", "SocketKind", "MsgFlag", "AddressInfo"):
    c = getattr(socket, cls)
    enums[cls] = {"members": {k: int(v) for k, v in c.__members__.items()},
                  "names": {str(int(v)): c(int(v)).name for v in c.__members__.values()}}
print(json.dumps({"consts": consts, "enums": enums, "has_ipv6": socket.has_ipv6}))
`;

Deno.test({
  name: "constants: every CPython socket constant exists with Linux's number" + WHY,
  ignore: !HAVE_PYTHON,
  async fn() {
    const py = JSON.parse(await python(PY)) as { consts: Record<string, number> };
    const ours = S as unknown as Record<string, unknown>;
    const missing = Object.keys(py.consts).filter((n) => !(n in ours));
    assertEquals(missing, [], "CPython constants missing here");
    const wrong = Object.entries(py.consts).filter(([n, v]) => ours[n] !== v)
      .map(([n, v]) => `${n}: ${ours[n]} here, ${v} in CPython`);
    assertEquals(wrong, []);
    assert(Object.keys(py.consts).length > 300, "CPython lists its constants");
  },
});

Deno.test({
  name: "constants: no upper-case number here that CPython lacks" + WHY,
  ignore: !HAVE_PYTHON,
  async fn() {
    const py = JSON.parse(await python(PY)) as { consts: Record<string, number> };
    // Names the library adds on purpose, not in CPython's socket module.
    const own = new Set(["DEFAULT_BUFFER_SIZE", "EVENT_READ", "EVENT_WRITE"]);
    const extra = Object.entries(S).filter(([n, v]) =>
      /^[A-Z][A-Za-z0-9_]*$/.test(n) && typeof v === "number" && !(n in py.consts) &&
      !own.has(n)
    ).map(([n]) => n);
    assertEquals(extra, []);
  },
});

Deno.test({
  name: "constants: AddressFamily, SocketKind, MsgFlag, AddressInfo map both ways as CPython" + WHY,
  ignore: !HAVE_PYTHON,
  async fn() {
    const py = JSON.parse(await python(PY)) as {
      enums: Record<string, { members: Record<string, number>; names: Record<string, string> }>;
      has_ipv6: boolean;
    };
    const ours: Record<string, Record<string | number, string | number>> = {
      AddressFamily,
      SocketKind,
      MsgFlag,
      AddressInfo,
    };
    for (const [cls, { members, names }] of Object.entries(py.enums)) {
      for (const [name, value] of Object.entries(members)) {
        assertEquals(ours[cls][name], value, `${cls}.${name}`);
      }
      for (const [value, name] of Object.entries(names)) {
        assertEquals(ours[cls][Number(value)], name, `${cls}[${value}]`);
      }
    }
    assertEquals(S.has_ipv6, py.has_ipv6);
  },
});

Deno.test("constants: AddressFamily[2] is AF_INET, SocketKind[1] SOCK_STREAM (no python needed)", () => {
  assertEquals(AddressFamily[2], "AF_INET");
  assertEquals(AddressFamily.AF_INET6, 10);
  assertEquals(SocketKind[1], "SOCK_STREAM");
  assertEquals(SocketKind[S.SOCK_DGRAM], "SOCK_DGRAM");
  assertEquals(
    [S.SO_LINGER, S.SO_RCVTIMEO, S.TCP_KEEPIDLE, S.IP_TOS, S.MSG_OOB, S.NI_NUMERICHOST],
    [13, 20, 4, 1, 1, 1],
  );
});
