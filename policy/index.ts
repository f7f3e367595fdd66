/**
 * sandfleet's CrossGuard policy pack. Run it with every preview and update:
 *
 *   pulumi preview --policy-pack policy
 *   pulumi up --policy-pack policy
 *
 * All rules are mandatory: a violation fails the preview. The rules live in policy/rules/, one per concept;
 * their unit tests (test/unit/policy/) call each `validateResource` on fixtures, without the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { sandfleetPolicies } from "./policies";

new PolicyPack("sandfleet", {
  description: "Security invariants of a sandfleet: closed admin ports, no plain-text Docker API, encrypted volumes, IMDSv2, no project-wide SSH keys, no keys in user-data.",
  enforcementLevel: "mandatory",
  policies: sandfleetPolicies,
});
