/**
 * The demo's sample project: a real git repository with a real bug and a real test. Its
 * `slugify` replaces only the first space, so the test fails and so does the demo's
 * `demo.publish` task, which slugifies titles with the project's own code.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { nodeFs } from '../git/node-fs.ts';

export const SAMPLE_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'tether-demo', version: '1.0.0', private: true, scripts: { test: 'node test/slug.test.js' } }, null, 2)}\n`,
  'README.md': '# tether-demo\n\nA tiny project with a bug, for the Tether demo.\n',
  'src/slug.js': [
    "'use strict';",
    '',
    '/** Turns a title into a URL slug: lower case, words joined by dashes. */',
    'function slugify(title) {',
    "  return title.trim().toLowerCase().replace(' ', '-');",
    '}',
    '',
    'module.exports = { slugify };',
    '',
  ].join('\n'),
  'test/slug.test.js': [
    "'use strict';",
    "const assert = require('node:assert');",
    "const { slugify } = require('../src/slug.js');",
    '',
    "assert.strictEqual(slugify('Hello World'), 'hello-world');",
    "assert.strictEqual(slugify('Hello Big World'), 'hello-big-world');",
    "assert.strictEqual(slugify('  Tether  Demo '), 'tether-demo');",
    "console.log('slug tests passed');",
    '',
  ].join('\n'),
};

/** The fix the demo's scripted author writes: every run of whitespace becomes one dash. */
export const FIXED_SLUG = SAMPLE_FILES['src/slug.js']!.replace(
  "return title.trim().toLowerCase().replace(' ', '-');",
  "return title.trim().toLowerCase().split(/\\s+/).join('-');",
);

/** Creates the sample repository in `dir` with one commit on `main`, unless it exists. */
export async function ensureSampleProject(dir: string): Promise<{ created: boolean }> {
  if (existsSync(join(dir, '.git'))) return { created: false };
  mkdirSync(dir, { recursive: true });
  await git.init({ fs: nodeFs, dir, defaultBranch: 'main' });
  for (const [path, content] of Object.entries(SAMPLE_FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    await git.add({ fs: nodeFs, dir, filepath: path });
  }
  await git.commit({
    fs: nodeFs,
    dir,
    message: 'Sample project with a slugify bug',
    author: { name: 'Tether demo', email: 'demo@tether.invalid' },
  });
  return { created: true };
}
