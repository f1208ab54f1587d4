// The operations layer's public surface: what other layers (trading, models, CLI) may import.
export { AuditLog, verifyAuditChain, readAuditLog, canonicalJson, type AuditEntry, type AuditVerification } from "./audit.ts";
export { TokenBucket, KeyedRateLimiter, type RateDecision, type RateLimitClock, type TokenBucketOptions } from "./rateLimiter.ts";
export { Scheduler, readJobRuns, type JobDefinition, type JobContext, type JobRun } from "./scheduler.ts";
export { compactJob, retentionJob, reportJob, registerReport, defaultJobs } from "./builtinJobs.ts";
export { TickflowMetrics } from "./metrics.ts";
export { LiveFeed } from "./liveFeed.ts";
export { startOpsServer, DEFAULT_HTTP_PORT, type OpsServer } from "./httpServer.ts";
