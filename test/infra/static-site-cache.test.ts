import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTerraformDir, nested, resource, variableDefault, type Block, type TerraformDir } from './hcl.js';

/**
 * The page from S3 + CloudFront gets the Cache-Control the live server sends (test/web/assets.test.ts):
 * the content-hashed script and stylesheet immutable for a year, the HTML and config.json
 * revalidated. CloudFront's response headers policies set it for viewers; the deploy's upload
 * sets the same as object metadata.
 */

const IMMUTABLE = 'public, max-age=31536000, immutable';
const POLICY = 'aws_cloudfront_response_headers_policy.security';

let site: TerraformDir;

beforeAll(async () => {
  site = await loadTerraformDir('terraform/modules/static-site');
});

/** What a policy resolves Cache-Control to, per for_each key, from `local.cache_control`. */
function cacheControl(): Record<string, string> {
  return site.locals['cache_control'] as Record<string, string>;
}

function customHeaders(policy: Block): Block[] {
  return (nested(policy, 'custom_headers_config')['items'] as Block[] | undefined) ?? [];
}

function behaviours(): { ordered: Block; page: Block } {
  const distribution = resource(site, 'aws_cloudfront_distribution.site');
  const dynamic = distribution['dynamic'] as Record<string, Block[]> | Array<Record<string, Block[]>>;
  const ordered = (Array.isArray(dynamic) ? dynamic : [dynamic]).flatMap((entry) => entry['ordered_cache_behavior'] ?? []);
  const assets = ordered.find((block) => block['for_each'] === '${var.immutable_path_patterns}');
  if (!assets) throw new Error('no ordered_cache_behavior over var.immutable_path_patterns');
  return { ordered: nested(assets, 'content'), page: nested(distribution, 'default_cache_behavior') };
}

describe('modules/static-site: caching of the page', () => {
  it('has one header policy per kind of file, differing only in Cache-Control: immutable assets, revalidated page', () => {
    expect(cacheControl()).toEqual({ page: 'no-cache', assets: IMMUTABLE });
    const policy = resource(site, POLICY);
    expect(policy['for_each']).toBe('${local.cache_control}');
    expect(customHeaders(policy)).toEqual(expect.arrayContaining([{ header: 'Cache-Control', value: '${each.value}', override: true }]));
    // The security headers are the policy's own, so both kinds of file carry the same ones.
    expect(nested(nested(policy, 'security_headers_config'), 'content_security_policy')).toMatchObject({ content_security_policy: '${local.content_security_policy}', override: true });
  });

  it('keeps the existing policy in place (a moved block), so the page is never without its headers during an apply', () => {
    const main = readFileSync('terraform/modules/static-site/main.tf', 'utf8');
    expect(main).toMatch(/moved\s*\{\s*from\s*=\s*aws_cloudfront_response_headers_policy\.security\s+to\s*=\s*aws_cloudfront_response_headers_policy\.security\["page"\]\s*\}/);
  });

  it('serves the hashed names from the bucket with the immutable policy, everything else with the revalidating one', () => {
    const { ordered, page } = behaviours();
    expect(variableDefault(site, 'immutable_path_patterns')).toEqual(['/app.*.js', '/styles.*.css']);
    expect(ordered).toMatchObject({
      path_pattern: '${ordered_cache_behavior.value}',
      target_origin_id: '${local.s3_origin_id}',
      compress: true,
      cache_policy_id: '${data.aws_cloudfront_cache_policy.caching_optimized.id}',
      response_headers_policy_id: `\${${POLICY}["assets"].id}`,
    });
    expect(page['response_headers_policy_id']).toBe(`\${${POLICY}["page"].id}`);
  });

  it('matches exactly the names scripts/build-web.mjs writes', () => {
    const patterns = variableDefault(site, 'immutable_path_patterns') as string[];
    const matches = (name: string) => patterns.some((pattern) => new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(`/${name}`));
    for (const name of ['app.6X6M2CS3.js', 'styles.53T62M36.css']) expect(matches(name), name).toBe(true);
    for (const name of ['index.html', 'config.json', 'app.6X6M2CS3.js.map', 'styles.53T62M36.css.map']) expect(matches(name), name).toBe(false);
    const build = readFileSync('scripts/build-web.mjs', 'utf8');
    expect(build).toContain("entryNames: '[name].[hash]'");
  });

  it('has config.json revalidated as object metadata too', () => {
    expect(resource(site, 'aws_s3_object.page_config')['cache_control']).toBe('no-cache');
  });
});

describe('deploy workflow: the upload of web/dist', () => {
  const deploy = readFileSync('.github/workflows/deploy.yml', 'utf8');
  const syncs = deploy.split('\n').join(' ').replace(/\\\s+/g, ' ').match(/aws s3 sync web\/dist [^\n]*?(?=aws s3 sync|- name:|$)/g) ?? [];

  it('uploads the hashed assets immutable, then the HTML no-cache, then removes what the build no longer has', () => {
    expect(syncs).toHaveLength(3);
    const [assets, html, prune] = syncs as [string, string, string];
    expect(assets).toContain('--include "app.*.js" --include "styles.*.css"');
    expect(assets).toContain(`--cache-control "${IMMUTABLE}"`);
    expect(assets).not.toContain('--delete');
    expect(html).toContain('--include "*.html" --cache-control "no-cache"');
    expect(html).not.toContain('--delete');
    expect(prune).toContain('--delete');
    // Terraform owns config.json in the bucket; source maps stay out.
    expect(prune).toContain('--exclude "config.json" --exclude "*.map"');
  });
});
