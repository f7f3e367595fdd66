/**
 * Builds the endpoint registry (runtime/registry/schema.ts, the one contract with the pool runtime)
 * from resolved values, and validates it with the runtime's own schema before it leaves the stack.
 * Pure: no @pulumi import, so it is tested directly.
 */
import { parseRegistry, REGISTRY_VERSION, type Endpoint, type EndpointRegistry, type RegistryTls } from "../../runtime/registry/schema";
import { parsePostBootReport } from "../post-boot/report";

export interface EndpointCandidate {
  endpoint: Endpoint;
  /** stdout of the server's post-boot step; the endpoint is listed only if it reported success. */
  postBootStdout: string | undefined;
}

export interface BuiltRegistry {
  registry: EndpointRegistry;
  /** Endpoint ids left out because their post-boot step did not report success (with the expected runtime). */
  skipped: string[];
}

export function buildEndpointRegistry(stack: string, tls: RegistryTls, candidates: EndpointCandidate[]): BuiltRegistry {
  const listed: Endpoint[] = [];
  const skipped: string[] = [];
  for (const candidate of candidates) {
    const report = parsePostBootReport(candidate.postBootStdout);
    // The script checks the default runtime itself; a report saying otherwise still keeps the server out.
    const runtimeOk = report !== undefined && (report.defaultRuntime === undefined || report.defaultRuntime === candidate.endpoint.runtime);
    if (runtimeOk) listed.push(candidate.endpoint);
    else skipped.push(candidate.endpoint.id);
  }
  const registry = parseRegistry({ version: REGISTRY_VERSION, stack, tls, endpoints: listed }, `endpointRegistry of stack ${stack}`);
  return { registry, skipped };
}
