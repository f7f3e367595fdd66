export { PostBootStep, tlsBundle, type PostBootStepArgs } from "./post-boot-step";
export { DEFAULT_ROLLOUT_WAVES, rolloutWaveSize, rolloutPredecessor } from "./rollout-waves";
export { HostReadiness, type HostReadinessArgs } from "./host-readiness";
export { sshConnection, FRESH_SERVER_DIAL_ERROR_LIMIT, JUMP_HOST_DIAL_ERROR_LIMIT, type JumpHost, type SshConnectionArgs, type SshTarget } from "./ssh-connection";
export { parsePostBootReport, POST_BOOT_OK_MARKER, type PostBootReport } from "./report";
