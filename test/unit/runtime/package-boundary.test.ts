/**
 * The runtime is a package of its own (@sandfleet/runtime): its sources may import only Node's built-ins, the
 * dependencies its package.json declares, and each other. Inside this repo every root dependency resolves too,
 * so a stray `import "yaml"` or `../components/...` would compile here and break only for users of the tarball;
 * this test names the file and the fix at once (the engine tier's runtime-package test proves the tarball).
 * The other way round, the repo's code imports the runtime's sources, never the package's build.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const RUNTIME = resolve(__dirname, "../../../runtime");
const manifest = JSON.parse(readFileSync(join(RUNTIME, "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);

/** Every .ts source of the package (what tsc builds), not its build output or scripts. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ["dist", "node_modules", "scripts"].includes(entry.name) ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers of a file's imports, re-exports and dynamic imports, as TypeScript's own scanner sees them. */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
}

/** "dockerode" -> "dockerode", "@scope/name/sub" -> "@scope/name". */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

const imports = sources(RUNTIME).flatMap((file) => specifiers(file).map((specifier) => ({ file: relative(RUNTIME, file), specifier })));

describe("the runtime package's boundary", () => {
  it("finds the runtime's sources and their imports", () => {
    expect(imports.length).toBeGreaterThan(50);
  });

  it("imports only Node built-ins and the dependencies runtime/package.json declares", () => {
    const undeclared = imports
      .filter(({ specifier }) => !specifier.startsWith(".") && !isBuiltin(specifier) && !declared.has(packageName(specifier)))
      .map(({ file, specifier }) => `${file} imports "${specifier}": add it to runtime/package.json dependencies, or keep it out of the runtime`);
    expect(undeclared).toEqual([]);
  });

  it("never reaches outside runtime/ with a relative import", () => {
    const escaping = imports
      .filter(({ file, specifier }) => specifier.startsWith(".") && relative(RUNTIME, resolve(RUNTIME, dirname(file), specifier)).startsWith(".."))
      .map(({ file, specifier }) => `${file} imports "${specifier}", outside the package: move the shared code into runtime/`);
    expect(escaping).toEqual([]);
  });

  it("depends on no @pulumi package", () => {
    expect([...declared].filter((d) => d.startsWith("@pulumi/"))).toEqual([]);
    expect(imports.filter(({ specifier }) => specifier.startsWith("@pulumi/"))).toEqual([]);
  });

  it("is imported by the rest of the repo by file (runtime/index), never as the directory", () => {
    // A directory import goes through runtime/package.json to dist/ once a build or `npm pack` has made it:
    // stale compiled code, and a second copy of every class next to the sources other imports load.
    const repo = resolve(RUNTIME, "..");
    const repoSources = ["bench", "bin", "cli", "cloud-init", "components", "cost", "local", "policy", "stacks", "test"].flatMap((d) =>
      existsSync(join(repo, d)) ? sources(join(repo, d)) : [],
    );
    const directoryImports = repoSources.flatMap((file) =>
      specifiers(file)
        .filter((specifier) => specifier.startsWith(".") && resolve(dirname(file), specifier) === RUNTIME)
        .map((specifier) => `${relative(repo, file)} imports "${specifier}": import "${specifier}/index" instead`),
    );
    expect(repoSources.length).toBeGreaterThan(100);
    expect(directoryImports).toEqual([]);
  });

  it("declares only dependencies its sources use (an @types package counts for the package it types)", () => {
    const used = new Set(imports.map(({ specifier }) => packageName(specifier)));
    const unused = [...declared].filter((d) => !used.has(d) && !used.has(d.replace(/^@types\//, "")));
    expect(unused).toEqual([]);
  });
});
