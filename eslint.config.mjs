import nx from '@nx/eslint-plugin';

const serverOnly = ['@nestjs/*', 'typeorm', 'pg', 'ioredis', 'bullmq', 'undici', 'fastify', '@fastify/*', 'pino', '@electric-sql/*'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/.ailink', '**/test-output', '**/coverage'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(false)] },
  },
  {
    // Tests (any tier) may also use the testing library's fixtures and helpers.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(true)],
      // Assertions on parsed JSON bodies read better without type ceremony in tests.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];

function boundaries(test) {
  const t = test ? ['type:testing'] : [];
  return {
    enforceBuildableLibDependency: true,
    banTransitiveDependencies: false,
    allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
    depConstraints: [
      // Scope axis: the gateway and the portal never import each other; shared code is framework-free.
      {
        sourceTag: 'scope:gateway',
        onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'],
      },
      {
        sourceTag: 'scope:portal',
        onlyDependOnLibsWithTags: ['scope:portal', 'scope:shared'],
        bannedExternalImports: serverOnly,
      },
      {
        sourceTag: 'scope:shared',
        onlyDependOnLibsWithTags: ['scope:shared'],
        bannedExternalImports: ['@angular/*', '@nestjs/*', 'typeorm', 'ioredis', 'bullmq'],
      },
      // Type axis: features never import other features; lower layers never import upper ones.
      {
        sourceTag: 'type:app',
        onlyDependOnLibsWithTags: [
          'type:pipeline',
          'type:feature',
          'type:core',
          'type:data-access',
          'type:ui',
          'type:util',
          'type:contracts',
          ...t,
        ],
      },
      {
        sourceTag: 'type:feature',
        onlyDependOnLibsWithTags: ['type:pipeline', 'type:core', 'type:data-access', 'type:ui', 'type:util', 'type:contracts', ...t],
      },
      // The proxy pipeline (libs/gateway/proxy) defines the stage contract features plug into.
      {
        sourceTag: 'type:pipeline',
        onlyDependOnLibsWithTags: ['type:core', 'type:data-access', 'type:util', 'type:contracts', ...t],
      },
      {
        sourceTag: 'type:data-access',
        onlyDependOnLibsWithTags: ['type:data-access', 'type:core', 'type:util', 'type:contracts', ...t],
      },
      {
        sourceTag: 'type:core',
        onlyDependOnLibsWithTags: ['type:core', 'type:util', 'type:contracts'],
      },
      {
        sourceTag: 'type:ui',
        onlyDependOnLibsWithTags: ['type:ui', 'type:util', 'type:contracts'],
      },
      {
        sourceTag: 'type:contracts',
        onlyDependOnLibsWithTags: ['type:contracts', 'type:util'],
      },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
      {
        sourceTag: 'type:testing',
        onlyDependOnLibsWithTags: [
          'type:feature',
          'type:pipeline',
          'type:core',
          'type:data-access',
          'type:util',
          'type:contracts',
          'type:testing',
        ],
      },
    ],
  };
}
