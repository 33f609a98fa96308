import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import {
  USER_ROLES,
  type CreateOidcProviderRequest,
  type OidcClaimMapping,
  type OidcProvider,
  type Team,
  type TestOidcProviderResponse,
  type UserRole,
} from '@ailink/shared-contracts';
import { catchError, of } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { httpUrlValidator } from '../shared/forms';
import { USER_ROLE_LABELS, pairsOf, pairsText } from './identity-format';

export interface SsoProviderDialogData {
  /** The provider to edit; absent to add one. */
  readonly provider?: OidcProvider;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pairsValidator(control: AbstractControl): ValidationErrors | null {
  return pairsOf(String(control.value ?? '')).bad.length > 0 ? { pairs: true } : null;
}

/** A test-connection answer as one sentence. */
export function describeTest(result: TestOidcProviderResponse): string {
  if (!result.ok) return `Connection failed: ${result.error ?? 'no answer'}`;
  return `Connection OK: ${result.issuer} publishes its keys at ${result.jwks_uri}${
    result.authorization_endpoint ? ` and signs users in at ${result.authorization_endpoint}` : ''
  }.`;
}

/**
 * Add or edit an OIDC provider. The client secret is write-only: it goes to the API in this form's
 * body only, is never shown again, and an edit keeps the stored one unless a new one is typed (or it
 * is removed). "Test connection" fetches the issuer's discovery document without saving anything.
 */
@Component({
  selector: 'ailink-sso-provider-dialog',
  imports: [
    ReactiveFormsModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatCheckboxModule,
    MatButtonModule,
    ApiErrorAlert,
  ],
  templateUrl: './sso-provider-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SsoProviderDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<SsoProviderDialog, OidcProvider>>(MatDialogRef);
  protected readonly editing = inject<SsoProviderDialogData>(MAT_DIALOG_DATA)?.provider ?? null;
  protected readonly roles = USER_ROLES;
  protected readonly roleLabels = USER_ROLE_LABELS;
  private readonly teams = toSignal(this.api.teams().pipe(catchError(() => of([] as Team[]))), { initialValue: [] as Team[] });

  private readonly mapping: OidcClaimMapping = this.editing?.claim_mapping ?? {};
  protected readonly form = new FormGroup({
    name: new FormControl(this.editing?.name ?? '', { nonNullable: true, validators: [Validators.required, Validators.maxLength(200)] }),
    issuerUrl: new FormControl(this.editing?.issuer_url ?? '', { nonNullable: true, validators: [Validators.required, httpUrlValidator] }),
    clientId: new FormControl(this.editing?.client_id ?? '', {
      nonNullable: true,
      validators: [Validators.required, Validators.maxLength(500)],
    }),
    clientSecret: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(4096)] }),
    removeSecret: new FormControl(false, { nonNullable: true }),
    jwksUri: new FormControl(this.editing?.jwks_uri ?? '', { nonNullable: true, validators: [httpUrlValidator] }),
    audience: new FormControl(this.editing?.audience ?? '', { nonNullable: true }),
    scopes: new FormControl(this.editing?.scopes ?? 'openid email profile', { nonNullable: true, validators: [Validators.required] }),
    defaultRole: new FormControl<UserRole>(this.editing?.default_role ?? 'readonly', { nonNullable: true }),
    defaultScopes: new FormControl((this.editing?.default_scopes ?? []).join(' '), { nonNullable: true }),
    enabled: new FormControl(this.editing?.enabled ?? true, { nonNullable: true }),
    roleClaim: new FormControl(this.mapping.role ?? '', { nonNullable: true }),
    roleValues: new FormControl(pairsText(this.mapping.role_values), { nonNullable: true, validators: [pairsValidator] }),
    scopesClaim: new FormControl(this.mapping.scopes ?? '', { nonNullable: true }),
    groupsClaim: new FormControl(this.mapping.groups ?? '', { nonNullable: true }),
    groupTeams: new FormControl(pairsText(this.mapping.group_teams), { nonNullable: true, validators: [pairsValidator] }),
  });

  protected readonly submitting = signal(false);
  protected readonly testing = signal(false);
  protected readonly testResult = signal<string | null>(null);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly mappingError = signal<string | null>(null);

  protected testConnection(): void {
    const issuer = this.form.controls.issuerUrl.value.trim();
    if (!issuer || this.form.controls.issuerUrl.invalid) {
      this.form.controls.issuerUrl.markAsTouched();
      this.testResult.set('Enter the issuer URL first.');
      return;
    }
    this.testing.set(true);
    this.testResult.set(null);
    this.api.testOidcProvider(issuer).subscribe({
      next: (result) => {
        this.testing.set(false);
        this.testResult.set(describeTest(result));
      },
      error: (error: unknown) => {
        this.testing.set(false);
        this.testResult.set(`Connection test failed: ${toApiError(error).message}`);
      },
    });
  }

  /** `group = team` lines with team names resolved to ids; null (and a message) when a team is unknown. */
  private groupTeams(text: string): Record<string, string> | null {
    const byName = new Map(this.teams().map((t) => [t.name.toLowerCase(), t.id]));
    const out: Record<string, string> = {};
    for (const [group, team] of Object.entries(pairsOf(text).pairs)) {
      const id = UUID.test(team) ? team : byName.get(team.toLowerCase());
      if (!id) {
        this.mappingError.set(`Unknown team “${team}” for group “${group}”.`);
        return null;
      }
      out[group] = id;
    }
    return out;
  }

  protected submit(): void {
    if (this.submitting()) return;
    this.mappingError.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    const groupTeams = this.groupTeams(v.groupTeams);
    if (groupTeams === null) return;
    const mapping: OidcClaimMapping = {};
    if (v.roleClaim.trim()) mapping.role = v.roleClaim.trim();
    const roleValues = pairsOf(v.roleValues).pairs;
    if (Object.keys(roleValues).length) mapping.role_values = roleValues;
    if (v.scopesClaim.trim()) mapping.scopes = v.scopesClaim.trim();
    if (v.groupsClaim.trim()) mapping.groups = v.groupsClaim.trim();
    if (Object.keys(groupTeams).length) mapping.group_teams = groupTeams;
    if (this.mapping.email) mapping.email = this.mapping.email;
    if (this.mapping.name) mapping.name = this.mapping.name;

    const body: CreateOidcProviderRequest = {
      name: v.name.trim(),
      issuer_url: v.issuerUrl.trim(),
      client_id: v.clientId.trim(),
      jwks_uri: v.jwksUri.trim() || null,
      audience: v.audience.trim() || null,
      scopes: v.scopes.trim(),
      claim_mapping: mapping,
      default_role: v.defaultRole,
      default_scopes: v.defaultScopes.split(/[\s,]+/).filter(Boolean),
      enabled: v.enabled,
    };
    if (v.clientSecret) body.client_secret = v.clientSecret;
    else if (this.editing && v.removeSecret) body.client_secret = null;

    this.submitting.set(true);
    this.error.set(null);
    const request = this.editing ? this.api.updateOidcProvider(this.editing.id, body) : this.api.createOidcProvider(body);
    request.subscribe({
      next: (saved) => {
        this.submitting.set(false);
        this.form.controls.clientSecret.setValue('');
        this.dialogRef.close(saved);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
