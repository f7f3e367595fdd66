/**
 * Endpoint affinity with Kubernetes node-affinity semantics, evaluated on endpoint labels:
 * - required: a list of terms, ORed; each term a list of match expressions, ANDed.
 * - preferred: weighted terms (weight 1..100); every matching term adds its weight to the endpoint's score.
 * Operators as in Kubernetes: `In`, `NotIn` (also true when the label is absent), `Exists`, `DoesNotExist`,
 * `Gt`, `Lt` (the label value and the single operand are integers; a missing or non-integer label never matches).
 *
 * Pure: no I/O, unit-tested in test/unit/runtime/pool-affinity.test.ts.
 */
import { z } from "zod";

export type AffinityOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";

export interface AffinityExpression {
  key: string;
  operator: AffinityOperator;
  /** In/NotIn: one or more values; Gt/Lt: exactly one integer; Exists/DoesNotExist: none. */
  values?: string[];
}

/** Expressions ANDed. */
export interface AffinityTerm {
  matchExpressions: AffinityExpression[];
}

/** Required affinity: one term or several (ORed). */
export type RequiredAffinity = AffinityTerm | AffinityTerm[];

export interface PreferredAffinityTerm {
  /** 1..100, added to the endpoint's score when `preference` matches. */
  weight: number;
  preference: AffinityTerm;
}

const integer = /^-?\d+$/;

const expressionSchema = z
  .object({
    key: z.string().min(1),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
    values: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const n = e.values?.length ?? 0;
    if ((e.operator === "In" || e.operator === "NotIn") && n === 0) {
      ctx.addIssue({ code: "custom", message: `operator ${e.operator} on "${e.key}" needs at least one value in 'values'` });
    }
    if ((e.operator === "Exists" || e.operator === "DoesNotExist") && n > 0) {
      ctx.addIssue({ code: "custom", message: `operator ${e.operator} on "${e.key}" takes no 'values'; remove them` });
    }
    if ((e.operator === "Gt" || e.operator === "Lt") && (n !== 1 || !integer.test(e.values![0]!))) {
      ctx.addIssue({ code: "custom", message: `operator ${e.operator} on "${e.key}" needs exactly one integer in 'values', e.g. ["4"]` });
    }
  });

const termSchema = z
  .object({ matchExpressions: z.array(expressionSchema).min(1, "a term needs at least one match expression") })
  .strict();

export const requiredAffinitySchema = z.union([
  termSchema,
  z.array(termSchema).min(1, "an empty list of terms would match nothing; omit 'affinity' to allow every endpoint"),
]);

export const preferredAffinitySchema = z.array(
  z
    .object({ weight: z.number().int().min(1).max(100), preference: termSchema })
    .strict(),
);

/** Whether one expression holds for the labels. */
export function expressionMatches(expression: AffinityExpression, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
  const value = has ? labels[expression.key]! : undefined;
  const values = expression.values ?? [];
  switch (expression.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (value === undefined || !integer.test(value) || values.length !== 1 || !integer.test(values[0]!)) return false;
      const left = Number.parseInt(value, 10);
      const right = Number.parseInt(values[0]!, 10);
      return expression.operator === "Gt" ? left > right : left < right;
    }
    default: {
      const never: never = expression.operator;
      throw new Error(`unknown affinity operator ${String(never)}`);
    }
  }
}

/** Expressions ANDed; a term without expressions matches nothing (as in Kubernetes). */
export function termMatches(term: AffinityTerm, labels: Readonly<Record<string, string>>): boolean {
  return term.matchExpressions.length > 0 && term.matchExpressions.every((e) => expressionMatches(e, labels));
}

/** Terms ORed; no affinity at all (undefined) matches every endpoint. */
export function requiredAffinityMatches(affinity: RequiredAffinity | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (affinity === undefined) return true;
  const terms = Array.isArray(affinity) ? affinity : [affinity];
  return terms.some((term) => termMatches(term, labels));
}

/** Sum of the weights of the matching preferred terms, capped at `cap`. */
export function preferredAffinityScore(
  preferred: readonly PreferredAffinityTerm[] | undefined,
  labels: Readonly<Record<string, string>>,
  cap = 100,
): number {
  if (!preferred || preferred.length === 0) return 0;
  const sum = preferred.reduce((total, term) => total + (termMatches(term.preference, labels) ? term.weight : 0), 0);
  return Math.min(sum, cap);
}
