// What a live run appends to the hash-chained audit_log, in each batch's record transaction (with the recording it
// describes: both or neither), the anchor following once the batch committed: every order state (a risk rejection
// is an order `rejected` with its reason), every fill and kill-switch event (items of output nodes: what a pipeline
// declares a sink for; every shipped trading pipeline records its orders), and every message refused for its
// signature (forged, unsigned, stale: dead letters of stage `signature`).
import type { AuditLog } from "../ops/audit.ts";
import type { DeadLetterPort, OutputPort } from "../runtime/ports.ts";
import type { BoundOutput } from "../runtime/runDriver.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { KINDS, type Kind } from "../schemas/kinds.ts";
import type { Order } from "../schemas/order.ts";
import type { OrderEvent } from "../schemas/orderEvent.ts";

const AUDITED: ReadonlySet<Kind> = new Set<Kind>(["order", "fill", "orderEvent"]);

/** The audit action of a trading item: `order.<status>`, `fill`, `broker.kill_switch_tripped` / `_reset`. */
export function tradingAction(kind: Kind, item: unknown): string {
  if (kind === "order") return `order.${(item as Order).status}`;
  if (kind === "orderEvent") return `broker.${(item as OrderEvent).kind}`;
  return kind;
}

/**
 * The ports that audit a live run's trading outputs: one record-stage port per output node of an audited kind, and
 * one observe-stage port that anchors the new head after the commit.
 */
export function runAuditPorts(pipeline: CompiledPipeline, audit: AuditLog, runId: string): { outputs: BoundOutput[]; deadLetters: DeadLetterPort } {
  let appended = false;
  const record: OutputPort = {
    name: "audit",
    stage: "record",
    async write(node, kind, items) {
      if (!AUDITED.has(kind)) return;
      const type = KINDS[kind];
      const entries = items.map((item) => {
        const wire = type.encode(item as never) as { id?: string };
        return { action: tradingAction(kind, item), subject: wire.id ?? node, details: { run: runId, node, [kind]: wire } };
      });
      appended = (await audit.appendInTransaction(entries)).length > 0 || appended;
    },
  };
  const anchor: OutputPort = {
    name: "audit anchor",
    stage: "observe",
    async write() {
      if (!appended) return;
      appended = false;
      await audit.anchorHead();
    },
  };
  const refused: DeadLetterPort = {
    stage: "record",
    async write(letters) {
      const entries = letters
        .filter((l) => l.stage === "signature")
        .map((l) => ({ action: "message.refused", subject: l.ref, details: { run: runId, subject: l.subject, reason: l.reason } }));
      appended = (await audit.appendInTransaction(entries)).length > 0 || appended;
    },
  };
  const nodes = pipeline.outputs.filter((n) => AUDITED.has(pipeline.kindOf(n)));
  // The anchor port observes every output node (a batch may refuse messages and emit nothing audited).
  return {
    outputs: [...nodes.map((node) => ({ port: record, node })), ...pipeline.outputs.map((node) => ({ port: anchor, node }))],
    deadLetters: refused,
  };
}
