// tickflow's public library surface: what user code imports as "tickflow" (an operator module a pipeline names by
// path, a connector, a program that drives runs). Everything else is internal and may change.
export * from "./schemas/index.ts";
export { KINDS, SOURCE_KINDS, type Kind, type SourceKind } from "./schemas/kinds.ts";
export { TickflowError, isTickflowError } from "./core/errors.ts";
export { chunkOperator, mapItems, WATERMARK_START, WATERMARK_END, type Chunk, type ChunkHandler } from "./core/chunk.ts";
export { mergeByWatermark, type MergeHandler, type MergeOptions } from "./core/mergeByWatermark.ts";
export { defineOperator, duration, featureName, type OperatorDef, type OperatorContext } from "./pipeline/operatorDef.ts";
export { signalRule, type Decision, type SignalAction, type SignalRuleOptions } from "./operators/signalRule.ts";
export type { CompiledPipeline, CompiledSource, CompiledSink } from "./pipeline/graph.ts";
export type { SinkMeta, SourceMeta, RunMode } from "./pipeline/connectorSpec.ts";
export {
  defineSink,
  defineSource,
  serviceToken,
  Services,
  type SinkSpec,
  type SourceSpec,
  type SinkContext,
  type SourceContext,
  type ServiceToken,
} from "./runtime/connectors.ts";
export type { InputPort, InputBatch, InputOrigin, OutputPort, OutputStage, DeadLetterPort, InputRecorder, Timed } from "./runtime/ports.ts";
export { RunDriver, type RunDriverOptions, type BoundOutput, type RunJournal } from "./runtime/runDriver.ts";
export { MemoryInput, CollectingOutput } from "./runtime/memoryInput.ts";
export type { RunSummary, RunCounters } from "./runtime/pipelineRun.ts";
export { loadPipeline, parsePipeline } from "./app/loadPipeline.ts";
export { CONNECTORS } from "./app/connectors.ts";
export {
  SignatureVerifier,
  verifyFeedMessage,
  signedHeaders,
  canonicalBytes,
  REJECT_REASONS,
  type Keyring,
  type Verdict,
  type RejectReason,
  type SignatureVerifierOptions,
  type DeliveryInfo,
} from "./core/signing.ts";
export { loadKeyring, loadKeysFile, SigningKeyError, type SecretSource } from "./sinks/signingKeys.ts";
export { verifyStream, type StreamVerification, type StreamVerificationOptions } from "./sources/streamVerification.ts";
export { SecretStore, secretsFile, openConfiguredSecrets, SecretsKeyError, SecretsStoreError } from "./io/secrets.ts";
export { NATS_ROLES, rolePermissions, renderServerAuth, type NatsRole } from "./io/nats/auth.ts";
