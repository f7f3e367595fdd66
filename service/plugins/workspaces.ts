/**
 * Persistent workspaces over the API: create, list, inspect, start, stop, delete, snapshot, restore. Exec (buffered
 * and streamed), files and the shell are the sandboxes' own handlers (exec.ts, files.ts, shell.ts). The
 * owner is always the caller's API key, so another key's workspace is a 404 exactly like a name that never existed.
 * The runtime does the work (runtime/workspace/); this plugin maps requests onto it and fills in the audit row.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WorkspaceInfo } from "../../runtime/index";
import { API_ROUTES } from "../../runtime/api/routes";
import type { WorkspaceBody } from "../../runtime/api/schemas";
import { callerKey } from "../caller";
import { apiRoute } from "../route";

export function workspaceBody(info: WorkspaceInfo): WorkspaceBody {
  return {
    id: info.id,
    name: info.name,
    profile: info.profile,
    endpointId: info.endpointId,
    state: info.state,
    ...(info.reason ? { reason: info.reason } : {}),
    mountPath: info.mountPath,
    quotaGb: info.quotaGb,
    ...(info.diskUsedBytes !== undefined ? { diskUsedBytes: info.diskUsedBytes } : {}),
    labels: info.labels,
    createdAt: info.createdAt.toISOString(),
    lastActivityAt: info.lastActivityAt.toISOString(),
  };
}

/** The caller's id as owner, with the workspace recorded for the audit log once it is known. */
function owner(request: FastifyRequest, name?: string): string {
  const key = callerKey(request);
  if (name) {
    const record = request.server.sandfleet.workspaces.list(key.id).find((w) => w.name === name);
    if (record) Object.assign(request.audit, { workspaceId: record.id, endpointId: record.endpointId });
  }
  return key.id;
}

const audited = (request: FastifyRequest, info: WorkspaceInfo) => {
  Object.assign(request.audit, { workspaceId: info.id, endpointId: info.endpointId });
  return workspaceBody(info);
};

export async function workspacesPlugin(app: FastifyInstance): Promise<void> {
  const { workspaces } = app.sandfleet;
  apiRoute(app, API_ROUTES.createWorkspace, async ({ body, request }) => {
    const { start, ...spec } = body;
    return audited(request, await workspaces.create({ ...spec, owner: owner(request) } as never, { start: start ?? true }));
  });
  apiRoute(app, API_ROUTES.listWorkspaces, async ({ request }) => ({ workspaces: workspaces.list(owner(request)).map(workspaceBody) }));
  apiRoute(app, API_ROUTES.getWorkspace, async ({ params, request }) => audited(request, await workspaces.inspect(owner(request, params.name), params.name!)));
  apiRoute(app, API_ROUTES.startWorkspace, async ({ params, request }) => audited(request, await workspaces.startWorkspace(owner(request, params.name), params.name!)));
  apiRoute(app, API_ROUTES.stopWorkspace, async ({ params, request }) => audited(request, await workspaces.stop(owner(request, params.name), params.name!)));
  apiRoute(app, API_ROUTES.deleteWorkspace, async ({ params, query, request }) => {
    await workspaces.delete(owner(request, params.name), params.name!, { keepData: query.keepData === "true" });
  });
  apiRoute(app, API_ROUTES.workspaceSnapshot, async ({ params, request, reply }) => {
    const tar = await workspaces.snapshot(owner(request, params.name), params.name!);
    return reply.type("application/x-tar").send(tar);
  });
  apiRoute(app, API_ROUTES.restoreWorkspace, async ({ query, body, request }) => {
    const info = await workspaces.create(
      { name: query.name, owner: owner(request), ...(query.profile ? { profile: query.profile } : {}), ...(query.quotaGb ? { quotaGb: Number(query.quotaGb) } : {}) },
      { restoreFrom: body ?? Buffer.alloc(0) },
    );
    return audited(request, info);
  });
}
