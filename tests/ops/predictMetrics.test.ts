// What an operator alerts on, in /metrics: rows a predict node passes unscored (read from the model slots at each
// scrape; /readyz's text is checked in tests/app/modelDeployRestart.test.ts), the kill switch per account, readiness.
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

describe("kill switch and readiness in /metrics", () => {
  it("tickflow_kill_switch follows the tripped and reset events of each account", async () => {
    const m = new TickflowMetrics();
    const ev = (account: string, kind: string) => ({ id: `${account}:${kind}`, account, tsEvent: 1n, kind, reason: "r", equity: 1 });
    m.outputs("riskEvents", "orderEvent", [ev("paper", "kill_switch_tripped")]);
    expect(await m.text()).toContain('tickflow_kill_switch{account="paper"} 1');
    m.outputs("riskEvents", "orderEvent", [ev("paper", "kill_switch_reset"), ev("other", "kill_switch_tripped")]);
    const text = await m.text();
    expect(text).toContain('tickflow_kill_switch{account="paper"} 0');
    expect(text).toContain('tickflow_kill_switch{account="other"} 1');
  });
  it("tickflow_ready is what the readiness check says at the scrape", async () => {
    const m = new TickflowMetrics();
    let ready = false;
    m.watchReadiness(async () => ready);
    expect(await m.text()).toMatch(/^tickflow_ready 0$/m);
    ready = true;
    expect(await m.text()).toMatch(/^tickflow_ready 1$/m);
  });
});
