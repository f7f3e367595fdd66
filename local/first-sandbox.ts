/**
 * The last step of `npm start`: a sandbox acquired through the pool runtime from the local registry, a
 * command run in it under gVisor, the sandbox released. Proves the whole path a real application takes.
 */
import { createPool } from "../runtime/index";
import type { EndpointRegistry } from "../runtime/registry/schema";
import { LOCAL_SANDBOX_IMAGE } from "./sandbox-image";

export interface FirstSandboxResult {
  endpointId: string;
  command: string[];
  exitCode: number;
  stdout: string;
}

/** Acquires one sandbox (minIdle 0: created on demand), runs `command`, releases it, closes the pool. */
export async function runFirstSandbox(registry: EndpointRegistry, command: string[] = ["uname", "-r"]): Promise<FirstSandboxResult> {
  const pool = await createPool({
    registry,
    poolId: `${registry.stack}-first-sandbox`,
    minIdle: 0,
    acquireTimeoutMs: 120_000,
    profiles: { default: { image: LOCAL_SANDBOX_IMAGE } },
  });
  try {
    const sandbox = await pool.acquire({ timeoutMs: 120_000 });
    try {
      const result = await sandbox.exec(command, { timeoutMs: 30_000 });
      return { endpointId: sandbox.endpointId, command, exitCode: result.exitCode, stdout: result.stdout.trim() };
    } finally {
      await sandbox.release();
    }
  } finally {
    await pool.close();
  }
}
