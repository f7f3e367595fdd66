import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { awsRequireImdsv2 } from "../../../policy/rules/aws-imdsv2";
import { violationsOf } from "./validate";

describe.each([
  ["aws Instance", t.aws.instance],
  ["aws LaunchTemplate", t.aws.launchTemplate],
])("aws-require-imdsv2 on %s", (_label, type) => {
  it("passes httpTokens required with hop limit 1", async () => {
    const props = { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } };
    expect(await violationsOf(awsRequireImdsv2, type, props)).toEqual([]);
  });

  it("passes a disabled metadata endpoint", async () => {
    expect(await violationsOf(awsRequireImdsv2, type, { metadataOptions: { httpEndpoint: "disabled" } })).toEqual([]);
  });

  it("reports httpTokens optional", async () => {
    const violations = await violationsOf(awsRequireImdsv2, type, { metadataOptions: { httpTokens: "optional" } }, "ws-1");
    expect(violations).toEqual([expect.stringContaining('ws-1: metadataOptions.httpTokens is "optional"')]);
  });

  it("reports missing metadataOptions, which leaves IMDSv1 on", async () => {
    expect(await violationsOf(awsRequireImdsv2, type, {})).toEqual([expect.stringContaining("is not set")]);
  });
});

describe("aws-require-imdsv2 elsewhere", () => {
  it("does not look at other providers' servers", async () => {
    expect(await violationsOf(awsRequireImdsv2, t.hcloud.server, { serverType: "cx33" })).toEqual([]);
  });
});
