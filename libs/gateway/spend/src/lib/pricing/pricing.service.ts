import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PricingRow, ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, type Principal } from '@ailink/gateway-core';
import { microsToDecimal, parseUsd } from '../money';
import type { ModelPricingEntity } from '../entities/model-pricing.entity';
import { BUILTIN_PRICES } from './builtin-prices';
import { resolvePrice, type PriceList, type ResolvedPrice } from './price-book';
import { MAX_PATTERN_LENGTH } from './price-pattern';
import { PricingCache } from './pricing-cache';
import type { ListPricingQueryDto, PutPricingDto } from './pricing.dto';
import { PricingRepository } from './pricing.repository';
import { normaliseProvider } from './providers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_OUTPUT_TOKENS = 10_000_000;

export function toPricingRow(row: ModelPricingEntity): PricingRow {
  return {
    id: row.id,
    org_id: row.orgId,
    provider: row.provider,
    model_pattern: row.modelPattern,
    input_per_m: row.inputPerM,
    output_per_m: row.outputPerM,
    cached_input_per_m: row.cachedInputPerM,
    max_output_tokens: row.maxOutputTokens,
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function truthy(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/**
 * The rules of the price table (vault-and-spend.md §4): organisation overrides and built-in rows,
 * seeded at startup; lookups for the proxy through the cache tiers.
 */
/** Distinct provider/model pairs remembered per list pair (cleared when full). */
const RESOLVED_MAX = 4096;

@Injectable()
export class PricingService implements OnApplicationBootstrap {
  /** Prices resolved per (overrides list, built-in list) object pair, by providers and model. */
  private readonly resolved = new WeakMap<PriceList, WeakMap<PriceList, Map<string, ResolvedPrice | null>>>();

  constructor(
    private readonly repository: PricingRepository,
    private readonly cache: PricingCache,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Seeds the built-in rows that are missing (first start; new patterns of a release). */
  async onApplicationBootstrap(): Promise<void> {
    const added = await this.repository.seedBuiltins(BUILTIN_PRICES);
    if (added > 0) {
      this.logger.info({ added }, 'Seeded built-in model prices');
      await this.cache.invalidate(null).catch(() => undefined);
    }
  }

  /** The price for a request of `orgId` (overrides and built-in rows, most specific first); null when none matches. */
  async lookup(orgId: string, providers: readonly string[], model: string | null): Promise<ResolvedPrice | null> {
    if (!model) return null;
    const lists = await this.cache.lists(orgId);
    // Resolved prices are remembered per pair of cached lists: a changed list is a new object.
    let byBuiltin = this.resolved.get(lists.overrides);
    if (!byBuiltin) this.resolved.set(lists.overrides, (byBuiltin = new WeakMap()));
    let memo = byBuiltin.get(lists.builtin);
    if (!memo) byBuiltin.set(lists.builtin, (memo = new Map()));
    const key = `${providers.join(',')}|${model}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const price = resolvePrice(lists, providers, model);
    if (memo.size >= RESOLVED_MAX) memo.clear();
    memo.set(key, price);
    return price;
  }

  async list(principal: Principal, query: ListPricingQueryDto): Promise<PricingRow[]> {
    const rows = await this.repository.list(principal.orgId, truthy(query.include_inactive));
    return rows.map(toPricingRow);
  }

  async put(principal: Principal, dto: PutPricingDto): Promise<{ success: true; id: string }> {
    if (dto.builtin && principal.role !== 'superadmin') {
      throw new GatewayError(ErrorCode.Forbidden, 'Only the superadmin may change built-in prices');
    }
    if (typeof dto.provider !== 'string' || dto.provider.trim() === '') {
      throw new GatewayError(ErrorCode.BadRequest, 'provider must be a non-empty string', {
        details: { errors: [{ path: '$.provider', message: 'must be a non-empty string' }] },
      });
    }
    if (typeof dto.model_pattern !== 'string' || dto.model_pattern.trim() === '') {
      throw new GatewayError(ErrorCode.BadRequest, 'model_pattern must be a non-empty string', {
        details: { errors: [{ path: '$.model_pattern', message: 'must be a non-empty string' }] },
      });
    }
    const shape: ValidationProblem[] = [];
    const problems: ValidationProblem[] = [];
    const provider = normaliseProvider(dto.provider);
    if (!provider) problems.push({ path: '$.provider', message: `unknown provider "${dto.provider.trim()}"` });
    const pattern = dto.model_pattern.trim();
    if (pattern.length > MAX_PATTERN_LENGTH)
      problems.push({ path: '$.model_pattern', message: `must be at most ${MAX_PATTERN_LENGTH} characters` });
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/.test(pattern))
      problems.push({ path: '$.model_pattern', message: 'must not contain whitespace or control characters' });
    const money = (field: 'input_per_m' | 'output_per_m' | 'cached_input_per_m', optional: boolean): string | null => {
      const value = dto[field];
      if (optional && (value === undefined || value === null)) return null;
      const parsed = parseUsd(value);
      if (parsed.ok) return microsToDecimal(parsed.micros);
      if (parsed.problem === 'type') shape.push({ path: `$.${field}`, message: 'must be a number or a decimal string' });
      else if (parsed.problem === 'negative') problems.push({ path: `$.${field}`, message: 'must not be negative' });
      else problems.push({ path: `$.${field}`, message: 'must be at most 999999.999999' });
      return null;
    };
    const input = money('input_per_m', false);
    const output = money('output_per_m', false);
    const cached = money('cached_input_per_m', true);
    let maxOutput: number | null = null;
    if (dto.max_output_tokens !== undefined && dto.max_output_tokens !== null) {
      if (typeof dto.max_output_tokens !== 'number' || !Number.isFinite(dto.max_output_tokens)) {
        shape.push({ path: '$.max_output_tokens', message: 'must be an integer' });
      } else if (!Number.isInteger(dto.max_output_tokens) || dto.max_output_tokens < 1 || dto.max_output_tokens > MAX_OUTPUT_TOKENS) {
        problems.push({ path: '$.max_output_tokens', message: `must be an integer between 1 and ${MAX_OUTPUT_TOKENS}` });
      } else {
        maxOutput = dto.max_output_tokens;
      }
    }
    if (shape.length > 0) {
      throw new GatewayError(ErrorCode.BadRequest, shape.map((p) => `${p.path}: ${p.message}`).join('; '), { details: { errors: shape } });
    }
    if (problems.length > 0) throw GatewayError.validation(problems);

    const orgId = dto.builtin ? null : principal.orgId;
    const id = await this.repository.upsert({
      orgId,
      provider: provider as string,
      modelPattern: pattern,
      inputPerM: input as string,
      outputPerM: output as string,
      cachedInputPerM: cached,
      maxOutputTokens: maxOutput,
    });
    await this.cache.invalidate(orgId);
    return { success: true, id };
  }

  /** Soft-deletes a row of the caller's organisation (built-in rows: superadmin only; others are 404). */
  async remove(principal: Principal, id: string): Promise<{ id: string; deleted: true }> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'id must be a UUID');
    const row = await this.repository.findById(id.toLowerCase());
    if (!row || !row.isActive) throw GatewayError.notFound('Price');
    if (row.orgId === null) {
      if (principal.role !== 'superadmin') throw new GatewayError(ErrorCode.Forbidden, 'Only the superadmin may delete built-in prices');
    } else if (row.orgId !== principal.orgId && principal.role !== 'superadmin') {
      throw GatewayError.notFound('Price');
    }
    await this.repository.softDelete(row.id);
    await this.cache.invalidate(row.orgId);
    return { id: row.id, deleted: true };
  }
}
