import { describe, expect, it } from "vitest";
import { otherDebianReleaseProblem } from "../../../cloud-init/debian-release";
import { digitaloceanConfigSchema } from "../../../components/digitalocean/config";
import { gcpConfigSchema } from "../../../components/gcp/config";
import { azureConfigSchema } from "../../../components/azure/config";

describe("an image setting that names another Debian release", () => {
  it.each(["debian-12", "debian-cloud/debian-12", "debian-12-x64", "Debian:debian-11:11-gen2:latest", "debian12"])("is refused: %s", (image) =>
    expect(otherDebianReleaseProblem(image)).toMatch(/^names Debian 1[12], but sandfleet's user-data targets Debian 13/));
  it.each(["debian-13", "debian-cloud/debian-13", "debian-13-x64", "debian-13-arm64", "my-snapshot-42", "ubuntu-24.04", "123456789"])("passes: %s", (image) =>
    expect(otherDebianReleaseProblem(image)).toBeUndefined());
  it("is refused by every provider whose image is a name", () => {
    expect(digitaloceanConfigSchema.safeParse({ image: "debian-12-x64" }).success).toBe(false);
    expect(gcpConfigSchema.safeParse({ image: "debian-cloud/debian-12" }).success).toBe(false);
    expect(azureConfigSchema.safeParse({ image: { publisher: "Debian", offer: "debian-12", sku: "12-gen2" } }).success).toBe(false);
    expect(azureConfigSchema.safeParse({}).success).toBe(true);
  });
});
