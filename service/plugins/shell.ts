/**
 * The interactive shell: a WebSocket at /v1/sandboxes/{id}/shell?cols=&rows= (or /v1/workspaces/{name}/shell, the
 * same handler, see caller.ts CONTAINER_TARGETS) joined to a PTY in the container (runtime Terminal). Client frames are ShellClientMessage JSON (stdin, resize), server frames ShellServerMessage
 * JSON (stdout, then exit or error); schemas in runtime/api/schemas.ts. The key is checked on the upgrade request
 * like any other route, and so is the container: another key's (or none) is a plain HTTP 404 before the upgrade.
 *
 * Rule for a client that goes away: its terminal gets EOF (an interactive sh exits), the sandbox keeps its lease
 * until released or expired, and nothing of the connection stays open on the service. A session's audit row
 * (status 101) is written when it ends: the program exited, or the client went away. An open session is one
 * operation in flight on a workspace, so idle auto-stop never stops a workspace under its shell.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { fastifyPath } from "../../runtime/api/routes";
import { shellClientMessageSchema, ShellServerMessage } from "../../runtime/api/schemas";
import { toApiError } from "../api-error";
import { assertCallerContainer, CONTAINER_TARGETS, withCallerContainer } from "../caller";
import { describeIssues } from "../route";

export async function shellPlugin(app: FastifyInstance): Promise<void> {
  for (const { kind, param, routes } of CONTAINER_TARGETS) {
    const ref = (request: FastifyRequest) => (request.params as Record<string, string>)[param]!;
    app.get(
      fastifyPath(routes.shell.path),
      { websocket: true, config: { auth: true }, preValidation: async (request) => assertCallerContainer(request, kind, ref(request)) },
      async (socket: WebSocket, request) => {
        const started = performance.now();
        const send = (message: ShellServerMessage) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
        };
        const query = request.query as Record<string, string | undefined>;
        const size = (value: string | undefined, fallback: number) => Math.min(1000, Math.max(1, Number.parseInt(value ?? "", 10) || fallback));
        // Listen at once: messages that arrive while the terminal is being opened are kept, not lost.
        const early: unknown[] = [];
        let deliver: (message: unknown) => void = (message) => early.push(message);
        socket.on("message", (raw) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw.toString());
          } catch {
            parsed = undefined;
          }
          deliver(parsed);
        });
        try {
          await withCallerContainer(request, kind, ref(request), async (target) => {
            const terminal = await target.openTerminal({ cols: size(query.cols, 80), rows: size(query.rows, 24) });
            terminal.stream.on("data", (chunk: Buffer) => send({ type: "stdout", data: chunk.toString("utf8") }));
            deliver = (parsed) => {
              const message = shellClientMessageSchema.safeParse(parsed);
              if (!message.success) {
                send({ type: "error", error: { code: "INVALID_REQUEST", message: describeIssues("message", message.error), hint: 'send {"type":"stdin","data":"..."} or {"type":"resize","cols":N,"rows":N}' } });
                return;
              }
              if (message.data.type === "stdin") terminal.stream.write(message.data.data);
              else terminal.resize(message.data.cols, message.data.rows).catch(() => undefined);
            };
            for (const message of early.splice(0)) deliver(message);
            // The client gone: EOF to the terminal, and the session is over for the service even if a program in it
            // ignores the EOF, so its audit row is written and a workspace's operation ends (idle time counts again).
            const gone =
              socket.readyState === socket.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => socket.once("close", () => resolve()));
            void gone.then(() => terminal.close());
            const exitCode = await Promise.race([terminal.exited, gone.then(() => undefined)]);
            if (exitCode !== undefined) send({ type: "exit", exitCode });
          });
        } catch (err) {
          const error = toApiError(err);
          request.audit.outcome = error.code;
          send({ type: "error", error: error.body().error });
        }
        socket.close();
        // An upgraded request never gets fastify's onResponse (the reply is hijacked): its audit row is written here,
        // once the session is over, with the session's length as its duration.
        const { audit } = request;
        app.sandfleet.audit.record({
          keyId: audit.key?.id,
          sandboxId: audit.sandboxId,
          workspaceId: audit.workspaceId,
          endpointId: audit.endpointId,
          method: "GET",
          route: fastifyPath(routes.shell.path),
          status: 101,
          outcome: audit.outcome ?? "ok",
          durationMs: performance.now() - started,
        });
      },
    );
  }
}
