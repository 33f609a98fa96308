import { DOCUMENT } from '@angular/common';
import { Injectable, effect, inject, signal } from '@angular/core';

export const DARK_THEME_CLASS = 'ailink-dark';

/** Light theme by default; the dark theme is a per-tab choice kept in memory. */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly document = inject(DOCUMENT);
  readonly dark = signal(false);

  constructor() {
    effect(() => {
      this.document.documentElement.classList.toggle(DARK_THEME_CLASS, this.dark());
    });
  }

  toggle(): void {
    this.dark.update((dark) => !dark);
  }
}
