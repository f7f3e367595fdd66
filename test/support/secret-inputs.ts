/**
 * Secret inputs as the mocks record them: Pulumi wraps a secret value in an object marked with its signature
 * key (`rpc.specialSigKey`), the same wire form the engine receives. One definition for every mock-tier test.
 */
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { expect } from "vitest";

const SECRET_MARK: string = rpc.specialSigKey;

/** The value inside a recorded input when it is secret, else the input itself. */
export const unwrapSecret = (input: any): any => (input && typeof input === "object" && SECRET_MARK in input ? input.value : input);

/** The value inside a recorded input that must be secret; fails the test when it is not. */
export function secretValue(input: any): any {
  expect(input, "expected a secret input").toHaveProperty(SECRET_MARK);
  return input.value;
}
