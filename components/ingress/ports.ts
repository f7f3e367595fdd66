/**
 * The ports whose exposure sandfleet decides the same way on every cloud. They are defined with the
 * ports cloud-init configures dockerd and the host firewall with (cloud-init/ports.ts), so the cloud
 * firewalls, the daemon and the renderer's checks never disagree.
 */
export { DOCKER_PLAIN_PORT, DOCKER_TLS_PORT, NEVER_PUBLIC_PORTS, SSH_PORT } from "../../cloud-init/ports";
