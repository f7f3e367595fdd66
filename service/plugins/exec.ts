/**
 * Commands in a sandbox or a workspace (the same handlers for both, see caller.ts CONTAINER_TARGETS): buffered (one JSON answer with exit code, stdout, stderr, timing) and streamed
 * (application/x-ndjson: one ExecStreamEvent line per output chunk as the command produces it, then one exit or
 * error line; `curl -N` prints it live). Rule for a client that goes away mid-stream: the command is killed (as on
 * a timeout) and the sandbox keeps its lease, usable for the next command, until released or expired (a workspace
 * stays running, stopped only when idle).
 */
import { StringDecoder } from "node:string_decoder";
import type { FastifyInstance } from "fastify";
import type { ExecOptions } from "../../runtime/index";
import type { ExecRequest, ExecStreamEvent } from "../../runtime/api/schemas";
import { toApiError } from "../api-error";
import { CONTAINER_TARGETS, withCallerContainer } from "../caller";
import { apiRoute } from "../route";

export function execOptions(body: ExecRequest): ExecOptions {
  const options: ExecOptions = {};
  if (body.env) options.env = body.env;
  if (body.cwd) options.cwd = body.cwd;
  if (body.timeoutMs) options.timeoutMs = body.timeoutMs;
  if (body.stdin !== undefined) options.stdin = body.stdin;
  if (body.stdinBase64 !== undefined) options.stdin = Buffer.from(body.stdinBase64, "base64");
  return options;
}

export async function execPlugin(app: FastifyInstance): Promise<void> {
  for (const { kind, param, routes } of CONTAINER_TARGETS) {
    apiRoute(app, routes.exec, async ({ params, body, request }) => withCallerContainer(request, kind, params[param]!, (target) => target.exec(body.argv, execOptions(body))));

    apiRoute(app, routes.execStream, async ({ params, body, request, reply }) => {
      await withCallerContainer(request, kind, params[param]!, async (target) => {
        const abort = new AbortController();
        const raw = reply.raw;
        const write = (event: ExecStreamEvent) => {
          if (!raw.destroyed) raw.write(`${JSON.stringify(event)}\n`);
        };
        reply.hijack();
        raw.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store", "x-content-type-options": "nosniff" });
        raw.flushHeaders();
        raw.on("close", () => {
          if (!raw.writableFinished) abort.abort();
        });
        // One decoder per stream: a chunk may end inside a multi-byte character.
        const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
        const flush = () => {
          for (const stream of ["stdout", "stderr"] as const) {
            const rest = decoders[stream].end();
            if (rest) write({ type: stream, data: rest });
          }
        };
        try {
          const result = await target.exec(body.argv, {
            ...execOptions(body),
            signal: abort.signal,
            onOutput: (stream, chunk) => {
              const data = decoders[stream].write(chunk);
              if (data) write({ type: stream, data });
            },
          });
          flush();
          write({ type: "exit", exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut });
        } catch (err) {
          const error = toApiError(err, target.endpointId);
          request.audit.outcome = error.code;
          write({ type: "error", error: error.body().error });
        }
        raw.end();
      });
    });
  }
}
