import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import {
  CREDENTIAL,
  SERVICE,
  buttonIn,
  chooseOption,
  envelope,
  fieldIn,
  lastDialog,
  openDialogs,
  pageTestProviders,
  settle,
  signInForTest,
  typeInto,
} from '../testing-pages';
import { ServicesPage } from './services-page';

const OTHER = { ...SERVICE, id: '55555555-5555-4555-8555-555555555555', name: 'billing', credential_id: null, description: null };

describe('ServicesPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<ServicesPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(ServicesPage);
    fixture.autoDetectChanges();
    await settle();
  });

  afterEach(async () => {
    TestBed.inject(MatDialog).closeAll();
    await settle();
    http.verify();
  });

  function el(): HTMLElement {
    return fixture.nativeElement as HTMLElement;
  }

  function rowTexts(): string[][] {
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
    );
  }

  async function flushLists(services = [SERVICE, OTHER]): Promise<void> {
    http.expectOne('/api/v1/services').flush(services);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
  }

  async function openDialog(button: string): Promise<HTMLElement> {
    buttonIn(el(), button).click();
    await settle();
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    return lastDialog();
  }

  it('lists services by name with their proxy path and credential', async () => {
    expect(el().querySelector('h1')?.textContent).toBe('Services');
    await flushLists();
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    const rows = rowTexts();
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['billing/v1/proxy/services/billing/', 'https://crm.example.com/api', 'Passthrough', ''],
      ['crm/v1/proxy/services/crm/', 'https://crm.example.com/api', 'openai-prod', 'Customer records'],
    ]);
  });

  it('shows the API error when services cannot be listed', async () => {
    const { body, init } = envelope('forbidden', 'Scope services:read required', 403);
    http.expectOne('/api/v1/services').flush(body, init);
    http.expectOne('/api/v1/credentials').flush([]);
    await settle();
    expect(el().querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not list services: Scope services:read required');
  });

  it('registers a service and reloads', async () => {
    await flushLists();
    const dialog = await openDialog('New service');
    expect(dialog.querySelector('h2')?.textContent).toBe('New service');
    typeInto(fieldIn(dialog, 'Name'), 'weather');
    typeInto(fieldIn(dialog, 'Base URL'), 'https://weather.example.com/v2');
    typeInto(fieldIn(dialog, 'Description (optional)'), 'Forecasts');
    await chooseOption(dialog, 'Credential', 'openai-prod');
    expect(dialog.textContent).toContain('Agents call /v1/proxy/services/weather/…');
    buttonIn(dialog, 'Register service').click();
    await settle();
    const req = http.expectOne('/api/v1/services');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({
      name: 'weather',
      base_url: 'https://weather.example.com/v2',
      description: 'Forecasts',
      credential_id: CREDENTIAL.id,
    });
    req.flush({ ...SERVICE, name: 'weather' }, { status: 201, statusText: 'Created' });
    await settle();
    expect(openDialogs()).toHaveLength(0);
    http.expectOne('/api/v1/services').flush([SERVICE]);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    expect(document.body.textContent).toContain('Service “weather” registered.');
  });

  it("shows the API's 422 (SSRF) message in the dialog", async () => {
    await flushLists();
    const dialog = await openDialog('New service');
    typeInto(fieldIn(dialog, 'Name'), 'metadata');
    typeInto(fieldIn(dialog, 'Base URL'), 'http://169.254.169.254/latest');
    await settle();
    buttonIn(dialog, 'Register service').click();
    await settle();
    const { body, init } = envelope('validation_error', 'base_url points at a private or link-local address (169.254.169.254)', 422, {
      errors: [{ path: '$.base_url', message: 'blocked by SSRF rules' }],
    });
    http.expectOne('/api/v1/services').flush(body, init);
    await settle();
    expect(openDialogs()).toHaveLength(1);
    const alert = dialog.querySelector('[role="alert"]');
    expect(alert?.querySelector('p')?.textContent?.trim()).toBe('base_url points at a private or link-local address (169.254.169.254)');
    expect(alert?.querySelector('li')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('$.base_url: blocked by SSRF rules');
  });

  it('checks the name and URL before calling the API', async () => {
    await flushLists();
    const dialog = await openDialog('New service');
    typeInto(fieldIn(dialog, 'Name'), 'has space');
    typeInto(fieldIn(dialog, 'Base URL'), 'not a url');
    await settle();
    buttonIn(dialog, 'Register service').click();
    await settle();
    http.expectNone('/api/v1/services');
    expect(Array.from(dialog.querySelectorAll('mat-error')).map((e) => e.textContent?.trim())).toEqual([
      'Use letters, digits and . _ ~ - (starting with a letter or digit).',
      'Enter an http:// or https:// URL.',
    ]);
  });

  it('edits a service with PATCH, clearing the credential and description', async () => {
    await flushLists();
    const dialog = await openDialog('Edit crm');
    expect(dialog.querySelector('h2')?.textContent).toBe('Edit service “crm”');
    expect((fieldIn(dialog, 'Name') as HTMLInputElement).value).toBe('crm');
    expect((fieldIn(dialog, 'Base URL') as HTMLInputElement).value).toBe('https://crm.example.com/api');
    typeInto(fieldIn(dialog, 'Description (optional)'), '');
    await chooseOption(dialog, 'Credential', 'None');
    buttonIn(dialog, 'Save service').click();
    await settle();
    const req = http.expectOne(`/api/v1/services/${SERVICE.id}`);
    expect(req.request.method).toBe('PATCH');
    expect(req.request.body).toEqual({ name: 'crm', base_url: 'https://crm.example.com/api', description: null, credential_id: null });
    req.flush({ ...SERVICE, description: null, credential_id: null });
    await settle();
    http.expectOne('/api/v1/services').flush([SERVICE]);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    expect(document.body.textContent).toContain('Service “crm” updated.');
  });

  it('deletes after confirmation; a failure is shown inline', async () => {
    await flushLists();
    buttonIn(el(), 'Delete crm').click();
    await settle();
    expect(lastDialog().textContent).toContain('/v1/proxy/services/crm/');
    buttonIn(lastDialog(), 'Delete service').click();
    await settle();
    const { body, init } = envelope('not_found', 'Service not found', 404);
    const req = http.expectOne(`/api/v1/services/${SERVICE.id}`);
    expect(req.request.method).toBe('DELETE');
    req.flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="action-error"]')?.textContent?.trim()).toBe('The action failed: Service not found');

    buttonIn(el(), 'Delete billing').click();
    await settle();
    buttonIn(lastDialog(), 'Delete service').click();
    await settle();
    http.expectOne(`/api/v1/services/${OTHER.id}`).flush({ deleted: true });
    await settle();
    http.expectOne('/api/v1/services').flush([SERVICE]);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    expect(rowTexts()).toHaveLength(1);
    expect(el().querySelector('[data-testid="action-error"]')).toBeNull();
  });
});
