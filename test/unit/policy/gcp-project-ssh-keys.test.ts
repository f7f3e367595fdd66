import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { gcpBlockProjectSshKeys } from "../../../policy/rules/gcp-project-ssh-keys";
import { violationsOf } from "./validate";

describe.each([
  ["gcp Instance", t.gcp.instance],
  ["gcp InstanceTemplate", t.gcp.instanceTemplate],
])("gcp-block-project-ssh-keys on %s", (_label, type) => {
  it("passes block-project-ssh-keys set to true (any case)", async () => {
    expect(await violationsOf(gcpBlockProjectSshKeys, type, { metadata: { "block-project-ssh-keys": "true" } })).toEqual([]);
    expect(await violationsOf(gcpBlockProjectSshKeys, type, { metadata: { "block-project-ssh-keys": "TRUE" } })).toEqual([]);
  });

  it("reports an instance without the key and one with false", async () => {
    expect(await violationsOf(gcpBlockProjectSshKeys, type, { metadata: { "ssh-keys": "admin:ssh-ed25519 AAAA" } }, "ws-1")).toEqual([
      expect.stringContaining('ws-1: metadata "block-project-ssh-keys" is not set'),
    ]);
    expect(await violationsOf(gcpBlockProjectSshKeys, type, { metadata: { "block-project-ssh-keys": "false" } })).toEqual([
      expect.stringContaining('is "false"'),
    ]);
  });
});

describe("gcp-block-project-ssh-keys elsewhere", () => {
  it("does not look at other providers' servers", async () => {
    expect(await violationsOf(gcpBlockProjectSshKeys, t.aws.instance, { ami: "ami-1" })).toEqual([]);
  });
});
