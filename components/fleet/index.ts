export { SandboxFleet } from "./sandbox-fleet";
export type { SandboxFleetArgs, PlatformOptions, WorkspacePoolOptions, CloudflareOptions } from "./args";
export { PLATFORM_VOLUME_MOUNT, WORKSPACE_VOLUME_MOUNT } from "./create-fleet";
export {
  planAddresses,
  addressPlanProblems,
  defaultAddressBlock,
  AddressPlanError,
  MAX_SERVERS_PER_POOL,
  type AddressPlan,
  type PlannedPool,
  type PlannedServer,
} from "./address-plan";
export { PLATFORM_SERVER_NAME, workspaceServerName, endpointId, workspaceDnsName, platformDnsName } from "./naming";
