// The trading core's public surface: broker simulation, fill policies, portfolio, risk, sizing, rules, statistics.
export {
  FillPolicySchema,
  SlippageSchema,
  fillPolicy,
  NEXT_OPEN,
  sessionDay,
  slipped,
  type FillPolicy,
  type FillPolicyInput,
  type Slippage,
} from "./fillPolicy.ts";
export { fillPriceOnBar, fillPriceOnTrade, type FillPrice, type Match, type PriceOrder } from "./fillPrice.ts";
export {
  InstrumentSchema,
  CommissionSchema,
  commissionFor,
  defaultInstrument,
  isMargined,
  type Instrument,
  type InstrumentInput,
  type Commission,
} from "./instrument.ts";
export { requestProblem, type OrderRequest, type BracketRequest } from "./orderRequest.ts";
export type { BrokerEvent, EngineEvent } from "../schemas/brokerEvent.ts";
export { MatchingEngine, isTerminal, type MatchingEngineState, type ReplaceChanges } from "./MatchingEngine.ts";
export { Portfolio, type ClosedTrade, type PortfolioState, type PositionState } from "./Portfolio.ts";
export { RiskGuard, RiskLimitsSchema, type RiskLimits, type RiskGuardState } from "./RiskGuard.ts";
export { SizingSchema, unitsFor, type Sizing, type SizingInput } from "./sizing.ts";
export { PaperBroker, type PaperBrokerConfig, type PaperBrokerState } from "./PaperBroker.ts";
export {
  ConditionSchema,
  StrategyRulesSchema,
  StrategyRulesError,
  RuleEvaluator,
  type RuleEvaluatorState,
  compileCondition,
  parseStrategyRules,
  type Condition,
  type Operand,
  type Row,
  type Side,
  type StrategyRules,
} from "./strategyRules.ts";
export { RuleStrategy, sideOfSignal, type RuleStrategyState } from "./RuleStrategy.ts";
export {
  backtestStats,
  buyAndHoldOf,
  drawdownEpisodes,
  equityCurve,
  periodsPerYear,
  stdev,
  type BacktestStats,
  type DrawdownEpisode,
  type EquityPoint,
  type StatsInput,
} from "./stats.ts";
