/**
 * A sandbox's egress (docs/egress.md): read its policy and what its host's proxy refused, or replace the policy of
 * the running sandbox. The change itself is an audit row (PUT .../egress with its outcome). Refusals are audit rows
 * of their own as soon as the pool sees them (egress-denial-audit.ts: method EGRESS, route "egress-denied
 * <host>:<port>", at the time the host logged it), whether or not anyone calls these routes; reading them here
 * adds no row twice (the pool counts each refusal once, whichever read saw it first).
 */
import type { FastifyInstance } from "fastify";
import { ZodError } from "zod";
import type { Sandbox } from "../../runtime/index";
import type { SandboxEgress } from "../../runtime/api/schemas";
import { API_ROUTES } from "../../runtime/api/routes";
import { ApiError } from "../api-error";
import { withCallerSandbox } from "../caller";
import { apiRoute } from "../route";

export async function egressPlugin(app: FastifyInstance): Promise<void> {
  const describe = async (sandbox: Sandbox): Promise<SandboxEgress> => ({ policy: sandbox.egressPolicy, denials: await sandbox.egressDenials() });

  apiRoute(app, API_ROUTES.getEgress, async ({ params, request }) => withCallerSandbox(request, params.id!, describe));
  apiRoute(app, API_ROUTES.setEgress, async ({ params, body, request }) =>
    withCallerSandbox(request, params.id!, async (sandbox) => {
      try {
        await sandbox.setEgress(body);
      } catch (err) {
        if (err instanceof ZodError) {
          const issue = err.issues[0]!;
          throw ApiError.of("INVALID_REQUEST", `egress.${issue.path.join(".")}: ${issue.message}`, "fix the policy (docs/egress.md)");
        }
        throw err;
      }
      return describe(sandbox);
    }),
  );
}
