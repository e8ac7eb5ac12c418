// Lint: TypeScript rules plus the architecture's one-way dependencies. store, central and dags depend
// on libs only (never on each other), and nobody imports another package's src/ by path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const services = ['store', 'central', 'dags'];

const noDeepImports = {
  group: ['@retail-sync/*/src/*', '@retail-sync/*/src'],
  message: "Import another package through its public exports (package.json \"exports\"), not its src/.",
};

function sidewaysFor(service) {
  const others = services.filter((s) => s !== service);
  return {
    files: [`${service}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDeepImports,
            {
              group: others.flatMap((o) => [`@retail-sync/${o}`, `@retail-sync/${o}/*`, `**/${o}/src/**`, `../../${o}/**`, `../../../${o}/**`]),
              message: `${service} may depend on libs only: services never import each other (ARCHITECTURE.md, Layout).`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', 'coverage/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDeepImports,
            { group: services.flatMap((s) => [`@retail-sync/${s}`, `@retail-sync/${s}/*`, `**/${s}/src/**`]), message: 'libs must not depend on a service.' },
          ],
        },
      ],
    },
  },
  ...services.map(sidewaysFor),
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['scripts/**/*.ts', '*.config.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDeepImports] }] },
  },
);
