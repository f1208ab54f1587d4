// Turns `{ id, name, ...params }` entries of an indicators node into specs backed by the indicator registry
// (built, saved and restored through it).
import type { BarIndicatorState } from "../operators/indicators/barIndicator.ts";
import { lookupIndicator, parseIndicatorParams } from "../operators/indicators/registry.ts";
import type { IndicatorSpec } from "../operators/computeIndicators.ts";
import { TickflowError } from "../core/errors.ts";
import { StateRestoreError } from "../core/state.ts";

/** A bad indicator entry; the graph compiler reports it as a declaration error at `path`. */
export class IndicatorSpecError extends TickflowError {
  static override readonly code = "INDICATOR_SPEC_INVALID";
  override readonly name = "IndicatorSpecError";
  constructor(
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

export function indicatorSpec(entry: { id: string; name: string } & Record<string, unknown>, path: readonly (string | number)[]): IndicatorSpec {
  const { id, name, ...params } = entry;
  let def: ReturnType<typeof lookupIndicator>;
  try {
    def = lookupIndicator(name);
  } catch (e) {
    throw new IndicatorSpecError([...path, "name"], (e as Error).message);
  }
  const parsed = parseIndicatorParams(name, params);
  if (!parsed.ok) {
    const issue = parsed.issues[0]!;
    throw new IndicatorSpecError([...path, ...(issue.path ? issue.path.split(".") : [])], `indicator ${name}: ${issue.message}`);
  }
  return {
    id,
    outputs: def.outputs,
    create: () => def.create(parsed.params),
    restore: (saved) => {
      // The saved state carries the indicator's name and params: refuse one saved for another entry.
      const s = saved as BarIndicatorState;
      if (s.name !== name || JSON.stringify(s.params) !== JSON.stringify(parsed.params)) {
        throw new StateRestoreError(
          `indicator ${id}: the checkpoint holds ${s.name} ${JSON.stringify(s.params)}, this pipeline declares ${name} ${JSON.stringify(parsed.params)}`,
        );
      }
      return def.fromState(s);
    },
    unsupported: def.unsupported && `indicator ${id}: ${def.unsupported}`,
  };
}
