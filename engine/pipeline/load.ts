// Loads and compiles a pipeline file in one step.
import { loadDeclaration, parseDeclaration } from "./declaration.ts";
import { compilePipeline, type CompiledPipeline } from "./graph.ts";

export function loadPipeline(file: string): CompiledPipeline {
  const { decl, source } = loadDeclaration(file);
  return compilePipeline(decl, source);
}

export function parsePipeline(text: string, file = "(inline)"): CompiledPipeline {
  const { decl, source } = parseDeclaration(text, file);
  return compilePipeline(decl, source);
}
