export { PoliciesModule, POLICIES_ENTITIES } from './lib/policies.module';
export { PoliciesService } from './lib/policies.service';
export { PolicyStage, PolicyEvaluateStage, PolicyActionsStage, executePolicyActions, policyDenied } from './lib/policy.stage';
export { PolicyEvaluator, requestViewOf } from './lib/policy-evaluator';
export { PolicyUsageReader, CounterUsageReader } from './lib/usage-reader';
export { PolicyEntity } from './lib/entities/policy.entity';
export { PolicyVersionEntity } from './lib/entities/policy-version.entity';
export { compilePolicyDocument } from './lib/engine/policy-compiler';
export type {
  CompiledDocument,
  CompiledRule,
  CompileOptions,
  CompileResult,
  EffectiveRetry,
  PolicyDocument,
} from './lib/engine/policy-compiler';
export { evaluatePolicies, retryFromPolicies, shadowOutcomeOf, PolicyEvaluationError } from './lib/engine/policy-engine';
export type { LoadedPolicy } from './lib/engine/policy-engine';
export type { PolicyRequestView, PolicyResponseView, PolicyTokenView, PolicyUsageView } from './lib/engine/request-view';
export { compileRegex, globMatcher, regexMatcher, MAX_REGEX_PROGRAM_SIZE } from './lib/engine/regex';
export { ShadowReportService } from './lib/shadow-report.service';
export type { ShadowReportQuery } from './lib/shadow-report.service';
export { PolicyActionRunner } from './lib/policy-action-runner';
export { PolicyResponseStage, mustBuffer } from './lib/policy-response.stage';
export { PolicyAsyncHook } from './lib/policy-async.hook';
export { PolicyRoutingService, RoutePriceSource } from './lib/routing-environment';
