import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AILINK_VERSION } from './version';

describe('AILINK_VERSION', () => {
  it('matches the workspace package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../../../package.json'), 'utf8')) as { version: string };
    expect(AILINK_VERSION).toBe(pkg.version);
  });
});
