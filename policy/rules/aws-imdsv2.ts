/**
 * AWS instances require IMDSv2 (session tokens) for the instance metadata service.
 *
 * IMDSv1 answers any GET to 169.254.169.254, so a server-side request forgery or a container that escapes
 * its network rules can read the instance's role credentials and user-data. With `httpTokens: "required"`
 * a PUT with a hop-limited token is needed first. Turning the endpoint off entirely is accepted too.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { resourceTypes as t } from "../resource-types";

export const awsRequireImdsv2: ResourceValidationPolicy = {
  name: "aws-require-imdsv2",
  description: "AWS instances and launch templates set metadataOptions.httpTokens to \"required\" (IMDSv2).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    'Set metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } on the instance or launch template.',
  validateResource: (args, reportViolation) => {
    if (args.type !== t.aws.instance && args.type !== t.aws.launchTemplate) return;
    const options = args.props.metadataOptions ?? {};
    if (String(options.httpEndpoint ?? "").toLowerCase() === "disabled") return;
    if (String(options.httpTokens ?? "").toLowerCase() === "required") return;
    const now = options.httpTokens === undefined ? "is not set (AWS then allows IMDSv1)" : `is "${options.httpTokens}"`;
    reportViolation(`${args.name}: metadataOptions.httpTokens ${now}. Set it to "required" to enforce IMDSv2.`);
  },
};
