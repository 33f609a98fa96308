import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ModelPricingEntity } from '../entities/model-pricing.entity';
import type { BuiltinPrice } from './builtin-prices';
import type { PriceRowData } from './price-book';

export interface PriceWrite {
  /** null: a built-in row. */
  orgId: string | null;
  provider: string;
  modelPattern: string;
  inputPerM: string;
  outputPerM: string;
  cachedInputPerM: string | null;
  maxOutputTokens: number | null;
}

export function toPriceRowData(row: ModelPricingEntity): PriceRowData {
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
    updated_at_ms: row.updatedAt.getTime(),
  };
}

/** Owns the queries on `model_pricing`. */
@Injectable()
export class PricingRepository {
  constructor(@InjectRepository(ModelPricingEntity) private readonly prices: Repository<ModelPricingEntity>) {}

  /** The active rows of one organisation (`orgId`) or the built-in rows (`null`): what the cache holds. */
  async activeRows(orgId: string | null): Promise<ModelPricingEntity[]> {
    const query = this.prices.createQueryBuilder('p').where('p.is_active = true');
    if (orgId === null) query.andWhere('p.org_id IS NULL');
    else query.andWhere('p.org_id = :orgId', { orgId });
    return query.getMany();
  }

  /** Built-in rows and the organisation's overrides (every organisation's for `orgId` null = superadmin). */
  list(orgId: string | null, includeInactive: boolean): Promise<ModelPricingEntity[]> {
    const query = this.prices.createQueryBuilder('p');
    if (orgId !== null) query.where('(p.org_id IS NULL OR p.org_id = :orgId)', { orgId });
    if (!includeInactive) query.andWhere('p.is_active = true');
    return query.orderBy('p.org_id', 'ASC', 'NULLS FIRST').addOrderBy('p.provider').addOrderBy('p.model_pattern').getMany();
  }

  findById(id: string): Promise<ModelPricingEntity | null> {
    return this.prices.findOne({ where: { id } });
  }

  /** Insert or update on `(org_id, provider, model_pattern)`; a soft-deleted row comes back active. Returns the id. */
  async upsert(write: PriceWrite): Promise<string> {
    const conflict =
      write.orgId === null
        ? '("provider", "model_pattern") WHERE "org_id" IS NULL'
        : '("org_id", "provider", "model_pattern") WHERE "org_id" IS NOT NULL';
    const rows: { id: string }[] = await this.prices.query(
      `INSERT INTO "model_pricing" ("org_id", "provider", "model_pattern", "input_per_m", "output_per_m", "cached_input_per_m", "max_output_tokens")
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT ${conflict} DO UPDATE SET
         "input_per_m" = EXCLUDED."input_per_m", "output_per_m" = EXCLUDED."output_per_m",
         "cached_input_per_m" = EXCLUDED."cached_input_per_m", "max_output_tokens" = EXCLUDED."max_output_tokens",
         "is_active" = true, "updated_at" = now()
       RETURNING "id"`,
      [write.orgId, write.provider, write.modelPattern, write.inputPerM, write.outputPerM, write.cachedInputPerM, write.maxOutputTokens],
    );
    return rows[0].id;
  }

  async softDelete(id: string): Promise<void> {
    await this.prices.update({ id }, { isActive: false });
  }

  /** Seeds the built-in rows that do not exist yet (`ON CONFLICT DO NOTHING`); returns how many were added. */
  async seedBuiltins(prices: readonly BuiltinPrice[]): Promise<number> {
    if (prices.length === 0) return 0;
    const rows: unknown[] = await this.prices.query(
      `INSERT INTO "model_pricing" ("org_id", "provider", "model_pattern", "input_per_m", "output_per_m", "cached_input_per_m")
       SELECT NULL, u.provider, u.pattern, u.input::numeric, u.output::numeric, u.cached::numeric
       FROM unnest($1::varchar[], $2::varchar[], $3::text[], $4::text[], $5::text[]) AS u(provider, pattern, input, output, cached)
       ON CONFLICT ("provider", "model_pattern") WHERE "org_id" IS NULL DO NOTHING
       RETURNING "id"`,
      [
        prices.map((p) => p.provider),
        prices.map((p) => p.pattern),
        prices.map((p) => p.input),
        prices.map((p) => p.output),
        prices.map((p) => p.cached ?? null),
      ],
    );
    return rows.length;
  }
}
