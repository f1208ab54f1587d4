// Reads a pipeline file (the one file read of the pipeline layer); app/loadPipeline.ts compiles it.
import { readFileSync } from "node:fs";
import { parseDeclaration, PipelineDeclarationError, type DeclarationSource, type PipelineDecl } from "./declaration.ts";

export function loadDeclaration(file: string): { decl: PipelineDecl; source: DeclarationSource } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PipelineDeclarationError(file, [], `cannot read the pipeline file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseDeclaration(text, file);
}
