// The built-in connectors, by name: what a pipeline declaration's sources (`connector:`) and sinks (`type:`) can
// name. A new connector is one module with a defineSource/defineSink spec, listed here.
import type { Connectors } from "../runtime/connectors.ts";
import { jetstreamSource } from "../sources/jetstreamInput.ts";
import { consoleSink, duckdbSink, natsSink } from "../sinks/outputSinks.ts";

export const CONNECTORS: Connectors = {
  sources: [jetstreamSource],
  sinks: [natsSink, duckdbSink, consoleSink],
};
