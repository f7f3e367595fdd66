/**
 * A sandbox's egress (docs/egress.md): read its policy and what its host's proxy refused, or replace the policy of
 * the running sandbox. The change itself is an audit row (PUT .../egress with its outcome); each refusal the service
 * reads for the first time becomes an audit row of its own (method EGRESS, route "egress-denied <host>:<port>",
 * outcome "denied", at the time the host logged it), so an operator sees in one table what an agent tried.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import type { Sandbox } from "../../runtime/index";
import type { SandboxEgress } from "../../runtime/api/schemas";
import { API_ROUTES } from "../../runtime/api/routes";
import { ApiError } from "../api-error";
import { withCallerSandbox } from "../caller";
import { apiRoute } from "../route";

export async function egressPlugin(app: FastifyInstance): Promise<void> {
  /** Per sandbox: how many of its denials are in the audit log already. */
  const audited = new Map<string, number>();

  const describe = async (request: FastifyRequest, sandbox: Sandbox): Promise<SandboxEgress> => {
    const denials = await sandbox.egressDenials();
    const seen = audited.get(sandbox.name) ?? 0;
    for (const denial of denials.slice(seen)) {
      app.sandfleet.audit.record(
        {
          keyId: request.audit.key?.id,
          sandboxId: sandbox.name,
          endpointId: sandbox.endpointId,
          method: "EGRESS",
          route: `egress-denied ${denial.host}:${denial.port}`,
          status: 403,
          outcome: "denied",
          durationMs: 0,
        },
        Date.parse(denial.time) || Date.now(),
      );
    }
    audited.set(sandbox.name, denials.length);
    return { policy: sandbox.egressPolicy, denials };
  };

  apiRoute(app, API_ROUTES.getEgress, async ({ params, request }) => withCallerSandbox(request, params.id!, (sandbox) => describe(request, sandbox)));
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
      return describe(request, sandbox);
    }),
  );
}
