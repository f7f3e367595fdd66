/**
 * One shape for "what a stack program registered", so the mock tier and the real language-host path can be
 * compared: each resource by type and name, its parent by type and name, and where its inputs carry secrets.
 * Stack outputs are compared by which ones are secret.
 */
import type { MockRecorder } from "../../support/pulumi-mocks";
import type { RecordingEngine } from "./recording-engine";
import { secretPaths } from "./wire-values";

const topLevelSecrets = (inputs: Record<string, unknown>): string[] =>
  [...new Set(secretPaths(inputs).map((path) => path.split(/[.[]/)[0]))].sort();

export interface GraphNode {
  /** `type::name`, unique in a stack. */
  key: string;
  /** The parent's `type::name`; absent for resources at the top of the program (children of the stack). */
  parent?: string;
  /**
   * Inputs that are or contain a secret, by top-level name (`privateKeyPem`, `connection`). Top-level, because
   * the two tiers place the marker differently inside a value (the mock monitor deserializes first and lifts
   * a nested secret to its container; the wire keeps it where the program put it), and the engine encrypts
   * whole property values in the state either way.
   */
  secretInputs: string[];
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** `type::name` of a URN: its last two segments, the type without its parents' `$` prefix. */
export function keyOfUrn(urn: string): string {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const type = parts[2].split("$").pop()!;
  return `${type}::${name}`;
}

const byKey = (a: GraphNode, b: GraphNode) => a.key.localeCompare(b.key);

export function graphOfRecordingEngine(engine: RecordingEngine): GraphNode[] {
  return engine.resources
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => ({
      key: `${r.type}::${r.name}`,
      ...(r.parent && r.parent !== engine.rootResource ? { parent: keyOfUrn(r.parent) } : {}),
      secretInputs: topLevelSecrets(r.inputs),
    }))
    .sort(byKey);
}

export function graphOfMocks(mocks: MockRecorder): GraphNode[] {
  return mocks.resources
    .map((r) => ({
      key: `${r.type}::${r.name}`,
      ...(r.parent ? { parent: keyOfUrn(r.parent) } : {}),
      secretInputs: topLevelSecrets(r.inputs),
    }))
    .sort(byKey);
}
