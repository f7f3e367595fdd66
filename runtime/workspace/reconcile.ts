/**
 * Makes the two records of a workspace agree: the store (the service's database) and the hosts (volumes and
 * containers with workspace labels). Run at start and on demand; returns what it fixed, one line per fix.
 * Only endpoints that are in the registry and answer are looked at: a record on a host that is gone or silent is
 * left alone (listed unavailable), never dropped and never recreated elsewhere.
 *   - a volume without a record (a crash between the volume and the record, a database restored from an older
 *     backup, a delete with keepData): adopted, its record rebuilt from the volume's labels;
 *   - a record whose volume is gone from its answering host (removed by hand): forgotten, and reported;
 *   - a workspace container this process does not drive (an earlier run's, a broken one) or an io helper a crash
 *     left: removed; the volume stays, and the next request starts a fresh container.
 */
import type { EndpointClient } from "../docker/endpoint-client";
import type { AccessibleEndpoint } from "../pool/endpoint-access";
import { recordFromLabels, WORKSPACE_LABELS } from "./labels";
import type { WorkspaceStore } from "./record";
import { listWorkspaceVolumes } from "./volume";

export interface ReconcileFix {
  workspaceId: string;
  endpointId: string;
  action: "adopted-volume" | "forgot-record" | "removed-container";
  detail: string;
}

export interface ReconcileReport {
  fixes: ReconcileFix[];
  /** Endpoints that could not be listed (their workspaces were left as they were). */
  skipped: { endpointId: string; error: string }[];
}

export interface ReconcileContext {
  store: WorkspaceStore;
  endpoints: AccessibleEndpoint[];
  client: (endpoint: AccessibleEndpoint) => EndpointClient;
  /** Whether this process drives a container for the workspace. */
  running: (id: string) => boolean;
}

export async function reconcileWorkspaces(context: ReconcileContext): Promise<ReconcileReport> {
  const report: ReconcileReport = { fixes: [], skipped: [] };
  await Promise.all(
    context.endpoints.map(async (endpoint) => {
      try {
        await reconcileEndpoint(context, endpoint, report);
      } catch (err) {
        report.skipped.push({ endpointId: endpoint.id, error: (err as Error).message });
      }
    }),
  );
  return report;
}

async function reconcileEndpoint(context: ReconcileContext, endpoint: AccessibleEndpoint, report: ReconcileReport): Promise<void> {
  const client = context.client(endpoint);
  const volumes = await listWorkspaceVolumes(client);
  const onHost = new Set<string>();
  for (const volume of volumes) {
    const record = recordFromLabels(volume.Labels ?? undefined, endpoint.id);
    if (!record) continue;
    onHost.add(record.id);
    if (context.store.get(record.id)) continue;
    if (context.store.byName(record.owner, record.name)) continue; // the name was reused since: the volume stays for an operator
    context.store.insert(record);
    report.fixes.push({ workspaceId: record.id, endpointId: endpoint.id, action: "adopted-volume", detail: `volume ${volume.Name} had no record; adopted as "${record.name}" of ${record.owner}` });
  }
  for (const record of context.store.list()) {
    if (record.endpointId !== endpoint.id || onHost.has(record.id)) continue;
    context.store.remove(record.id);
    report.fixes.push({ workspaceId: record.id, endpointId: endpoint.id, action: "forgot-record", detail: `workspace "${record.name}" of ${record.owner}: its volume is gone from ${endpoint.id}; the record was removed` });
  }
  // Any value of the id label (listContainers(labels) matches exact values only).
  const all = await client.call("list containers", (docker) => docker.listContainers({ all: true, filters: { label: [WORKSPACE_LABELS.id] } }));
  for (const c of all) {
    const id = c.Labels?.[WORKSPACE_LABELS.id];
    if (!id) continue;
    const role = c.Labels?.[WORKSPACE_LABELS.role];
    if (role === "run" && context.running(id)) continue;
    await client.removeContainer(c.Id);
    report.fixes.push({ workspaceId: id, endpointId: endpoint.id, action: "removed-container", detail: `container ${(c.Names?.[0] ?? c.Id).replace(/^\//, "")} (${role}) was not driven by this process; removed (data kept)` });
  }
}
