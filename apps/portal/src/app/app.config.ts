import {
  ApplicationConfig,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { TitleStrategy, provideRouter, withComponentInputBinding } from '@angular/router';
import { AuthSession, provideAilinkApi } from '@ailink/portal-data-access';
import { firstValueFrom } from 'rxjs';
import { appRoutes } from './app.routes';
import { AilinkTitleStrategy } from './title-strategy';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(appRoutes, withComponentInputBinding()),
    provideAilinkApi(),
    // Before the first navigation: pick up an SSO session the browser already holds (cookie).
    provideAppInitializer(() => firstValueFrom(inject(AuthSession).restoreSession())),
    { provide: TitleStrategy, useClass: AilinkTitleStrategy },
  ],
};
