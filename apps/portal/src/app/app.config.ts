import { ApplicationConfig, provideBrowserGlobalErrorListeners, provideZonelessChangeDetection } from '@angular/core';
import { TitleStrategy, provideRouter, withComponentInputBinding } from '@angular/router';
import { provideAilinkApi } from '@ailink/portal-data-access';
import { appRoutes } from './app.routes';
import { AilinkTitleStrategy } from './title-strategy';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(appRoutes, withComponentInputBinding()),
    provideAilinkApi(),
    { provide: TitleStrategy, useClass: AilinkTitleStrategy },
  ],
};
