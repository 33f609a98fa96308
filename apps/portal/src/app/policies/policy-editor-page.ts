import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, ElementRef, computed, effect, inject, input, signal, viewChild } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, FormsModule, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router, RouterLink } from '@angular/router';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState, validationProblems } from '@ailink/portal-data-access';
import type {
  CreatePolicyRequest,
  Policy,
  PolicyMode,
  PolicyPhase,
  PolicyRule,
  PolicyVersion,
  ShadowReport,
  ValidationProblem,
} from '@ailink/shared-contracts';
import { BehaviorSubject, Observable, combineLatest, filter, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { localDateTimeToRfc3339 } from '../shared/forms';
import { diffLines, type DiffLine } from './line-diff';
import { locatePath, parseWithPositions, type TextPosition } from './policy-json';
import { ShadowChart } from './shadow-chart';

/** A 422 problem placed in the editor: at a line of the rules text when its path is there. */
export interface PlacedProblem extends ValidationProblem {
  position: TextPosition | null;
  /** The path itself is in the text (not only an ancestor of it). */
  exact: boolean;
}

interface ServerProblems {
  /** Problems under `$.rules`, in the order the gateway reported them. */
  rules: PlacedProblem[];
  /** Problems of the name, mode and phase controls. */
  fields: Partial<Record<'name' | 'mode' | 'phase', string>>;
  /** Anything else (`$`, `$.retry`, …). */
  other: ValidationProblem[];
}

const NO_PROBLEMS: ServerProblems = { rules: [], fields: {}, other: [] };

const EXAMPLE_RULES: PolicyRule[] = [
  { when: { field: 'request.body.model', op: 'glob', value: 'gpt-4*' }, then: { action: 'tag', key: 'family', value: 'gpt-4' } },
  { then: { action: 'rate_limit', window: '1m', max_requests: 60 } },
];

const DAY_MS = 86_400_000;

/** `Date` → the value a `datetime-local` input shows (local time, minutes). */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** What a version diff compares: the document as written (name, mode, phase, rules, retry). */
function versionText(v: Pick<PolicyVersion, 'name' | 'mode' | 'phase' | 'rules' | 'retry'>): string {
  return JSON.stringify({ name: v.name, mode: v.mode, phase: v.phase, rules: v.rules, retry: v.retry }, null, 2);
}

/**
 * One policy: create or edit it as JSON (the gateway's 422 problems shown at their line by JSON
 * path), switch it between enforce and shadow mode, compare two of its versions, and see its shadow
 * report as a bar chart.
 */
@Component({
  selector: 'ailink-policy-editor-page',
  imports: [
    DatePipe,
    RouterLink,
    FormsModule,
    ReactiveFormsModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    ApiErrorAlert,
    ShadowChart,
  ],
  templateUrl: './policy-editor-page.html',
  styleUrl: './policy-editor-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyEditorPage {
  private readonly api = inject(ApiClient);
  private readonly router = inject(Router);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  /** The `:id` route parameter; absent on `/policies/new`. */
  readonly id = input<string | undefined>(undefined);

  private readonly reload$ = new BehaviorSubject<void>(undefined);
  private readonly id$ = toObservable(this.id);
  private readonly rulesInput = viewChild<ElementRef<HTMLTextAreaElement>>('rulesInput');

  protected readonly isNew = computed(() => !this.id());
  protected readonly policy = toSignal(
    combineLatest([this.id$, this.reload$]).pipe(
      switchMap(
        ([id]): Observable<LoadState<Policy | null>> =>
          id ? this.api.policy(id).pipe(toLoadState()) : of({ status: 'ready', value: null }),
      ),
    ),
    { initialValue: LOADING as LoadState<Policy | null> },
  );
  protected readonly versions = toSignal(
    combineLatest([this.id$, this.reload$]).pipe(
      switchMap(
        ([id]): Observable<LoadState<PolicyVersion[]>> =>
          id ? this.api.policyVersions(id).pipe(toLoadState()) : of({ status: 'ready', value: [] }),
      ),
    ),
    { initialValue: LOADING as LoadState<PolicyVersion[]> },
  );

  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.maxLength(128)] }),
    mode: new FormControl<PolicyMode>('enforce', { nonNullable: true }),
    phase: new FormControl<PolicyPhase>('pre', { nonNullable: true }),
    rules: new FormControl(JSON.stringify(EXAMPLE_RULES, null, 2), { nonNullable: true }),
  });

  protected readonly saving = signal(false);
  protected readonly saveError = signal<ApiError | null>(null);
  protected readonly problems = signal<ServerProblems>(NO_PROBLEMS);
  /** The 422's message (`policy has N problems`) while its problems are shown. */
  protected readonly problemSummary = signal<string | null>(null);
  protected readonly jsonError = signal<{ message: string; position: TextPosition } | null>(null);
  protected readonly validMessage = signal<string | null>(null);
  protected readonly hasRulesProblems = computed(() => this.problems().rules.length > 0 || this.jsonError() !== null);

  // --- versions ---------------------------------------------------------------------------------
  protected readonly compareFrom = signal<number | null>(null);
  protected readonly compareTo = signal<number | null>(null);
  protected readonly diff = computed((): DiffLine[] | null => {
    const v = this.versions();
    if (v.status !== 'ready') return null;
    const from = v.value.find((x) => x.version === this.compareFrom());
    const to = v.value.find((x) => x.version === this.compareTo());
    return from && to ? diffLines(versionText(from), versionText(to)) : null;
  });
  protected readonly diffChanges = computed(() => (this.diff() ?? []).filter((l) => l.kind !== 'same').length);

  // --- shadow report ----------------------------------------------------------------------------
  protected readonly reportForm = new FormGroup({
    from: new FormControl(localInputValue(new Date(Date.now() - DAY_MS)), { nonNullable: true, validators: [Validators.required] }),
    to: new FormControl(localInputValue(new Date(Date.now() + 60_000)), { nonNullable: true, validators: [Validators.required] }),
  });
  private readonly reportRange$ = new BehaviorSubject<{ from?: string; to?: string }>({});
  protected readonly report = toSignal(
    combineLatest([this.id$, this.reportRange$]).pipe(
      switchMap(
        ([id, range]): Observable<LoadState<ShadowReport | null>> =>
          id ? this.api.shadowReport(id, range).pipe(toLoadState()) : of({ status: 'ready', value: null }),
      ),
    ),
    { initialValue: LOADING as LoadState<ShadowReport | null> },
  );

  constructor() {
    effect(() => {
      const p = this.policy();
      if (p.status === 'ready' && p.value) this.applyPolicy(p.value);
    });
    effect(() => {
      const v = this.versions();
      if (v.status !== 'ready' || v.value.length === 0) return;
      // Newest first: compare the previous version with the latest by default.
      const latest = v.value[0]?.version ?? null;
      const previous = v.value[1]?.version ?? latest;
      this.compareTo.set(latest);
      this.compareFrom.set(previous);
    });
  }

  private applyPolicy(policy: Policy): void {
    this.form.reset({ name: policy.name, mode: policy.mode, phase: policy.phase, rules: JSON.stringify(policy.rules, null, 2) });
  }

  /** The document to send, or null (with the reason shown) when the form or the JSON is not usable. */
  private document(): CreatePolicyRequest | null {
    this.validMessage.set(null);
    this.saveError.set(null);
    this.problems.set(NO_PROBLEMS);
    this.problemSummary.set(null);
    this.form.markAllAsTouched();
    const parsed = parseWithPositions(this.form.controls.rules.value, '$.rules');
    if (!parsed.ok) {
      this.jsonError.set({ message: parsed.message, position: parsed.position });
      return null;
    }
    this.jsonError.set(null);
    if (this.form.controls.name.invalid) return null;
    const v = this.form.getRawValue();
    return { name: v.name.trim(), mode: v.mode, phase: v.phase, rules: parsed.value as PolicyRule[] };
  }

  /** Places a 422's problems: rules problems at their line, field problems under their control. */
  private showProblems(error: ApiError, text: string): void {
    const list = validationProblems(error);
    if (error.code !== 'validation_error' || list.length === 0) {
      this.saveError.set(error);
      return;
    }
    const parsed = parseWithPositions(text, '$.rules');
    const positions = parsed.ok ? parsed.positions : new Map<string, TextPosition>();
    const placed: ServerProblems = { rules: [], fields: {}, other: [] };
    for (const problem of list) {
      const field = /^\$\.(name|mode|phase)$/.exec(problem.path)?.[1] as 'name' | 'mode' | 'phase' | undefined;
      if (field) {
        placed.fields[field] = problem.message;
      } else if (problem.path === '$.rules' || problem.path.startsWith('$.rules[')) {
        const found = locatePath(positions, problem.path);
        placed.rules.push({ ...problem, position: found?.position ?? null, exact: found?.exact ?? false });
      } else {
        placed.other.push(problem);
      }
    }
    this.problems.set(placed);
    this.problemSummary.set(error.message);
  }

  protected save(): void {
    if (this.saving()) return;
    const body = this.document();
    if (!body) return;
    const text = this.form.controls.rules.value;
    const id = this.id();
    this.saving.set(true);
    const request: Observable<{ id: string; name: string }> = id ? this.api.updatePolicy(id, body) : this.api.createPolicy(body);
    request.subscribe({
      next: (saved) => {
        this.saving.set(false);
        if (id) {
          this.snackBar.open(`Policy “${saved.name}” updated.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        } else {
          this.snackBar.open(`Policy “${saved.name}” created.`, 'Dismiss', { duration: 5000 });
          void this.router.navigate(['/policies', saved.id]);
        }
      },
      error: (error: unknown) => {
        this.saving.set(false);
        this.showProblems(toApiError(error), text);
      },
    });
  }

  protected validate(): void {
    if (this.saving()) return;
    const body = this.document();
    if (!body) return;
    const text = this.form.controls.rules.value;
    this.saving.set(true);
    this.api.validatePolicy(body).subscribe({
      next: () => {
        this.saving.set(false);
        this.validMessage.set('The policy is valid.');
      },
      error: (error: unknown) => {
        this.saving.set(false);
        this.showProblems(toApiError(error), text);
      },
    });
  }

  /** Moves the caret to a problem's line in the rules text and selects that line. */
  protected goTo(position: TextPosition): void {
    const textarea = this.rulesInput()?.nativeElement;
    if (!textarea) return;
    const text = textarea.value;
    const start = text.lastIndexOf('\n', Math.max(0, position.offset - 1)) + 1;
    const newline = text.indexOf('\n', position.offset);
    textarea.focus();
    textarea.setSelectionRange(start, newline < 0 ? text.length : newline);
  }

  protected remove(policy: Policy): void {
    confirmAction(this.dialog, {
      title: `Delete “${policy.name}”?`,
      message: 'The policy is removed from every token it is attached to. Its versions stay in the history.',
      confirmLabel: 'Delete policy',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deletePolicy(policy.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Policy “${policy.name}” deleted.`, 'Dismiss', { duration: 5000 });
          void this.router.navigate(['/policies']);
        },
        error: (error: unknown) => this.saveError.set(toApiError(error)),
      });
  }

  protected setCompare(which: 'from' | 'to', value: string): void {
    const version = Number(value);
    if (which === 'from') this.compareFrom.set(version);
    else this.compareTo.set(version);
  }

  protected showReport(): void {
    if (this.reportForm.invalid) {
      this.reportForm.markAllAsTouched();
      return;
    }
    const v = this.reportForm.getRawValue();
    this.reportRange$.next({ from: localDateTimeToRfc3339(v.from), to: localDateTimeToRfc3339(v.to) });
  }
}
