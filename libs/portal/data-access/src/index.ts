export * from './lib/portal-data-access/portal-data-access';
