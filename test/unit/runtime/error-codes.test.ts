/**
 * Every typed error of the runtime has a stable `code` that follows one scheme (its class name in
 * SCREAMING_SNAKE_CASE without "Error"), so callers and the service's error bodies can switch on codes.
 */
import { describe, expect, it } from "vitest";
import * as errors from "../../../runtime/errors";
import { parseRegistry, RegistryError } from "../../../runtime/registry/schema";

const errorClasses = Object.entries(errors).filter(
  ([, value]) => typeof value === "function" && value.prototype instanceof errors.SandfleetError,
) as Array<[string, new (...args: never[]) => errors.SandfleetError]>;

const expectedCode = (className: string) =>
  className
    .replace(/Error$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase();

describe("runtime error codes", () => {
  it("covers every error class the runtime exports, RegistryError included", () => {
    expect(errorClasses.map(([name]) => name)).toEqual(expect.arrayContaining(["RegistryError", "ImageNotFoundError", "TlsHandshakeError"]));
  });

  it.each(errorClasses)("%s has the code its name gives and names itself", (className, ErrorClass) => {
    // Class fields are set by the constructor: build one with arguments that fit every constructor shape.
    const built = Reflect.construct(ErrorClass, ["x", ["y"], "detail"]) as errors.SandfleetError;
    expect(built).toBeInstanceOf(errors.SandfleetError);
    expect(built.code).toBe(expectedCode(className));
    expect(built.name).toBe(className);
  });

  it("raises RegistryError with code REGISTRY for a registry that cannot be used", () => {
    let caught: unknown;
    try {
      parseRegistry({ version: 99 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegistryError);
    expect(caught).toBeInstanceOf(errors.SandfleetError);
    expect(caught).toMatchObject({ code: "REGISTRY", name: "RegistryError" });
  });
});
