/**
 * The ports whose exposure sandfleet decides the same way on every cloud. The Docker TLS port is the one
 * cloud-init configures dockerd with (cloud-init/ports.ts), so the firewalls and the daemon never disagree.
 */
import { DOCKER_TLS_PORT } from "../../cloud-init/ports";

export { DOCKER_TLS_PORT };
export const SSH_PORT = 22;
/** The plain-text Docker API: never opened, to anyone (dockerd never listens on it either). */
export const DOCKER_PLAIN_PORT = 2375;

/**
 * Ports that never admit the internet, whatever the stack asks for: SSH comes from adminCidrs only, the
 * Docker API (TLS) from a pool's dockerApiSources only, the plain Docker API from nowhere.
 */
export const NEVER_PUBLIC_PORTS: ReadonlySet<number> = new Set([SSH_PORT, DOCKER_PLAIN_PORT, DOCKER_TLS_PORT]);
