/**
 * @sandfleet/runtime: warm gVisor sandboxes across the endpoints of a sandfleet registry.
 * This file is the package's public surface: the CommonJS build's exports, which the ESM entry
 * (dist/index.mjs, written by scripts/write-esm-entry.cjs) re-exports name by name.
 *
 *   const pool = await createPool({ registryFile: "registry.json", profiles: { default: { image: "debian:trixie-slim" } } });
 *   const sandbox = await pool.acquire();
 *   await sandbox.putFile("/work/main.sh", code);
 *   const { exitCode, stdout } = await sandbox.exec(["sh", "/work/main.sh"], { timeoutMs: 10_000 });
 *   await sandbox.release();
 *   await pool.close();
 */
export * from "./pool/index";
export * from "./errors";
export * from "./workspace/index";
export { parseRegistry, readRegistryFile, REGISTRY_VERSION } from "./registry/schema";
export type { Endpoint, EndpointRegistry, RegistryTls, Capacity } from "./registry/schema";
export type { SandboxProfile, SandboxProfileInput } from "./sandbox/profile";
export { narrowEgress } from "./sandbox/egress";
export type { EgressPolicy, EgressPolicyInput } from "./sandbox/egress";
export type { EgressDenial } from "./sandbox/egress-host";
export type { Terminal, TerminalOptions } from "./sandbox/terminal";
export { startStatusServer } from "./http/status-server";
export type { StatusServer, StatusServerOptions } from "./http/status-server";
export { SandboxApiClient, SandboxApiError } from "./api/client";
export type { SandboxApiClientOptions, ShellConnection } from "./api/client";
export type * from "./api/schemas";
