// Model inference operators (issue 4).
import type { OperatorDef } from "../operatorDef.ts";

export const MODEL_OPERATORS: readonly OperatorDef<unknown>[] = [];
