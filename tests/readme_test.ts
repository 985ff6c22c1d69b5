/**
 * README.md as a user meets it: every TypeScript or JavaScript block
 * type-checks (`deno check --doc-only README.md`, against this package as
 * `@seed/socket`), no block is written in a way that check would skip, and
 * every `deno task` and repository path it names exists.
 */

import { assert, assertEquals } from "./_util.ts";
import config from "../deno.json" with { type: "json" };

const ROOT = new URL("..", import.meta.url).pathname;
const CHILD = new URL("./_readme_child.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** The languages whose blocks `deno check --doc-only` checks. */
const CHECKED = new Set([
  "ts",
  "typescript",
  "mts",
  "cts",
  "tsx",
  "js",
  "javascript",
  "mjs",
  "cjs",
  "jsx",
]);

/** Paths in the repository that the README may name. */
const PATH =
  /(?<![\w/.-])(?:examples|tests|tools|bench|docs|\.ci|\.github)\/[\w./-]*\w|\b[A-Z]+\.md\b/;

interface Readme {
  text: string;
  /** The named paths that do not exist (outside what .gitignore lists). */
  missing: string[];
}

/** README's text and the paths it names that are missing (a child reads the repository). */
async function readme(): Promise<Readme> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "--quiet",
      `--allow-read=${ROOT}`,
      CHILD,
      ROOT,
      PATH.source,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout));
}

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  fence: string;
  indent: string;
  lang: string;
  attrs: string;
}

function blocks(text: string): Block[] {
  const found: Block[] = [];
  let open: Block | null = null;
  text.split("\n").forEach((l, i) => {
    const m = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)(.*)$/.exec(l);
    if (!m) return;
    if (open) {
      if (m[2].startsWith(open.fence) && m[3] === "") open = null;
      return;
    }
    open = { line: i + 1, indent: m[1], fence: m[2], lang: m[3], attrs: m[4].trim() };
    found.push(open);
  });
  return found;
}

Deno.test("README: every TypeScript block type-checks, and none is skipped", async () => {
  const { text } = await readme();
  const code = blocks(text).filter((b) => CHECKED.has(b.lang.toLowerCase()));
  assert(code.length > 0, "README has no TypeScript block");
  // Forms that `deno check --doc-only` passes over without a word.
  const skipped = code.filter((b) =>
    b.indent !== "" || !b.fence.startsWith("```") || b.lang !== b.lang.toLowerCase() ||
    /\bignore\b/.test(b.attrs)
  ).map((b) => `line ${b.line}: ${b.indent}${b.fence}${b.lang} ${b.attrs}`);
  assertEquals(skipped, [], "write each block as ```ts at the start of a line, not ignored");

  const out = await new Deno.Command("deno", {
    args: ["check", "--doc-only", "--reload", "README.md"], // --reload: each block is named even when cached
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const report = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  assert(out.success, report);
  const checked = [...report.matchAll(/README\.md#(\d+)-\d+\.\w+/g)].map((m) => Number(m[1]));
  assertEquals(checked.sort((a, b) => a - b), code.map((b) => b.line));
});

Deno.test("README: every deno task and every repository path it names exists", async () => {
  const { text, missing } = await readme();
  assertEquals(missing, []);
  const tasks = new Set(Object.keys(config.tasks));
  const named = [...text.matchAll(/deno(?:@[\d.]+)? task ([\w:-]+)/g)].map((m) => m[1]);
  assert(named.length > 0, "README names no deno task");
  assertEquals(named.filter((t) => !tasks.has(t)), []);
});
