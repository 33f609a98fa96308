import { Injectable } from '@nestjs/common';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage, ProxyToken } from '@ailink/gateway-proxy';
import { ModelAccessCache } from './model-access-cache';
import { anyModelMatches } from './model-glob';

/** `details.source` of `model_access_denied` (proxy.md §6). */
export type ModelAccessSource = 'token' | 'group' | 'team';

/**
 * The model a request asks for: `model` of a JSON body (already alias-resolved when an alias stage ran
 * before), else the `models/{model}:` segment of a Gemini path; null when the request names none.
 */
export function requestedModel(body: unknown, path: string): string | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const model = (body as Record<string, unknown>)['model'];
    if (typeof model === 'string' && model.trim() !== '') return model.trim();
  }
  const match = /\/models\/([^/:]+):/.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** Whether the token restricts models at all: `allowed_models` set (even `[]`) or any access group. */
export function tokenRestrictsModels(token: ProxyToken): boolean {
  return (token.allowedModels !== null && token.allowedModels !== undefined) || (token.allowedModelGroupIds?.length ?? 0) > 0;
}

function denied(model: string, source: ModelAccessSource, message: string): GatewayError {
  return new GatewayError(ErrorCode.ModelAccessDenied, message, { details: { model, source } });
}

/**
 * Step 9 of the pipeline (proxy.md §7; identity.md §7): the token's `allowed_models` plus the `models`
 * of every group in `allowed_model_group_ids` form one allow list, then the team's `allowed_models`
 * must also match. Null = unrestricted, `[]` = nothing allowed. Requests without a model skip the
 * check, as does the service route (its bodies are not model calls). Groups and teams come from the
 * cache tiers: a warm request makes no database or Redis round trip here. A group that no longer
 * exists (or belongs to another project) contributes nothing, so a token restricted only through it
 * allows no model (fail closed); a deleted team has cleared the token's `team_id`.
 */
@Injectable()
export class ModelAccessStage implements ProxyStage {
  readonly name = 'model-access';

  constructor(private readonly cache: ModelAccessCache) {}

  async run(ctx: ProxyContext): Promise<void> {
    const token = ctx.token;
    if (!token || ctx.route === 'service') return;
    const restricted = tokenRestrictsModels(token);
    if (!restricted && !token.teamId) return;
    const model = requestedModel(ctx.json, ctx.upstreamPath);
    if (model === null) return;

    if (restricted && !(await this.tokenAllows(token, model))) {
      const viaGroupsOnly = (token.allowedModels ?? []).length === 0 && (token.allowedModelGroupIds?.length ?? 0) > 0;
      throw denied(model, viaGroupsOnly ? 'group' : 'token', `Model '${model}' is not allowed for this token`);
    }
    if (token.teamId) {
      const team = await this.cache.team(token.teamId);
      if (team && team.allowedModels !== null && !anyModelMatches(team.allowedModels, model)) {
        throw denied(model, 'team', `Model '${model}' is not allowed for team '${team.name}'`);
      }
    }
  }

  private async tokenAllows(token: ProxyToken, model: string): Promise<boolean> {
    if (anyModelMatches(token.allowedModels ?? [], model)) return true;
    for (const id of token.allowedModelGroupIds ?? []) {
      const group = await this.cache.group(id);
      if (group && group.projectId === token.projectId && anyModelMatches(group.models, model)) return true;
    }
    return false;
  }
}
