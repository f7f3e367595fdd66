/**
 * The ports whose exposure sandfleet decides the same way everywhere: the host firewall and dockerd
 * (cloud-init), every cloud's firewall (components/ingress re-exports these) and the stack config's checks.
 */

/** The Docker API port with mutual TLS (IANA: docker-s). 2375 (plain) is never used. */
export const DOCKER_TLS_PORT = 2376;
export const SSH_PORT = 22;
/** The plain-text Docker API: never opened, to anyone (dockerd never listens on it either). */
export const DOCKER_PLAIN_PORT = 2375;

/**
 * Ports that never admit the internet, whatever the stack asks for: SSH comes from adminCidrs only, the
 * Docker API (TLS) from a pool's dockerApiSources only, the plain Docker API from nowhere.
 */
export const NEVER_PUBLIC_PORTS: ReadonlySet<number> = new Set([SSH_PORT, DOCKER_PLAIN_PORT, DOCKER_TLS_PORT]);
