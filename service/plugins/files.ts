/**
 * Files in a sandbox: one file (PUT writes the body's bytes, parents created; GET reads it) and one directory as
 * a tar (PUT unpacks into it, created if missing; GET packs it). Everything goes through the sandbox's own exec
 * channel, never Docker's archive API, because that API reads and writes the container's image layer: it cannot
 * see the tmpfs mounts (/work, /tmp) sandboxes actually write to, and refuses a read-only root. So the image needs
 * `sh`, `base64` and `tar` (busybox and Debian images have them); a missing one is a 400 that says so.
 */
import type { FastifyInstance } from "fastify";
import type { Sandbox } from "../../runtime/index";
import { API_ROUTES } from "../../runtime/api/routes";
import { ApiError } from "../api-error";
import { withCallerSandbox } from "../caller";
import { apiRoute } from "../route";

/** Runs a sh script in the sandbox; a failure becomes the status `failure` with the script's stderr. */
async function run(sandbox: Sandbox, script: string, args: string[], failure: (stderr: string, exitCode: number) => ApiError, stdin?: Buffer): Promise<string> {
  const result = await sandbox.exec(["sh", "-c", script, "sh", ...args], stdin ? { stdin } : {});
  if (result.exitCode === 127) {
    throw ApiError.of("INVALID_REQUEST", `the sandbox's image lacks a tool the files API needs: ${result.stderr.trim()}`, "use an image with sh, base64 and tar (busybox or Debian)");
  }
  if (result.exitCode !== 0) throw failure(result.stderr.trim(), result.exitCode);
  return result.stdout;
}

const notFound = (path: string) => (stderr: string) => ApiError.of("NOT_FOUND", `${path}: ${stderr || "not found"}`, "check the path inside the sandbox (GET /v1/sandboxes/{id}/archive lists a directory as tar)");
const cannotWrite = (path: string) => (stderr: string) => ApiError.of("INVALID_REQUEST", `cannot write ${path}: ${stderr}`, "write under a writable directory such as /work or /tmp");

export async function filesPlugin(app: FastifyInstance): Promise<void> {
  apiRoute(app, API_ROUTES.putFile, async ({ params, query, body, request }) =>
    withCallerSandbox(request, params.id!, async (sandbox) => {
      await run(sandbox, 'mkdir -p "$(dirname "$1")"', [query.path], cannotWrite(query.path));
      try {
        await sandbox.putFile(query.path, body ?? Buffer.alloc(0));
      } catch (err) {
        if ((err as Error).name === "SandboxBrokenError") throw err;
        throw cannotWrite(query.path)((err as Error).message);
      }
    }),
  );
  apiRoute(app, API_ROUTES.getFile, async ({ params, query, request, reply }) =>
    withCallerSandbox(request, params.id!, async (sandbox) => {
      const encoded = await run(sandbox, '[ -f "$1" ] || { echo "not a regular file" >&2; exit 2; }; base64 "$1"', [query.path], notFound(query.path));
      return reply.type("application/octet-stream").send(Buffer.from(encoded, "base64"));
    }),
  );
  apiRoute(app, API_ROUTES.putArchive, async ({ params, query, body, request }) =>
    withCallerSandbox(request, params.id!, async (sandbox) => {
      await run(sandbox, 'mkdir -p "$1" && tar -xf - -C "$1"', [query.path], cannotWrite(query.path), body ?? Buffer.alloc(0));
    }),
  );
  apiRoute(app, API_ROUTES.getArchive, async ({ params, query, request, reply }) =>
    withCallerSandbox(request, params.id!, async (sandbox) => {
      const encoded = await run(sandbox, '[ -d "$1" ] || { echo "not a directory" >&2; exit 2; }; tar -cf - -C "$1" . | base64', [query.path], notFound(query.path));
      return reply.type("application/x-tar").send(Buffer.from(encoded, "base64"));
    }),
  );
}
