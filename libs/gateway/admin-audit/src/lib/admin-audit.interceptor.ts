import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, switchMap, type Observable } from 'rxjs';
import { ADMIN_AUDIT_SKIP } from '@ailink/gateway-core';
import { AdminAuditRecorder, type RecordableRequest } from './admin-audit.recorder';

/**
 * Global interceptor (registered as `APP_INTERCEPTOR` by the module): every POST, PUT, PATCH and
 * DELETE below `/api/v1` that answers 2xx is recorded, whichever feature serves it, including
 * routes added later. It runs after the auth guard (the principal is known) and before the handler
 * (the "before" snapshot); the record is handed to the batching writer, never written inline.
 * Proxy traffic never reaches it (it is dispatched before Nest).
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly recorder: AdminAuditRecorder,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(ADMIN_AUDIT_SKIP, [context.getHandler(), context.getClass()]);
    if (skip) return next.handle();
    const http = context.switchToHttp();
    const plan = this.recorder.plan(http.getRequest<RecordableRequest>());
    if (!plan) return next.handle();
    const reply = http.getResponse<{ statusCode?: number }>();
    return from(this.recorder.captureBefore(plan)).pipe(
      switchMap(() => next.handle()),
      mergeMap(async (result: unknown) => {
        await this.recorder.record(plan, result, reply.statusCode ?? 200);
        return result;
      }),
    );
  }
}
