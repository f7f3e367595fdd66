/** The Docker API port with mutual TLS (IANA: docker-s). 2375 (plain) is never used. */
export const DOCKER_TLS_PORT = 2376;
