// Rows a predict node passes unscored are counted where an operator looks: /metrics (read from the model slots at
// each scrape) and /readyz through the deployment's probe (tests/app/modelDeployRestart.test.ts checks its text).
import { describe, expect, it } from "vitest";
import { TickflowMetrics } from "../../ops/metrics.ts";

describe("predict rows in /metrics", () => {
  it("exposes scored and unscored rows per node and outcome, as they are at the scrape", async () => {
    const m = new TickflowMetrics();
    const counters = { scored: { scored: 7, noModel: 3, warmUp: 2, nonFinite: 1 } };
    m.watchPredictNodes(() => counters);
    let text = await m.text();
    expect(text).toContain('tickflow_predict_rows{node="scored",outcome="no_model"} 3');
    expect(text).toContain('tickflow_predict_rows{node="scored",outcome="scored"} 7');
    counters.scored.noModel = 40;
    text = await m.text();
    expect(text).toContain('tickflow_predict_rows{node="scored",outcome="no_model"} 40');
  });
});
