/**
 * The sandbox service as the platform server receives it: one JavaScript file bundled by esbuild from this
 * checkout's `service/` workspace (and the runtime it imports), packed as a one-file tarball. Built from the
 * stack's own checkout at every `pulumi preview`/`up` and `npm start` (about a second), so the code on the host
 * is the stack's version; the tarball's SHA-256 is the deploy's trigger, so an unchanged service is not
 * re-installed. Reproducible: the same sources give the same bytes (fixed mtime, no gzip timestamp).
 *
 * Why esbuild and not `npm pack` of the workspaces: the host has no registry to install dependencies from,
 * and one file of ~2-3 MB copies in a moment. Optional native add-ons (ssh2's cpu-features and sshcrypto,
 * ws's bufferutil) stay out: their callers fall back to JavaScript when `require` fails.
 * No @pulumi import: `npm start` (local/) ships the same bundle.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { singleFileTar } from "../../runtime/docker/single-file-tar";
import { SERVICE_ENTRY_FILE } from "../../cloud-init/service-host";
import { deterministicGzip } from "../../cloud-init/file-encoding";
import { sandfleetCacheDir } from "./node-runtime";

/** The repository root (this file is components/service/service-bundle.ts). */
export const REPO_ROOT = resolve(__dirname, "..", "..");

/** Add-ons loaded optionally by dependencies, never bundled (see the header). */
const OPTIONAL_NATIVE = ["cpu-features", "*.node", "bufferutil", "utf-8-validate"];

export interface ServiceBundle {
  /** The tarball on this machine: `sandfleet-service.cjs` at its root. */
  path: string;
  /** SHA-256 (hex) of the tarball: the install directory on the host and the deploy's trigger. */
  digest: string;
  bytes: number;
}

/** The service's executable entry: the `sandfleet-service` bin of `service/package.json` (TypeScript source if it has one). */
export function serviceEntry(repoRoot = REPO_ROOT): string {
  const manifestPath = join(repoRoot, "service", "package.json");
  if (!existsSync(manifestPath)) {
    throw new Error(`the sandbox service needs ${manifestPath} (the @sandfleet/service workspace); this checkout has none`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: string | Record<string, string>; sandfleet?: { entry?: string } };
  const declared = manifest.sandfleet?.entry ?? (typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.["sandfleet-service"]);
  if (!declared) throw new Error(`${manifestPath} declares no "sandfleet-service" bin; the bundle starts from it`);
  // A bin pointing at compiled output (dist/…js) is bundled from its TypeScript source when that exists.
  const candidates = [declared, declared.replace(/^(\.\/)?dist\//, "").replace(/\.c?js$/, ".ts")].map((p) => join(repoRoot, "service", p));
  const found = candidates.find((p) => existsSync(p) && p.endsWith(".ts")) ?? candidates.find(existsSync);
  if (!found) throw new Error(`the service entry ${declared} (from ${manifestPath}) does not exist`);
  return found;
}

/**
 * Bundles the service and packs it into `outDir` as `<digest>.tgz` (content-addressed: concurrent builds of the
 * same sources write the same file; default `<cache>/service-bundle`, see {@link sandfleetCacheDir}).
 */
export function buildServiceBundle(options: { repoRoot?: string; outDir?: string; entry?: string } = {}): ServiceBundle {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const outDir = options.outDir ?? join(sandfleetCacheDir(), "service-bundle");
  const entry = options.entry ?? serviceEntry(repoRoot);
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    write: false,
    outfile: join(repoRoot, SERVICE_ENTRY_FILE),
    external: OPTIONAL_NATIVE,
    // The bin requires tsx to run TypeScript in the checkout; esbuild compiles it here instead.
    alias: { "tsx/cjs": `./${relative(repoRoot, join(__dirname, "no-tsx.cjs"))}` },
    // Readable stack traces in the journal; the size stays a few MB.
    minifyWhitespace: false,
    legalComments: "eof",
    logLevel: "silent",
    absWorkingDir: repoRoot,
    banner: { js: "// sandfleet sandbox service, bundled from the stack's checkout (components/service/service-bundle.ts)." },
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(SERVICE_ENTRY_FILE));
  if (!js) throw new Error(`esbuild produced no ${SERVICE_ENTRY_FILE} from ${entry}`);
  // mtime 0 and deterministic gzip (no timestamp, fixed OS byte): the same sources give the same digest on every machine.
  const tarball = deterministicGzip(singleFileTar(SERVICE_ENTRY_FILE, Buffer.from(js.contents), 0o644, 0));
  const digest = createHash("sha256").update(tarball).digest("hex");
  const path = join(outDir, `${digest}.tgz`);
  if (!existsSync(path)) {
    mkdirSync(outDir, { recursive: true });
    const incoming = `${path}.${process.pid}.tmp`;
    writeFileSync(incoming, tarball);
    renameSync(incoming, path);
  }
  return { path, digest, bytes: tarball.length };
}
