import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { EnvironmentProviders } from '@angular/core';
import { apiInterceptor } from './api.interceptor';

/** HttpClient wired with the AIlink API interceptor (admin key, error mapping, 401 handling). */
export function provideAilinkApi(): EnvironmentProviders {
  return provideHttpClient(withFetch(), withInterceptors([apiInterceptor]));
}
