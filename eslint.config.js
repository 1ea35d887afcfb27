import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The anchor and the floor are plain JavaScript (the anchor against packages the bench installs on demand).
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.local/',
      'coverage/',
      '.cache/',
      'scripts/bench/anchor/',
      'scripts/bench/floor/',
      'console/dist/',
      'console/src/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  {
    // The walls: what runs in Lambda never reaches into the stack, the local runtime, scripts or tests.
    files: ['functions/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/lib/**', '**/local/**', '**/scripts/**', '**/test/**', '**/console/**'],
              message:
                'functions/ imports only functions/ and packages (data both sides read lives in functions/shared).',
            },
          ],
        },
      ],
    },
  },
  {
    // The stack describes the functions; it never loads a handler (that would bundle it into the CDK app).
    files: ['lib/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/functions/*/handler*', '**/local/**', '**/test/**'],
              message: 'lib/ may read functions/shared data, never handlers, the local runtime or tests.',
            },
          ],
        },
      ],
    },
  },
  {
    // The local runtime and scripts are command-line programs: printing is their job.
    files: ['local/**', 'scripts/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
