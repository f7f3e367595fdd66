export { buildEndpointRegistry, type BuiltRegistry, type EndpointCandidate } from "./build-registry";
export { endpointRegistryOutput, type EndpointRegistryArgs, type RegistryServer } from "./endpoint-registry";
export { RegistryDelivery, REGISTRY_REMOTE_PATH, CLIENT_TLS_REMOTE_DIR, type RegistryDeliveryArgs } from "./registry-delivery";
