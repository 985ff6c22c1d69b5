import { assertEquals } from "@std/assert";
import { findCycles } from "../tools/cycles.ts";

Deno.test("cycles: a circle of imports is found, a tree is not", () => {
  const tree = new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]);
  assertEquals(findCycles(tree), []);
  const circle = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assertEquals(findCycles(circle), [["a", "b", "c", "a"]]);
});

Deno.test("cycles: the library's own modules import in one direction", async () => {
  const { code, stderr } = await new Deno.Command("deno", {
    args: ["run", "--allow-run=deno", "--allow-read=.", "tools/cycles.ts", "mod.ts", "ssl.ts"],
    cwd: new URL("..", import.meta.url),
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(stderr), "");
  assertEquals(code, 0);
});
