/**
 * sandfleet runtime: warm gVisor sandboxes across the endpoints of a sandfleet registry.
 *
 *   const pool = await createPool({ registryFile: "registry.json", profiles: { default: { image: "python:3.12-slim" } } });
 *   const sandbox = await pool.acquire();
 *   await sandbox.putFile("/work/main.py", code);
 *   const { exitCode, stdout } = await sandbox.exec(["python3", "/work/main.py"], { timeoutMs: 10_000 });
 *   await sandbox.release();
 *   await pool.close();
 */
export * from "./pool/index";
export * from "./errors";
export { parseRegistry, readRegistryFile, REGISTRY_VERSION } from "./registry/schema";
export type { Endpoint, EndpointRegistry, RegistryTls, Capacity } from "./registry/schema";
export type { SandboxProfile, SandboxProfileInput } from "./sandbox/profile";
export { startStatusServer } from "./http/status-server";
export type { StatusServer, StatusServerOptions } from "./http/status-server";
