// Strategy, broker and portfolio operators (issue 5).
import type { OperatorDef } from "../operatorDef.ts";

export const TRADING_OPERATORS: readonly OperatorDef<unknown>[] = [];
