// The built-in connectors, by name: what a pipeline declaration's sources (`connector:`) and sinks (`type:`) can
// name. A new connector is one module with a defineSource/defineSink spec, listed here.
import type { Connectors } from "../runtime/connectors.ts";
import { jetstreamSource } from "../sources/jetstreamInput.ts";
import { binanceSource } from "../sources/websocketTradeInput.ts";
import { consoleSink, duckdbSink, natsSink } from "../sinks/outputSinks.ts";
import { fileSource } from "../sources/fileInput.ts";
import { webhookSink } from "../sinks/webhookSink.ts";

export const CONNECTORS: Connectors = {
  sources: [jetstreamSource, binanceSource, fileSource],
  sinks: [natsSink, duckdbSink, consoleSink, webhookSink],
};
