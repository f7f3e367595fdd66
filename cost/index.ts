/** Cost estimates of a stack from dated price tables (see cost/prices/). Pure: no @pulumi. */
export { estimateStackCost, CostEstimateError } from "./estimate";
export type { CostEstimate, CostInput, CostItem, CostLine, CostOptions, Money } from "./estimate";
export { formatCostTable } from "./format-table";
export { readStackFile, stackNameOf, StackFileError } from "./read-stack-file";
export { priceTables } from "./prices";
export { costStackOutput } from "./stack-output";
export type { CostSummary } from "./stack-output";
