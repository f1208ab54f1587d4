// The operator catalog: every operator a pipeline declaration can name. Each area keeps its entries in
// its own file under ops/ (inputs, output kind, typed parameters with documented defaults, how to build).
import { CORE_OPERATORS } from "./catalog/core.ts";
import { WINDOW_OPERATORS } from "./catalog/windows.ts";
import { MODEL_OPERATORS } from "./catalog/models.ts";
import { TRADING_OPERATORS } from "./catalog/trading.ts";
import type { OperatorDef } from "./operatorDef.ts";

export type { OperatorContext, OperatorDef } from "./operatorDef.ts";

export const OPERATORS: readonly OperatorDef<unknown>[] = [...CORE_OPERATORS, ...WINDOW_OPERATORS, ...MODEL_OPERATORS, ...TRADING_OPERATORS];

const BY_NAME = new Map(OPERATORS.map((o) => [o.name, o]));

export function findOperator(name: string): OperatorDef<unknown> | undefined {
  return BY_NAME.get(name);
}
