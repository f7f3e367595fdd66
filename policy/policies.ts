/**
 * The sandfleet policy pack's policies, as a plain list: index.ts serves them to the Pulumi engine, and
 * tests call their `validateResource` directly (importing index.ts would start the policy gRPC server).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { awsRequireImdsv2 } from "./rules/aws-imdsv2";
import { noUnencryptedVolumes } from "./rules/encrypted-volumes";
import { gcpBlockProjectSshKeys } from "./rules/gcp-project-ssh-keys";
import { noPlaintextDockerPort } from "./rules/plaintext-docker-port";
import { noPrivateKeyInUserData } from "./rules/user-data-private-keys";
import { noWorldOpenAdminPorts } from "./rules/world-open-ports";

export const sandfleetPolicies: ResourceValidationPolicy[] = [
  noWorldOpenAdminPorts,
  noPlaintextDockerPort,
  noUnencryptedVolumes,
  awsRequireImdsv2,
  gcpBlockProjectSshKeys,
  noPrivateKeyInUserData,
];
