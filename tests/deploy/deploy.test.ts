// deploy/ must match the code it deploys: the alert rules name only metrics ops/metrics.ts exports and link sections
// of docs/runbook.md; the systemd units carry the settings the runbook relies on and run files the repository has.
import { EXIT_REFUSED } from "../../core/errors.ts";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TickflowMetrics } from "../../ops/metrics.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

interface AlertRule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string; runbook_url?: string };
}

const rules = (): AlertRule[] => {
  const doc = parse(read("deploy/prometheus/tickflow-alerts.yml")) as { groups: { name: string; rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
};

/** The anchors GitHub gives the headings of a Markdown file: lowercased, punctuation dropped, spaces as hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm))
    anchors.add(
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  return anchors;
}

/** A unit file as section → key → values (a key may repeat: Environment=, ReadWritePaths=). */
function parseUnit(path: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of read(path).split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      sections.set(header[1]!, (section = new Map()));
      continue;
    }
    const eq = line.indexOf("=");
    expect(eq > 0 && section !== undefined, `${path}: "${line}" is not key=value inside a section`).toBe(true);
    const key = line.slice(0, eq);
    section!.set(key, [...(section!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const one = (unit: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);

/** systemd time span in seconds: "60s", "1min", "10min", "5". */
function seconds(span: string): number {
  const m = /^(\d+)\s*(s|sec|min|m|h)?$/.exec(span.trim());
  expect(m, `time span ${span}`).not.toBeNull();
  const n = Number(m![1]);
  return m![2] === "min" || m![2] === "m" ? n * 60 : m![2] === "h" ? n * 3600 : n;
}

const UNITS = ["deploy/systemd/tickflow-nats.service", "deploy/systemd/tickflow-pipeline@.service"] as const;

describe("deploy/prometheus/tickflow-alerts.yml", () => {
  it("gives every rule an alert, expr, for, severity, summary and runbook_url", () => {
    const all = rules();
    expect(all.length).toBeGreaterThanOrEqual(11);
    for (const r of all) {
      const name = r.alert ?? JSON.stringify(r);
      expect(r.alert, name).toMatch(/^Tickflow[A-Z]\w+$/);
      expect(r.expr?.trim(), `${name}: expr`).toBeTruthy();
      expect(r.for, `${name}: for`).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning", "info"], `${name}: labels.severity`).toContain(r.labels?.severity);
      expect(r.annotations?.summary, `${name}: annotations.summary`).toBeTruthy();
      expect(r.annotations?.description, `${name}: annotations.description`).toBeTruthy();
      expect(r.annotations?.runbook_url, `${name}: annotations.runbook_url`).toBe(`docs/runbook.md#${r.alert!.toLowerCase()}`);
    }
    expect(new Set(all.map((r) => r.alert)).size, "alert names are unique").toBe(all.length);
  });

  it("names only tickflow_* metrics that ops/metrics.ts exports (with process metrics on, as live runs have them)", async () => {
    const m = new TickflowMetrics({ processMetrics: true });
    const exported = await m.registry.getMetricsAsJSON();
    const names = new Set(exported.map((e) => e.name));
    // prom-client types MetricType as a numeric enum; getMetricsAsJSON() gives the exposition name ("histogram").
    const histograms = new Set(exported.filter((e) => String(e.type) === "histogram").map((e) => e.name));
    const unknown: string[] = [];
    for (const r of rules()) {
      for (const [used] of r.expr!.matchAll(/\btickflow_[a-z0-9_]+/g)) {
        const base = used.replace(/_(bucket|sum|count)$/, "");
        if (names.has(used) || (base !== used && histograms.has(base))) continue;
        unknown.push(`${r.alert}: ${used}`);
      }
    }
    expect(unknown, "metrics named in alert rules that ops/metrics.ts does not export").toEqual([]);
  });

  it("links a section of docs/runbook.md from every rule, and every runbook link inside the runbook resolves", () => {
    const runbook = read("docs/runbook.md");
    const anchors = headingAnchors(runbook);
    for (const r of rules()) expect(anchors, `docs/runbook.md has no heading for #${r.alert!.toLowerCase()}`).toContain(r.alert!.toLowerCase());
    for (const [, anchor] of runbook.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, `docs/runbook.md links #${anchor}`).toContain(anchor);
  });

  it("filters on jobs that deploy/prometheus/prometheus.yml scrapes, and that file loads the rules", () => {
    const prom = parse(read("deploy/prometheus/prometheus.yml")) as { rule_files: string[]; scrape_configs: { job_name: string }[] };
    const jobs = new Set(prom.scrape_configs.map((s) => s.job_name));
    for (const r of rules()) for (const [, job] of r.expr!.matchAll(/job="([^"]+)"/g)) expect(jobs, `${r.alert}: job ${job}`).toContain(job);
    expect(prom.rule_files.some((f) => f.endsWith("/tickflow-alerts.yml"))).toBe(true);
  });

  it("routes alerts to a webhook receiver in deploy/prometheus/alertmanager.yml", () => {
    interface Route {
      receiver?: string;
      routes?: Route[];
    }
    const am = parse(read("deploy/prometheus/alertmanager.yml")) as { route: Route; receivers: { name: string; webhook_configs?: { url: string }[] }[] };
    const receivers = new Map(am.receivers.map((r) => [r.name, r]));
    const walk = (route: Route): void => {
      if (route.receiver !== undefined) expect([...receivers.keys()], `route receiver ${route.receiver}`).toContain(route.receiver);
      for (const r of route.routes ?? []) walk(r);
    };
    walk(am.route);
    expect(receivers.get(am.route.receiver!)?.webhook_configs?.[0]?.url).toMatch(/^https?:\/\//);
  });
});

describe("deploy/systemd", () => {
  it("runs both units as tickflow, restarting on failure within a start limit, memory-capped and hardened", () => {
    for (const path of UNITS) {
      const u = parseUnit(path);
      const service = (key: string) => one(u, "Service", key);
      expect(service("User"), `${path}: User`).toBe("tickflow");
      expect(service("Restart"), `${path}: Restart`).toBe("on-failure");
      expect(service("NoNewPrivileges"), `${path}: NoNewPrivileges`).toBe("yes");
      expect(service("ProtectSystem"), `${path}: ProtectSystem`).toBe("strict");
      expect(service("PrivateTmp"), `${path}: PrivateTmp`).toBe("yes");
      expect(service("ProtectHome"), `${path}: ProtectHome`).toBe("yes");
      expect(service("MemoryMax"), `${path}: MemoryMax`).toMatch(/^\d+[KMGT]$/);
      expect(service("LimitNOFILE"), `${path}: LimitNOFILE`).toMatch(/^\d+$/);
      expect(service("ReadWritePaths"), `${path}: ReadWritePaths`).toMatch(/^\/opt\/tickflow\/data/);
      // Start limits belong to [Unit]: in [Service] systemd ignores them.
      expect(one(u, "Unit", "StartLimitIntervalSec"), `${path}: [Unit] StartLimitIntervalSec`).toBeDefined();
      expect(Number(one(u, "Unit", "StartLimitBurst")), `${path}: [Unit] StartLimitBurst`).toBeGreaterThan(1);
      expect(one(u, "Install", "WantedBy"), `${path}: WantedBy`).toBe("multi-user.target");
    }
  });

  it("starts nats-server from the repository's nats.conf, writing only its store", () => {
    const u = parseUnit(UNITS[0]);
    const [bin, flag, conf] = one(u, "Service", "ExecStart")!.split(/\s+/);
    expect(bin).toMatch(/\/nats-server$/);
    expect(flag).toBe("-c");
    expect(conf).toBe("/opt/tickflow/nats.conf");
    expect(existsSync(join(ROOT, "nats.conf"))).toBe(true);
    expect(one(u, "Service", "WorkingDirectory")).toBe("/opt/tickflow");
    // nats.conf's store_dir is relative to the working directory: that is what the unit may write.
    const storeDir = /store_dir:\s*"([^"]+)"/.exec(read("nats.conf"))?.[1];
    expect(one(u, "Service", "ReadWritePaths")).toBe(`/opt/tickflow/${storeDir}`);
  });

  it("runs a pipeline of pipelines/ as live-<instance>, stopped with SIGINT and time for the bounded stop", () => {
    const u = parseUnit(UNITS[1]);
    const service = (key: string) => one(u, "Service", key);
    const exec = service("ExecStart")!.split(/\s+/);
    expect(exec).toEqual(["/usr/bin/node", "/opt/tickflow/bin/tickflow.js", "run", "/opt/tickflow/pipelines/%i.yaml", "--run-id", "live-%i", "--quiet"]);
    expect(existsSync(join(ROOT, "bin/tickflow.js"))).toBe(true);
    expect(readdirSync(join(ROOT, "pipelines")).filter((f) => f.endsWith(".yaml")).length).toBeGreaterThan(0);
    expect(existsSync(join(ROOT, "pipelines/momentum-sentiment.yaml")), "the instance deploy/systemd/README.md enables").toBe(true);
    expect(service("WorkingDirectory")).toBe("/opt/tickflow");
    expect(service("KillSignal")).toBe("SIGINT");
    // app/livePipeline.ts bounds the stop to about 25 s in all (last batch, NATS close, jobs, DuckDB).
    expect(seconds(service("TimeoutStopSec")!)).toBeGreaterThanOrEqual(30);
    expect(service("RestartSec")).toBe("5");
    expect(service("RestartPreventExitStatus")).toBe(String(EXIT_REFUSED)); // refusals are not restarted
    expect(service("EnvironmentFile")).toBe("/etc/tickflow/%i.env");
    const env = u.get("Service")!.get("Environment") ?? [];
    // Set explicitly, so a run whose server is away fails instead of starting a nats-server inside the unit.
    expect(env).toContain("NATS_URL=nats://127.0.0.1:4222");
    expect(env).toContain("TICKFLOW_LOG=json"); // journald gets one JSON object per lifecycle event
    expect(one(u, "Unit", "Requires")).toBe("tickflow-nats.service");
    expect(one(u, "Unit", "After")).toContain("tickflow-nats.service");
  });

  // systemd-analyze verify works offline and without root; where it is not installed there is nothing to run.
  const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  if (analyze.status === 0)
    it("passes systemd-analyze verify (paths rewritten to this checkout)", () => {
      const dir = mkdtempSync(join(tmpdir(), "tickflow-units-"));
      try {
        const which = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
        // verify checks that each ExecStart binary is executable; any executable stands in for a missing nats-server.
        const rewrite = (text: string) =>
          text
            .replaceAll("/opt/tickflow", ROOT)
            .replaceAll("/usr/bin/node", process.execPath)
            .replaceAll("/usr/sbin/nats-server", which || process.execPath);
        writeFileSync(join(dir, "tickflow-nats.service"), rewrite(read(UNITS[0])));
        writeFileSync(join(dir, "tickflow-pipeline@momentum-sentiment.service"), rewrite(read(UNITS[1])));
        const r = spawnSync("systemd-analyze", ["verify", "tickflow-nats.service", "tickflow-pipeline@momentum-sentiment.service"], {
          cwd: dir,
          encoding: "utf8",
          timeout: 30_000,
        });
        const ours = r.stderr.split("\n").filter((l) => l.includes("tickflow-"));
        expect(ours, "systemd-analyze verify about our units").toEqual([]);
        expect(r.status, r.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
