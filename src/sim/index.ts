export { simulate } from './simulate.js'
export { SCENARIOS } from './types.js'
export type { ScenarioName, SimulateOptions, SimReport, SimStep, SimEvent } from './types.js'
