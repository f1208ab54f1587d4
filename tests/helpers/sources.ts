// Test helper: a compiled JetStream source, as a pipeline declaring it would have it.
import type { CompiledSource } from "../../pipeline/graph.ts";

export const jetstreamSource = (name: string, kind: "trade" | "bar" | "news", rank: number, subjects: string[]): CompiledSource => ({
  name,
  kind,
  connector: "jetstream",
  params: {},
  subjects,
  rank,
});
