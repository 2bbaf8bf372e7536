import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ci = readFileSync('.github/workflows/ci.yml', 'utf8');
const deploy = readFileSync('.github/workflows/deploy.yml', 'utf8');
const dependabot = readFileSync('.github/dependabot.yml', 'utf8');

describe('ci workflow', () => {
  it('installs, lints, typechecks, tests and packages the Lambda stack', () => {
    for (const step of ['run: npm ci', 'run: npm run lint', 'run: npm run typecheck', 'run: npm test', 'run: npx sls package']) {
      expect(ci).toContain(step);
    }
  });

  it('checks formatting and validates every Terraform root', () => {
    expect(ci).toContain('run: bash scripts/terraform-check.sh');
    expect(readFileSync('scripts/terraform-check.sh', 'utf8')).toMatch(/fmt -check -recursive[\s\S]*init -backend=false[\s\S]*validate/);
  });

  it('builds the arm64 image', () => {
    expect(ci).toMatch(/--platform linux\/arm64/);
  });
});

describe('deploy workflow', () => {
  it('reaches AWS through OIDC only', () => {
    expect(deploy).toContain('id-token: write');
    expect(deploy).toContain('role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    expect(deploy).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
  });

  it('pushes the arm64 image, deploys the Lambda stack, uploads the page, invalidates and tags', () => {
    expect(deploy).toMatch(/docker buildx build --platform linux\/arm64 .*--push/);
    expect(deploy).toContain('npx sls deploy');
    expect(deploy).toMatch(/aws s3 sync web\/dist/);
    expect(deploy).toContain('aws cloudfront create-invalidation');
    expect(deploy).toMatch(/git tag "\$tag"/);
  });
});

describe('dependabot', () => {
  it('updates npm, GitHub Actions, Terraform and Docker', () => {
    for (const ecosystem of ['npm', 'github-actions', 'terraform', 'docker']) {
      expect(dependabot).toMatch(new RegExp(`package-ecosystem: ${ecosystem}\\n`));
    }
  });
});
