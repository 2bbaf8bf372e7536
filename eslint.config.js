import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Imports that would tie the core to one runtime. The core stays framework-free. */
export const CORE_FORBIDDEN_IMPORTS = [
  { name: 'express', message: 'core/ is framework-free: express belongs in fargate/.' },
  { name: 'ws', message: 'core/ is framework-free: ws belongs in fargate/.' },
  { name: 'aws-lambda', message: 'core/ is framework-free: aws-lambda belongs in handlers/.' },
  { name: 'node:http', message: 'core/ is framework-free: node:http belongs in an adapter.' },
  { name: 'http', message: 'core/ is framework-free: http belongs in an adapter.' },
];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.serverless/', '.esbuild/', 'node_modules/', 'test-output/', 'terraform/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: CORE_FORBIDDEN_IMPORTS,
          patterns: [{ group: ['@aws-sdk/*'], message: 'core/ is framework-free: AWS SDK clients belong in an adapter.' }],
        },
      ],
    },
  },
  {
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
