/**
 * Where each provider keeps a server's user-data, and whether the field is base64.
 * All of these are stored in plain text by the provider and served to the VM (and to anything on the VM
 * that can reach the metadata address), whatever Pulumi's secret flag says.
 */
import { resourceTypes as t } from "./resource-types";

export interface UserDataField {
  /** Property path, for messages (e.g. `osProfile.customData`). */
  field: string;
  value: string;
  base64: boolean;
}

/** The user-data fields of `props` that are set, for server-like resources; [] otherwise. */
export function userDataFieldsOf(type: string, props: Record<string, any>): UserDataField[] {
  const fields: UserDataField[] = [];
  const add = (field: string, value: unknown, base64: boolean) => {
    if (typeof value === "string" && value.length > 0) fields.push({ field, value, base64 });
  };
  switch (type) {
    case t.hcloud.server:
      add("userData", props.userData, false);
      break;
    case t.aws.instance:
      add("userData", props.userData, false);
      add("userDataBase64", props.userDataBase64, true);
      break;
    case t.aws.launchTemplate:
      add("userData", props.userData, true);
      break;
    case t.gcp.instance:
    case t.gcp.instanceTemplate:
      // Every metadata value is readable on the metadata server; user-data and startup-script are the
      // usual carriers, but a key stashed under any other name leaks the same way.
      for (const [key, value] of Object.entries(props.metadata ?? {})) add(`metadata["${key}"]`, value, false);
      add("metadataStartupScript", props.metadataStartupScript, false);
      break;
    case t.azure.virtualMachine:
      add("osProfile.customData", props.osProfile?.customData, true);
      add("userData", props.userData, true);
      break;
    case t.digitalocean.droplet:
      add("userData", props.userData, false);
      break;
  }
  return fields;
}
