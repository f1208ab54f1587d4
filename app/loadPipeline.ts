// Loads a pipeline declaration and compiles it against the operator catalog and the built-in connectors: a
// misconfigured operator, source or sink is refused here, with the file, line and what was expected.
import { declarationError, parseDeclaration, type DeclarationSource } from "../pipeline/declaration.ts";
import { bindSentimentClassifiers } from "../pipeline/catalog/core.ts";
import { TransformerClassifier } from "../models/transformerClassifier.ts";
import { compilePipeline, type CompiledPipeline } from "../pipeline/graph.ts";
import { loadDeclaration } from "../pipeline/load.ts";
import { CONNECTORS } from "./connectors.ts";
import { loadUserOperators } from "./userOperators.ts";
import type { OperatorDef } from "../pipeline/operatorDef.ts";

/** Reads, checks and compiles a pipeline file, loading the operator modules it names by path and the models its nodes name. */
export async function loadPipeline(file: string): Promise<CompiledPipeline> {
  const { decl, source } = loadDeclaration(file);
  return withModels(compilePipeline(decl, source, CONNECTORS, await loadUserOperators(decl, file, source)), source);
}

/** Checks and compiles declaration text; operator modules named by path must be given (see loadPipeline). */
export function parsePipeline(text: string, file = "(inline)", userOperators?: ReadonlyMap<string, OperatorDef<unknown>>): CompiledPipeline {
  const { decl, source } = parseDeclaration(text, file);
  return withModels(compilePipeline(decl, source, CONNECTORS, userOperators), source);
}

/** Loads the transformer classifiers scoreSentiment nodes name; a bad directory is refused at its line. */
function withModels(p: CompiledPipeline, source: DeclarationSource): CompiledPipeline {
  return bindSentimentClassifiers(
    p,
    (o) => TransformerClassifier.load(o),
    (node, e) => {
      throw declarationError(source, ["nodes", node, "params", "transformer", "dir"], (e as Error).message);
    },
  );
}
