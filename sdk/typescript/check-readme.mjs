// Type-checks every ```ts block of README.md under this package's strict settings, each block
// as a module of its own, so that the README shows only code that compiles.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const dir = ".readme-check";
const blocks = [...readFileSync("README.md", "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
if (blocks.length === 0) throw new Error("README.md has no ts blocks");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
const files = blocks.map((code, i) => {
  writeFileSync(`${dir}/block-${i + 1}.ts`, `export {};\n${code}`);
  return `block-${i + 1}.ts`;
});
writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({
  extends: "../tsconfig.json",
  compilerOptions: { paths: { "@naptracker/sdk": ["../src/index.ts"] } },
  files,
}));
try {
  execFileSync("node_modules/.bin/tsc", ["--noEmit", "-p", dir], { stdio: "inherit" });
  console.log(`README.md: ${blocks.length} TypeScript examples compile`);
} catch {
  console.error("README.md: a TypeScript example does not compile (block-N.ts is the Nth ts block)");
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
