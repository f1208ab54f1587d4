// Window, resampling and join operators (issue 3).
import type { OperatorDef } from "../operatorDef.ts";

export const WINDOW_OPERATORS: readonly OperatorDef<unknown>[] = [];
