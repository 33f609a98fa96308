import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { InteractivityChecker } from '@angular/cdk/a11y';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { Routes, provideRouter, withComponentInputBinding } from '@angular/router';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import type { AuditSummary, CredentialMeta, Service, Token } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { SUPERADMIN } from './testing';

/** Shared set-up for the feature pages' unit tests (only specs import this file). */
export function pageTestProviders(routes: Routes = []): Array<Provider | EnvironmentProviders> {
  return [
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(withInterceptors([apiInterceptor])),
    provideHttpClientTesting(),
    { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
    // jsdom has no layout, so the CDK would consider every element invisible and unfocusable.
    {
      provide: InteractivityChecker,
      useValue: { isDisabled: () => false, isVisible: () => true, isFocusable: () => true, isTabbable: () => true },
    },
  ];
}

export async function signInForTest(key = 'k'): Promise<void> {
  const done = firstValueFrom(TestBed.inject(AuthSession).signIn(key));
  TestBed.inject(HttpTestingController).expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
  await done;
}

/** Lets signals, change detection and microtasks settle (zoneless). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    TestBed.tick();
  }
}

export function buttonIn(root: ParentNode, label: string): HTMLButtonElement {
  const found = Array.from(root.querySelectorAll('button')).find(
    (b) => b.textContent?.replace(/\s+/g, ' ').trim() === label || b.getAttribute('aria-label') === label,
  );
  if (!found) throw new Error(`no button "${label}"`);
  return found;
}

/** The open dialogs (they render in the overlay container, outside the page's fixture). */
export function openDialogs(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('mat-dialog-container'));
}

export function lastDialog(): HTMLElement {
  const all = openDialogs();
  if (!all.length) throw new Error('no open dialog');
  return all[all.length - 1];
}

/** The input labelled `label` inside `root` (Material links label and control by id). */
export function fieldIn(root: ParentNode, label: string): HTMLInputElement | HTMLTextAreaElement {
  const labels = Array.from(root.querySelectorAll('label'));
  const match = labels.find(
    (l) =>
      l.textContent
        ?.replace(/\s+/g, ' ')
        .trim()
        .replace(/\s*\*$/, '') === label,
  );
  const id = match?.getAttribute('for');
  const control = id ? root.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[id="${id}"]`) : null;
  if (!control) throw new Error(`no field labelled "${label}"`);
  return control;
}

export function typeInto(control: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  control.value = value;
  control.dispatchEvent(new Event('input'));
  control.dispatchEvent(new Event('blur'));
}

/** Opens the mat-select labelled `label` and picks the option whose text starts with `option`. */
export async function chooseOption(root: ParentNode, label: string, option: string): Promise<void> {
  const labels = Array.from(root.querySelectorAll('mat-label'));
  const field = labels.find((l) => l.textContent?.trim() === label)?.closest('mat-form-field');
  const trigger = field?.querySelector<HTMLElement>('.mat-mdc-select-trigger');
  if (!trigger) throw new Error(`no select labelled "${label}"`);
  trigger.click();
  await settle();
  const choice = Array.from(document.querySelectorAll<HTMLElement>('mat-option')).find((o) =>
    o.textContent?.replace(/\s+/g, ' ').trim().startsWith(option),
  );
  if (!choice) throw new Error(`no option "${option}" in "${label}"`);
  choice.click();
  await settle();
}

export function envelope(code: string, message: string, status: number, details?: Record<string, unknown>) {
  const statusText: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Unprocessable Entity',
    500: 'Internal Server Error',
  };
  return {
    body: { error: { code, message, type: 'invalid_request_error', request_id: 'req_0123', ...(details ? { details } : {}) } },
    init: { status, statusText: statusText[status] ?? 'Error' },
  } as const;
}

export const CREDENTIAL: CredentialMeta = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'openai-prod',
  provider: 'openai',
  version: 2,
  is_active: true,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-02T10:00:00Z',
  injection_mode: 'bearer',
  injection_header: 'Authorization',
  rotation_enabled: false,
  rotation_interval_secs: null,
  last_rotated_at: '2026-01-02T10:00:00Z',
};

export const CREDENTIAL_2: CredentialMeta = {
  ...CREDENTIAL,
  id: '22222222-2222-4222-8222-222222222222',
  name: 'anthropic-dev',
  provider: 'anthropic',
  version: 1,
  injection_mode: 'header',
  injection_header: 'x-api-key',
  last_rotated_at: null,
};

export const TOKEN: Token = {
  id: 'tok_0123456789abcdef01234567',
  masked: 'ailink_v1_…4f2a',
  project_id: '00000000-0000-0000-0000-000000000001',
  name: 'support-agent',
  credential_id: CREDENTIAL.id,
  upstream_url: 'https://api.openai.com',
  upstreams: null,
  scopes: null,
  policy_ids: [],
  is_active: true,
  expires_at: null,
  created_at: '2026-01-03T10:00:00Z',
  updated_at: '2026-01-03T10:00:00Z',
  log_level: 1,
  circuit_breaker: null,
  allowed_models: null,
  allowed_model_group_ids: null,
  team_id: null,
  tags: null,
  mcp_allowed_tools: null,
  mcp_blocked_tools: null,
  suspended_at: null,
  suspended_reason: null,
};

export const SERVICE: Service = {
  id: '33333333-3333-4333-8333-333333333333',
  project_id: '00000000-0000-0000-0000-000000000001',
  name: 'crm',
  description: 'Customer records',
  base_url: 'https://crm.example.com/api',
  service_type: 'generic',
  credential_id: CREDENTIAL.id,
  is_active: true,
  created_at: '2026-01-04T10:00:00Z',
  updated_at: '2026-01-04T10:00:00Z',
};

export function auditRecord(overrides: Partial<AuditSummary> = {}): AuditSummary {
  return {
    id: '44444444-4444-4444-8444-444444444444',
    seq: 1,
    created_at: '2026-01-05T10:00:00Z',
    project_id: '00000000-0000-0000-0000-000000000001',
    token_id: TOKEN.id,
    method: 'POST',
    path: '/v1/chat/completions',
    upstream_status: 200,
    response_latency_ms: 420,
    overhead_ms: 1.2,
    agent_name: 'support-bot',
    policy_result: 'allowed',
    estimated_cost_usd: '0.001250',
    shadow_violations: [],
    fields_redacted: [],
    prompt_tokens: 12,
    completion_tokens: 30,
    model: 'gpt-4o-mini',
    model_alias: null,
    provider: 'openai',
    tokens_per_second: 70,
    user_id: null,
    tenant_id: null,
    external_request_id: null,
    session_id: null,
    team_id: null,
    tags: {},
    log_level: 1,
    tool_call_count: 0,
    finish_reason: 'stop',
    error_type: null,
    is_streaming: false,
    cache_hit: false,
    ...overrides,
  };
}
