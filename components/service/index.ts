/** The sandbox service on the platform server: Node runtime, bundle, API key and the Pulumi component that installs them. */
export { SandboxService, type SandboxServiceArgs } from "./sandbox-service";
export { ensureNodeTarball, nodeTarballCacheDir, sandfleetCacheDir, SERVICE_NODE, type NodeArch, type NodeTarball } from "./node-runtime";
export { buildServiceBundle, serviceEntry, type ServiceBundle } from "./service-bundle";
export { API_KEY_PREFIX, newServiceApiKey, serviceApiKey, serviceApiKeyHash, serviceUrl } from "./api-key";
