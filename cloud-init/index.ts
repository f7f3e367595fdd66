/**
 * sandfleet's cloud-init: one renderer of user-data for both host roles, and the post-boot TLS step that
 * follows it over SSH. Pure (no @pulumi): used by the cloud path, the `local` provider and the tests alike.
 */
export type { HostRole, DockerHostSettings, HostCloudConfig } from "./types";
export { CloudConfigInputError } from "./errors";
export { renderCloudConfig } from "./render";
export { decodeFileContent, deterministicGzip } from "./file-encoding";
export { validateHostCloudConfig } from "./validate";
export { DOCKER_TLS_PORT } from "./ports";
export { firewallRuleset, FIREWALL_RULES_PATH } from "./firewall";
export {
  postBootScript,
  postBootCommand,
  postBootWaitCommand,
  firewallRulesetBlock,
  parsePostBootResult,
  POST_BOOT_SCRIPT_REMOTE_PATH,
  POST_BOOT_SCRIPT_LOCAL_PATH,
  POST_BOOT_OK_MARKER,
  SANDFLEET_STATE_DIR,
} from "./post-boot";
export type { PostBootCommandArgs, PostBootWaitCommandArgs } from "./post-boot";
export { daemonJson, dockerdPath, DOCKER_TLS_DROP_IN, DOCKER_BASE_DROP_IN } from "./docker";
export { runscRuntimeArgs } from "./gvisor";
export { DEFAULT_SANDBOX_DNS, MAX_SANDBOX_DNS, sandboxDnsProblem } from "./sandbox-dns";
