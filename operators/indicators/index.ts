// Public surface of the indicator kernels and their registry.

export { Adx, type AdxValue, type AdxState } from "./adx.ts";
export { Atr, trueRange, type AtrState } from "./atr.ts";
export { BollingerBands, type BollingerBandsValue, type BollingerBandsState } from "./bollingerBands.ts";
export { Cci, type CciState } from "./cci.ts";
export { Dema, type DemaState } from "./dema.ts";
export { Ema, type EmaState } from "./ema.ts";
export { Macd, type MacdValue, type MacdState } from "./macd.ts";
export { Obv, type ObvState } from "./obv.ts";
export { Roc, type RocState } from "./roc.ts";
export { Rsi, type RsiState } from "./rsi.ts";
export { Sma, type SmaState } from "./sma.ts";
export { StdDev, type StdDevValue, type StdDevState } from "./stdDev.ts";
export { Stochastic, type StochasticValue, type StochasticState } from "./stochastic.ts";
export { Tema, type TemaState } from "./tema.ts";
export { Vwap, type VwapState } from "./vwap.ts";
export { Wma, type WmaState } from "./wma.ts";
export { ZScore, type ZScoreState } from "./zScore.ts";
export { IndicatorStateError, type Bar, type HlcBar } from "./types.ts";
export { IndicatorInputError, sourceSchema, type BarIndicator, type BarIndicatorState, type Source } from "./barIndicator.ts";
export { IndicatorCheckpointError } from "./technicalIndicators.ts";
export {
  createIndicator,
  indicatorRegistry,
  IndicatorParamsError,
  lookupIndicator,
  parseIndicatorParams,
  restoreIndicator,
  type IndicatorSpec,
  type ParamIssue,
  type ParseResult,
} from "./registry.ts";
