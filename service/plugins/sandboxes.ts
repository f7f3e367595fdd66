/** Sandbox lifecycle routes: create (through the runtime pool), list the caller's, get one, extend the lease, release. */
import type { FastifyInstance } from "fastify";
import { API_ROUTES } from "../../runtime/api/routes";
import { apiRoute } from "../route";
import { callerKey } from "../caller";

export async function sandboxesPlugin(app: FastifyInstance): Promise<void> {
  const { leases, config } = app.sandfleet;
  apiRoute(app, API_ROUTES.createSandbox, async ({ body, request }) => {
    const key = callerKey(request);
    const info = await leases.create(key, { ...body, leaseMs: body.leaseMs ?? Math.min(config.defaultLeaseMs, key.limits.maxLeaseMs) });
    Object.assign(request.audit, { sandboxId: info.id, endpointId: info.endpointId });
    return info;
  });
  apiRoute(app, API_ROUTES.listSandboxes, async ({ request }) => ({ sandboxes: leases.list(callerKey(request)) }));
  apiRoute(app, API_ROUTES.getSandbox, async ({ params, request }) => {
    request.audit.sandboxId = params.id;
    return leases.info(callerKey(request), params.id!);
  });
  apiRoute(app, API_ROUTES.extendLease, async ({ params, body, request }) => {
    request.audit.sandboxId = params.id;
    return leases.extend(callerKey(request), params.id!, body.leaseMs);
  });
  apiRoute(app, API_ROUTES.releaseSandbox, async ({ params, request }) => {
    request.audit.sandboxId = params.id;
    const info = leases.release(callerKey(request), params.id!);
    request.audit.endpointId = info.endpointId;
    return info;
  });
}
