// Loads a pipeline declaration and compiles it against the operator catalog and the built-in connectors: a
// misconfigured operator, source or sink is refused here, with the file, line and what was expected.
import { parseDeclaration } from "../pipeline/declaration.ts";
import { compilePipeline, type CompiledPipeline } from "../pipeline/graph.ts";
import { loadDeclaration } from "../pipeline/load.ts";
import {  } from "../app/loadPipeline.ts";
import { CONNECTORS } from "./connectors.ts";

export function loadPipeline(file: string): CompiledPipeline {
  const { decl, source } = loadDeclaration(file);
  return compilePipeline(decl, source, CONNECTORS);
}

export function parsePipeline(text: string, file = "(inline)"): CompiledPipeline {
  const { decl, source } = parseDeclaration(text, file);
  return compilePipeline(decl, source, CONNECTORS);
}
