/**
 * Files in a sandbox or a workspace (the same handlers for both, see caller.ts CONTAINER_TARGETS): one file (PUT writes the body's bytes, parents created; GET reads it) and one directory as
 * a tar (PUT unpacks into it, created if missing; GET packs it). Everything goes through the sandbox's own exec
 * channel, never Docker's archive API, because that API reads and writes the container's image layer: it cannot
 * see the tmpfs mounts (/work, /tmp) sandboxes actually write to, and refuses a read-only root. So the image needs
 * `sh`, `base64` and `tar` (busybox and Debian images have them); a missing one is a 400 that says so.
 */
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error";
import { CONTAINER_TARGETS, ContainerTarget, withCallerContainer } from "../caller";
import { apiRoute } from "../route";

/** Runs a sh script in the container; a failure becomes the status `failure` with the script's stderr. */
async function run(target: ContainerTarget, noun: string, script: string, args: string[], failure: (stderr: string, exitCode: number) => ApiError, stdin?: Buffer): Promise<string> {
  const result = await target.exec(["sh", "-c", script, "sh", ...args], stdin ? { stdin } : {});
  if (result.exitCode === 127) {
    throw ApiError.of("INVALID_REQUEST", `the ${noun}'s image lacks a tool the files API needs: ${result.stderr.trim()}`, "use an image with sh, base64 and tar (busybox or Debian)");
  }
  if (result.exitCode !== 0) throw failure(result.stderr.trim(), result.exitCode);
  return result.stdout;
}

const notFound = (path: string, noun: string) => (stderr: string) => ApiError.of("NOT_FOUND", `${path}: ${stderr || "not found"}`, `check the path inside the ${noun} (GET .../archive?path=DIR lists a directory as tar)`);
const cannotWrite = (path: string, noun: string) => (stderr: string) =>
  ApiError.of("INVALID_REQUEST", `cannot write ${path}: ${stderr}`, noun === "workspace" ? "write under /workspace (the data volume) or /tmp" : "write under a writable directory such as /work or /tmp");

export async function filesPlugin(app: FastifyInstance): Promise<void> {
  for (const { kind, param, routes, noun } of CONTAINER_TARGETS) {
    apiRoute(app, routes.putFile, async ({ params, query, body, request }) =>
      withCallerContainer(request, kind, params[param]!, async (target) => {
        await run(target, noun, 'mkdir -p "$(dirname "$1")"', [query.path], cannotWrite(query.path, noun));
        try {
          await target.putFile(query.path, body ?? Buffer.alloc(0));
        } catch (err) {
          if ((err as Error).name === "SandboxBrokenError") throw err;
          throw cannotWrite(query.path, noun)((err as Error).message);
        }
      }),
    );
    apiRoute(app, routes.getFile, async ({ params, query, request, reply }) =>
      withCallerContainer(request, kind, params[param]!, async (target) => {
        const encoded = await run(target, noun, '[ -f "$1" ] || { echo "not a regular file" >&2; exit 2; }; base64 "$1"', [query.path], notFound(query.path, noun));
        return reply.type("application/octet-stream").send(Buffer.from(encoded, "base64"));
      }),
    );
    apiRoute(app, routes.putArchive, async ({ params, query, body, request }) =>
      withCallerContainer(request, kind, params[param]!, async (target) => {
        await run(target, noun, 'mkdir -p "$1" && tar -xf - -C "$1"', [query.path], cannotWrite(query.path, noun), body ?? Buffer.alloc(0));
      }),
    );
    apiRoute(app, routes.getArchive, async ({ params, query, request, reply }) =>
      withCallerContainer(request, kind, params[param]!, async (target) => {
        const encoded = await run(target, noun, '[ -d "$1" ] || { echo "not a directory" >&2; exit 2; }; tar -cf - -C "$1" . | base64', [query.path], notFound(query.path, noun));
        return reply.type("application/x-tar").send(Buffer.from(encoded, "base64"));
      }),
    );
  }
}
