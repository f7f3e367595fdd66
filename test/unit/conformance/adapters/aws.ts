/** AWS: instances list security group ids; EBS attachments, EIP associations and NLB target attachments reference instance ids. */
import { gunzipSync } from "node:zlib";
import type { MockRecorder, RecordedResource } from "../../../support/pulumi-mocks";
import { byId, hostnameOf, type ProviderAdapter, type ViewServer } from "./fleet-view";
import { inboundRulesOf } from "./inbound-rules";
import { readableUserData } from "../../../support/cloud-init-files";

/** The instance's user-data: gzip-compressed and base64-encoded by the AWS site. */
export function awsUserData(instance: RecordedResource): string {
  return readableUserData(instance.inputs.userData ?? gunzipSync(Buffer.from(instance.inputs.userDataBase64, "base64")).toString("utf8"));
}

export const awsAdapter: ProviderAdapter = {
  servers(mocks: MockRecorder): ViewServer[] {
    const ids = byId(mocks);
    return mocks.ofType("aws:ec2/instance:Instance").map((instance) => {
      const instanceId = String(instance.state.__id);
      const rules = (instance.inputs.vpcSecurityGroupIds ?? []).flatMap((id: string) => inboundRulesOf(ids.get(id)!));
      const volumes = mocks
        .ofType("aws:ec2/volumeAttachment:VolumeAttachment")
        .filter((a) => a.inputs.instanceId === instanceId)
        .map((a) => {
          const volume = ids.get(a.inputs.volumeId)!;
          return { origin: volume.name, encrypted: volume.inputs.encrypted === true };
        });
      const association = mocks.ofType("aws:ec2/eipAssociation:EipAssociation").find((a) => a.inputs.instanceId === instanceId);
      const eip = association && mocks.ofType("aws:ec2/eip:Eip").find((e) => e.state.allocationId === association.inputs.allocationId);
      return { hostname: hostnameOf(awsUserData(instance)), resource: instance, userData: awsUserData(instance), rules, volumes, stableIp: eip?.state.publicIp, publicIp: instance.state.publicIp };
    });
  },
  loadBalancerPoolTypes: ["aws:lb/targetGroup:TargetGroup"],
  loadBalancerTargets(mocks) {
    const ids = byId(mocks);
    const listenedGroups = new Set(
      mocks.ofType("aws:lb/listener:Listener").flatMap((l) => l.inputs.defaultActions.map((a: any) => a.targetGroupArn)),
    );
    return mocks
      .ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment")
      .filter((t) => listenedGroups.has(t.inputs.targetGroupArn))
      .map((t) => hostnameOf(awsUserData(ids.get(t.inputs.targetId)!)));
  },
};
