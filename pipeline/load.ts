// Reads a pipeline file and compiles it in one step (the one file read of the pipeline layer).
import { readFileSync } from "node:fs";
import { parseDeclaration, PipelineDeclarationError, type DeclarationSource, type PipelineDecl } from "./declaration.ts";
import { compilePipeline, type CompiledPipeline } from "./graph.ts";

export function loadPipeline(file: string): CompiledPipeline {
  const { decl, source } = loadDeclaration(file);
  return compilePipeline(decl, source);
}

export function parsePipeline(text: string, file = "(inline)"): CompiledPipeline {
  const { decl, source } = parseDeclaration(text, file);
  return compilePipeline(decl, source);
}

export function loadDeclaration(file: string): { decl: PipelineDecl; source: DeclarationSource } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PipelineDeclarationError(file, [], `cannot read the pipeline file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseDeclaration(text, file);
}
