/**
 * The README shows the lines `npm start` prints for the sandbox service (local/service.ts serviceCurlLines); the
 * e2e test runs them. This keeps the README's copy equal to what is printed and run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readmeServicePaths, serviceCurlLines } from "../../../local/service";

describe("the README's sandbox-service lines", () => {
  it("are the lines npm start prints for the default fleet, in order, in one sh block", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const lines = serviceCurlLines(readmeServicePaths);
    expect(readme).toContain("```sh\n" + lines.join("\n") + "\n```");
  });
});
